//===- ArtifactStoreTest.cpp - Typed artifacts keyed by type ---------------===//
#include "h8/Pass/ArtifactStore.h"

#include <string>

#include "gtest/gtest.h"

namespace h8 {
namespace {

struct Cut {
  static constexpr absl::string_view kArtifactKey = "test.cut";
  std::string end_node;
};
struct Count {
  static constexpr absl::string_view kArtifactKey = "test.count";
  int n = 0;
};
// Another type under Cut's key: must not be read as a Cut.
struct Impostor {
  static constexpr absl::string_view kArtifactKey = "test.cut";
  int x = 7;
};

TEST(ArtifactStoreTest, AbsentUntilSet) {
  ArtifactStore store;
  EXPECT_FALSE(store.Has<Cut>());
  EXPECT_EQ(store.Get<Cut>(), nullptr);
  store.Set(Cut{"relu_3"});
  ASSERT_TRUE(store.Has<Cut>());
  EXPECT_EQ(store.Get<Cut>()->end_node, "relu_3");
  EXPECT_FALSE(store.Has<Count>());
}

TEST(ArtifactStoreTest, SetReplacesAndGetOrCreateKeeps) {
  ArtifactStore store;
  store.GetOrCreate<Count>().n += 2;
  store.GetOrCreate<Count>().n += 3;
  EXPECT_EQ(store.Get<Count>()->n, 5);
  store.Set(Count{1});
  EXPECT_EQ(store.Get<Count>()->n, 1);
  store.Erase<Count>();
  EXPECT_FALSE(store.Has<Count>());
}

TEST(ArtifactStoreTest, KeyReusedByAnotherTypeReadsAsAbsent) {
  ArtifactStore store;
  store.Set(Cut{"a"});
  EXPECT_EQ(store.Get<Impostor>(), nullptr);
  store.Set(Impostor{});
  EXPECT_EQ(store.Get<Cut>(), nullptr);
  EXPECT_EQ(store.Get<Impostor>()->x, 7);
}

}  // namespace
}  // namespace h8
