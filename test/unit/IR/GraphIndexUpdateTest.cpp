//===- GraphIndexUpdateTest.cpp - Index updates and touched verification --===//
//
// The index GraphRewriter::Commit(&index) updates must say what a fresh
// build of the committed graph says, fact by fact (GraphIndex::
// FirstDifference), and the verifier limited to the touched nodes must
// accept and reject exactly what the full verifier does. Both are checked
// on random graphs under random edit batches: erasures, inserts (also of
// nodes with a body reading outer values), renamed uses, renamed outputs,
// replaced inputs (one slot, a slot past the last, every read of one node
// and its bodies), added value_info, added and erased initializers.
//
//===----------------------------------------------------------------------===//
#include <random>
#include <string>
#include <vector>

#include "TestUtil.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Verifier.h"

namespace h8 {
namespace {

onnx::TensorProto Scalar(const std::string& name) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(1);
  t.add_float_data(1.0f);
  return t;
}

void SetType(onnx::ValueInfoProto& vi, int dims) {
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int k = 0; k < dims; ++k) tt->mutable_shape()->add_dim()->set_dim_value(k + 2);
}

class RandomGraphs {
 public:
  explicit RandomGraphs(unsigned seed) : rng_(seed) {}

  // A number in [0, n); n must be positive.
  int Pick(int n) {
    EXPECT_GT(n, 0);
    return n > 0 ? std::uniform_int_distribution<int>(0, n - 1)(rng_) : 0;
  }
  bool Chance(int percent) { return Pick(100) < percent; }
  std::string Fresh(const char* prefix) { return absl::StrCat(prefix, next_++); }

  // A node reading `reads` (an If with a body reading them from outside
  // when `body`) and defining one or two fresh values.
  onnx::NodeProto Node(const std::vector<std::string>& reads, bool body) {
    onnx::NodeProto node;
    node.set_name(Fresh("n"));
    node.add_output(Fresh("v"));
    if (Chance(20)) node.add_output(Fresh("v"));
    if (!body) {
      node.set_op_type("Sum");
      for (const auto& r : reads) node.add_input(r);
      return node;
    }
    node.set_op_type("If");
    node.add_input(reads[0]);
    for (const char* branch : {"then_branch", "else_branch"}) {
      auto* attr = node.add_attribute();
      attr->set_name(branch);
      attr->set_type(onnx::AttributeProto::GRAPH);
      onnx::GraphProto* g = attr->mutable_g();
      g->set_name(Fresh("body"));
      onnx::NodeProto* inner = g->add_node();
      inner->set_op_type("Sum");
      for (const auto& r : reads) inner->add_input(r);
      inner->add_output(Fresh("inner"));
      g->add_output()->set_name(inner->output(0));
      // A body output may also pass an outer value through.
      for (int o = 1; o < node.output_size(); ++o) g->add_output()->set_name(reads.back());
    }
    return node;
  }

  // Values defined before node `limit` of `graph` (all when limit < 0).
  std::vector<std::string> Defined(const onnx::GraphProto& graph, int limit) {
    std::vector<std::string> names;
    for (const auto& in : graph.input()) names.push_back(in.name());
    for (const auto& t : graph.initializer()) names.push_back(t.name());
    const int end = limit < 0 ? graph.node_size() : limit;
    for (int i = 0; i < end; ++i)
      for (const auto& o : graph.node(i).output()) names.push_back(o);
    return names;
  }

  std::vector<std::string> Reads(const std::vector<std::string>& from) {
    std::vector<std::string> reads;
    const int n = 1 + Pick(3);
    for (int k = 0; k < n; ++k) reads.push_back(from[Pick(static_cast<int>(from.size()))]);
    return reads;
  }

  onnx::ModelProto Model(int nodes) {
    onnx::ModelProto model;
    model.set_ir_version(8);
    model.add_opset_import()->set_version(13);
    onnx::GraphProto& g = *model.mutable_graph();
    g.set_name("g");
    for (int k = 0; k < 2; ++k)
      SetType(*g.add_input(), 1 + k), g.mutable_input(k)->set_name(Fresh("x"));
    for (int k = 0; k < 4; ++k) *g.add_initializer() = Scalar(Fresh("w"));
    for (int i = 0; i < nodes; ++i) *g.add_node() = Node(Reads(Defined(g, -1)), Chance(10));
    // Graph outputs: the last node's first value and a random earlier one.
    const std::vector<std::string> all = Defined(g, -1);
    g.add_output()->set_name(g.node(nodes - 1).output(0));
    SetType(*g.mutable_output(0), 2);
    g.add_output()->set_name(all[Pick(static_cast<int>(all.size()))]);
    if (g.output(1).name() == g.output(0).name()) g.mutable_output()->RemoveLast();
    for (const auto& name : all)
      if (Chance(30)) {
        onnx::ValueInfoProto* vi = g.add_value_info();
        vi->set_name(name);
        SetType(*vi, 3);
      }
    return model;
  }

