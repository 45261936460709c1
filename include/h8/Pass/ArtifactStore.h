//===- ArtifactStore.h - Typed results passes leave for others --*- C++ -*-===//
//
// What a pass produces besides the rewritten model (lift-conv1d's interface
// change, check-hailo8's verdicts, split-hailo8's host model) is an
// artifact: a plain struct, declared in a header next to the pass that
// produces it, and kept in the run's ArtifactStore under its type:
//
//   struct SplitHostModel {
//     static constexpr absl::string_view kArtifactKey = "split-hailo8.host-model";
//     ...
//   };
//   ctx.artifacts().Set(SplitHostModel{...});
//   if (const auto* host = ctx.artifacts().Get<SplitHostModel>()) ...
//
// The generic pass headers name no artifact, so a new one changes no
// plugin ABI. The key is a string, not an address, so the host and a
// plugin that declares the same struct agree on it; the stored type is
// checked too (a key reused by another type reads as absent).
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_ARTIFACTSTORE_H
#define H8_PASS_ARTIFACTSTORE_H

#include <memory>
#include <string>
#include <typeinfo>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace h8 {

class ArtifactStore {
 public:
  /// Whether an artifact of type T was stored.
  template <typename T>
  bool Has() const {
    return Get<T>() != nullptr;
  }

  /// The stored T, or nullptr when there is none.
  template <typename T>
  const T* Get() const {
    auto it = entries_.find(T::kArtifactKey);
    if (it == entries_.end() || *it->second.type != typeid(T)) return nullptr;
    return static_cast<const T*>(it->second.value.get());
  }
  template <typename T>
  T* GetMutable() {
    return const_cast<T*>(static_cast<const ArtifactStore&>(*this).Get<T>());
  }

  /// The stored T, default-constructed first when there is none.
  template <typename T>
  T& GetOrCreate() {
    if (T* value = GetMutable<T>()) return *value;
    return Set(T());
  }

  /// Stores `value`, replacing any T stored before.
  template <typename T>
  T& Set(T value) {
    auto owned = std::make_shared<T>(std::move(value));
    T& ref = *owned;
    entries_[std::string(T::kArtifactKey)] = Entry{&typeid(T), std::move(owned)};
    return ref;
  }

  template <typename T>
  void Erase() {
    entries_.erase(T::kArtifactKey);
  }

 private:
  struct Entry {
    const std::type_info* type;
    std::shared_ptr<void> value;
  };
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace h8

#endif  // H8_PASS_ARTIFACTSTORE_H