  // Queues a random batch of edits. With `valid`, the batch keeps the
  // graph well formed: inserted nodes read values defined before their
  // anchor, uses are renamed only to values defined before every reader.
  void Edit(onnx::GraphProto& g, GraphRewriter& rw, bool valid) {
    const int n = g.node_size();
    std::vector<char> erased(n, 0);
    absl::flat_hash_set<std::string> outputs;
    for (const auto& o : g.output()) outputs.insert(o.name());
    // Erase nodes whose values nothing reads any more after the renames:
    // only nodes defining no graph output, read by no one (valid), or any.
    const GraphIndex index(g);
    for (int k = 0; k < 1 + Pick(4); ++k) {
      const int i = Pick(n);
      bool read = false;
      for (const auto& o : g.node(i).output()) read |= index.NumUses(o) > 0;
      if (valid && read) continue;
      erased[i] = 1;
      rw.Erase(i);
    }
    // Renamed uses: readers of a non-output value read an earlier one.
    for (int k = 0; k < Pick(3); ++k) {
      const int i = Pick(n);
      if (erased[i] && valid) continue;
      const std::string& from = g.node(i).output(0);
      if (outputs.contains(from)) continue;
      const std::vector<std::string> before = Defined(g, valid ? i : -1);
      const std::string& to = before[Pick(static_cast<int>(before.size()))];
      if (to == from) continue;
      // Any chain a -> b -> c resolves; a cycle is not queued.
      if (renamed_to_.contains(from) || renamed_from_.contains(to)) continue;
      renamed_from_.insert(from);
      renamed_to_.insert(to);
      ASSERT_TRUE(rw.ReplaceAllUsesWith(from, to).ok());
    }
    // Inserted nodes.
    for (int k = 0; k < Pick(4); ++k) {
      const int anchor = Pick(n + 1);
      std::vector<std::string> from = Defined(g, valid ? anchor : -1);
      // A valid read of a renamed value would go to a value that may be
      // later than the anchor: read only values not renamed away.
      std::vector<std::string> keep;
      for (const auto& name : from)
        if (!renamed_from_.contains(name) || !valid) keep.push_back(name);
      if (!valid && Chance(20)) keep = {Fresh("undefined")};
      if (keep.empty()) continue;
      bool body = Chance(15);
      if (valid && anchor < n && erased[anchor]) continue;
      rw.InsertBefore(anchor, Node(Reads(keep), body));
    }
    // Renamed outputs: a node no one reads defines a fresh name instead.
    if (Chance(30)) {
      const int i = Pick(n);
      bool read = false;
      for (const auto& o : g.node(i).output()) read |= index.NumUses(o) > 0 || outputs.contains(o);
      if (!read || !valid) rw.SetOutput(i, 0, Fresh("renamed"));
    }
    // A node reads another value in one input slot.
    if (Chance(40)) {
      const int i = Pick(n);
      if (!erased[i] && g.node(i).input_size() > 0) {
        const std::vector<std::string> before = Defined(g, valid ? i : -1);
        rw.SetInput(i, Pick(g.node(i).input_size()), before[Pick(static_cast<int>(before.size()))]);
      }
    }
    // A node reads one more input, past its last one (empty slots between).
    if (Chance(20)) {
      const int i = Pick(n);
      if (!erased[i]) {
        const std::vector<std::string> before = Defined(g, valid ? i : -1);
        rw.SetInput(i, g.node(i).input_size() + Pick(2),
                    before[Pick(static_cast<int>(before.size()))]);
      }
    }
    // A node (and its bodies) reads another value wherever it read one.
    if (Chance(30)) {
      const int i = Pick(n);
      if (!erased[i] && g.node(i).input_size() > 0) {
        const std::vector<std::string> before = Defined(g, valid ? i : -1);
        rw.ReplaceUsesIn(i, g.node(i).input(Pick(g.node(i).input_size())),
                         before[Pick(static_cast<int>(before.size()))]);
      }
    }
    // A type recorded in value_info (for a name nothing defines when not
    // valid: the commit keeps it, since it is appended after the pruning).
    if (Chance(30)) {
      const std::vector<std::string> all = Defined(g, -1);
      onnx::ValueInfoProto vi;
      vi.set_name(!valid && Chance(30) ? Fresh("undefined")
                                       : all[Pick(static_cast<int>(all.size()))]);
      SetType(vi, 1 + Pick(3));
      rw.AddValueInfo(std::move(vi));
    }
    // Initializers.
    if (Chance(40)) rw.AddInitializer(Scalar(Fresh("w")));
    if (!valid && g.initializer_size() > 0 && Chance(10))
      rw.AddInitializer(Scalar(g.initializer(0).name()));
    if (g.initializer_size() > 0 && Chance(30)) {
      const int i = Pick(g.initializer_size());
      if (!valid || index.NumUses(g.initializer(i).name()) == 0) rw.EraseInitializer(i);
    }
    renamed_from_.clear();
    renamed_to_.clear();
  }

 private:
  std::mt19937 rng_;
  int next_ = 0;
  absl::flat_hash_set<std::string> renamed_from_, renamed_to_;
};

TEST(GraphIndexUpdateTest, UpdatedIndexEqualsAFreshBuild) {
  int commits = 0;
  for (unsigned seed = 1; seed <= 60; ++seed) {
    RandomGraphs gen(seed);
    onnx::ModelProto model = gen.Model(30);
    onnx::GraphProto& g = *model.mutable_graph();
    GraphIndex index(g);
    for (int round = 0; round < 8 && g.node_size() > 2; ++round) {
      // Every name's id before the commit.
      std::vector<std::pair<std::string, int>> ids;
      auto note = [&](const std::string& name) {
        if (!name.empty()) ids.emplace_back(name, index.Id(name));
      };
      for (const auto& node : g.node()) {
        for (const auto& v : node.input()) note(v);
        for (const auto& v : node.output()) note(v);
      }
      for (const auto& t : g.initializer()) note(t.name());
      for (const auto& in : g.input()) note(in.name());
      GraphRewriter rw(g);
      gen.Edit(g, rw, /*valid=*/gen.Chance(50));
      rw.Commit(&index);
      ++commits;
      const GraphIndex fresh(g);
      ASSERT_EQ(index.FirstDifference(fresh), "") << "seed " << seed << ", round " << round;
      ASSERT_EQ(fresh.FirstDifference(index), "") << "seed " << seed << ", round " << round;
      // Ids never change (also where the update ended in a rebuild), and
      // the slot ids follow the edits.
      for (const auto& [name, id] : ids)
        ASSERT_EQ(index.Id(name), id) << "seed " << seed << ", round " << round << ": " << name;
      for (int n = 0; n < g.node_size(); ++n) {
        const auto& node = g.node(n);
        for (int k = 0; k < node.input_size(); ++k) {
          const int want = node.input(k).empty() ? -1 : index.Id(node.input(k));
          ASSERT_EQ(index.NodeInputIds(n)[k], want) << "seed " << seed << ", node " << n;
        }
        ASSERT_EQ(index.NodeOutputIds(n).size(), static_cast<size_t>(node.output_size()));
        for (int k = 0; k < node.output_size(); ++k) {
          const int want = node.output(k).empty() ? -1 : index.Id(node.output(k));
          ASSERT_EQ(index.NodeOutputIds(n)[k], want) << "seed " << seed << ", node " << n;
        }
      }
      for (int i = 0; i < g.initializer_size(); ++i)
        ASSERT_EQ(index.InitializerId(i), index.Id(g.initializer(i).name()));
    }
  }
  EXPECT_GT(commits, 300);
}

// A commit with an index prunes value_info from the index's definitions,
// one without from tables of the graph: both leave the same entries (and
// sync initializers' dims alike).
TEST(GraphIndexUpdateTest, ValueInfoIsPrunedAlikeWithAndWithoutAnIndex) {
  int pruned = 0;
  for (unsigned seed = 1; seed <= 60; ++seed) {
    RandomGraphs with_gen(seed), without_gen(seed);
    onnx::ModelProto with = with_gen.Model(30);
    onnx::ModelProto without = without_gen.Model(30);
    onnx::GraphProto& g = *with.mutable_graph();
    onnx::GraphProto& h = *without.mutable_graph();
    GraphIndex index(g);
    for (int round = 0; round < 8 && g.node_size() > 2; ++round) {
      const int before = g.value_info_size();
      GraphRewriter rw(g), rw2(h);
      const bool valid = with_gen.Chance(50);
      ASSERT_EQ(valid, without_gen.Chance(50));
      with_gen.Edit(g, rw, valid);
      without_gen.Edit(h, rw2, valid);
      rw.Commit(&index);
      rw2.Commit();
      ASSERT_EQ(g.node_size(), h.node_size());
      ASSERT_EQ(g.value_info_size(), h.value_info_size()) << "seed " << seed << ", round " << round;
      for (int i = 0; i < g.value_info_size(); ++i)
        ASSERT_EQ(g.value_info(i).SerializeAsString(), h.value_info(i).SerializeAsString())
            << "seed " << seed << ", round " << round << ", entry " << i;
      pruned += g.value_info_size() < before ? 1 : 0;
    }
  }
  // The edits did remove described values.
  EXPECT_GT(pruned, 20);
}

TEST(GraphIndexUpdateTest, TouchedVerificationAgreesWithTheFullVerifier) {
  int rejected = 0, accepted = 0;
  for (unsigned seed = 1; seed <= 150; ++seed) {
    RandomGraphs gen(seed);
    onnx::ModelProto model = gen.Model(25);
    onnx::GraphProto& g = *model.mutable_graph();
    ASSERT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
    GraphIndex index(g);
    for (int round = 0; round < 6 && g.node_size() > 2; ++round) {
      GraphRewriter rw(g);
      gen.Edit(g, rw, /*valid=*/gen.Chance(60));
      rw.Commit(&index);
      const absl::Status full = VerifyModelStructure(model);
      const absl::Status touched = VerifyTouchedStructure(model, index);
      // Read off a fresh index, the verdict and message are the full one's.
      ASSERT_EQ(VerifyModelStructure(model, GraphIndex(g)), full)
          << "seed " << seed << ", round " << round;
      ASSERT_EQ(full.ok(), touched.ok())
          << "seed " << seed << ", round " << round << ": full says '" << full
          << "', touched says '" << touched << "'";
      index.ClearTouched();
      if (!full.ok()) {
        ++rejected;
        break;  // the next batch needs a valid graph to start from
      }
      ++accepted;
    }
  }
  // Both verdicts occur often enough for the agreement to mean something.
  EXPECT_GT(rejected, 40);
  EXPECT_GT(accepted, 150);
}

onnx::NodeProto Neg(const std::string& input, const std::string& output) {
  onnx::NodeProto n;
  n.set_op_type("Neg");
  n.add_input(input);
  n.add_output(output);
  return n;
}

constexpr char kChain[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
<float[1] w = {1.0}>
{
  a = Relu (x)
  b = Add (a, w)
  c = Relu (b)
  y = Relu (c)
}
)";

TEST(GraphIndexUpdateTest, EachInvalidEditIsCaughtByTheTouchedVerifier) {
  struct Case {
    const char* what;
    void (*edit)(GraphRewriter&);
    const char* message;
  };
  const Case cases[] = {
      {"erasing a producer", [](GraphRewriter& rw) { rw.Erase(1); },
       "node 'c' (Relu): input 'b' is not defined"},
      {"renaming uses to a later value",
       [](GraphRewriter& rw) { ASSERT_TRUE(rw.ReplaceAllUsesWith("a", "c").ok()); },
       "input 'c' is used before its definition"},
      {"inserting a reader before its input's producer",
       [](GraphRewriter& rw) { rw.InsertBefore(0, Neg("c", "early")); },
       "input 'c' is used before its definition"},
      {"defining a value twice", [](GraphRewriter& rw) { rw.InsertBefore(3, Neg("x", "b")); },
       "value 'b' is defined more than once"},
      {"renaming an output to an initializer's name",
       [](GraphRewriter& rw) { rw.SetOutput(0, 0, "w"); }, "value 'w' is defined more than once"},
      {"erasing a graph output's producer", [](GraphRewriter& rw) { rw.Erase(3); },
       "graph output 'y' is not produced"},
      {"adding an initializer twice",
       [](GraphRewriter& rw) {
         onnx::TensorProto t;
         t.set_name("w");
         t.set_data_type(onnx::TensorProto::FLOAT);
         t.add_dims(1);
         t.add_float_data(2.0f);
         rw.AddInitializer(t);
       },
       "initializer 'w' is defined twice"},
  };
  for (const Case& c : cases) {
    onnx::ModelProto model = ParseModelOrDie(kChain);
    GraphIndex index(model.graph());
    GraphRewriter rw(*model.mutable_graph());
    c.edit(rw);
    rw.Commit(&index);
    EXPECT_EQ(index.FirstDifference(GraphIndex(model.graph())), "") << c.what;
    const absl::Status s = VerifyTouchedStructure(model, index);
    EXPECT_FALSE(s.ok()) << c.what;
    EXPECT_NE(std::string(s.message()).find(c.message), std::string::npos)
        << c.what << ": " << s.message();
    EXPECT_FALSE(VerifyModelStructure(model).ok()) << c.what;
  }
}

TEST(GraphIndexUpdateTest, TouchedNodesAreTheEditedOnesInTheirNewPlaces) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphIndex index(model.graph());
  GraphRewriter rw(*model.mutable_graph());
  // c reads b; forwarding b's readers to a touches c; the inserted node is
  // touched; the erasure of b moves c and y up by one.
  rw.InsertBefore(0, Neg("x", "m"));
  ASSERT_TRUE(rw.ReplaceAllUsesWith("b", "a").ok());
  rw.Erase(1);
  rw.Commit(&index);
  // Now: m(0) a(1) c(2) y(3).
  EXPECT_EQ(index.TouchedNodes(), (std::vector<int>{0, 2}));
  EXPECT_EQ(index.FirstDifference(GraphIndex(model.graph())), "");
  // A second commit renumbers the first one's touched nodes.
  GraphRewriter rw2(*model.mutable_graph());
  rw2.Erase(0);
  rw2.Commit(&index);
  EXPECT_EQ(index.TouchedNodes(), (std::vector<int>{1}));
  index.ClearTouched();
  EXPECT_TRUE(index.TouchedNodes().empty());
  EXPECT_FALSE(index.updated());
}

TEST(GraphIndexUpdateTest, InitializerTypesFollowInPlaceReshapes) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  onnx::GraphProto& g = *model.mutable_graph();
  GraphIndex index(g);
  ASSERT_EQ(index.Rank("w"), 1);
  ASSERT_NE(index.Type("w"), nullptr);  // synthesized from the tensor
  // A pass reshapes the tensor in place, then commits an unrelated edit.
  g.mutable_initializer(0)->add_dims(1);
  GraphRewriter rw(g);
  rw.Erase(3);
  rw.Commit(&index);
  ASSERT_NE(index.Type("w"), nullptr);
  EXPECT_EQ(index.Type("w")->tensor_type().shape().dim_size(), 2);
  EXPECT_EQ(index.FirstDifference(GraphIndex(g)), "");
}

TEST(GraphIndexUpdateTest, RefreshTypesRecordsWhatAFreshBuildDoes) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  onnx::GraphProto& g = *model.mutable_graph();
  GraphIndex index(g);
  ASSERT_EQ(index.Rank("w"), 1);  // synthesized from the tensor
  // Edits of types only: the initializer reshaped in place, value_info
  // written for a value (and for one no node mentions), the input pinned.
  g.mutable_initializer(0)->add_dims(1);
  for (const char* name : {"b", "ghost"}) {
    onnx::ValueInfoProto& vi = *g.add_value_info();
    vi.set_name(name);
    SetType(vi, 3);
  }
  g.mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_value(7);
  EXPECT_NE(index.FirstDifference(GraphIndex(g)), "");
  index.RefreshTypes();
  EXPECT_EQ(index.FirstDifference(GraphIndex(g)), "");
  EXPECT_EQ(index.Rank("w"), 2);
  EXPECT_EQ(index.Rank("b"), 3);
  EXPECT_EQ(index.StaticShape("x"), (std::vector<int64_t>{7}));
  // value_info replaced wholesale (the protos the index pointed into are
  // gone): the types follow the new entries.
  g.clear_value_info();
  onnx::ValueInfoProto& vi = *g.add_value_info();
  vi.set_name("c");
  SetType(vi, 2);
  index.RefreshTypes();
  EXPECT_EQ(index.FirstDifference(GraphIndex(g)), "");
  EXPECT_EQ(index.Type("b"), nullptr);
  EXPECT_EQ(index.Rank("c"), 2);
}

TEST(GraphIndexUpdateTest, FirstDifferenceNamesAStaleFact) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  onnx::GraphProto& g = *model.mutable_graph();
  GraphIndex index(g);
  // An edit outside a rewriter: the index no longer describes the graph.
  g.mutable_node(2)->set_input(0, "a");
  EXPECT_NE(index.FirstDifference(GraphIndex(g)), "");
}

}  // namespace
}  // namespace h8
