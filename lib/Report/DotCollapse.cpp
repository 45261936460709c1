//===- DotCollapse.cpp - Folding repeated op sequences in drawings --------===//
//
// Graphs above DotAnnotations::collapse_above nodes are drawn collapsed: a
// run of at least two copies of one op-type sequence (period 1 to 16)
// becomes one box "A > B x N". The scan is greedy from the first node: at
// each position the period covering the most nodes wins (the shortest on
// ties), then the scan continues after the run. Nodes owning subgraphs
// never fold, so their bodies stay drawn.
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "DotInternal.h"
#include "absl/strings/str_cat.h"

namespace h8 {
namespace dot {
namespace {

constexpr int kMaxPeriod = 16;

}  // namespace

std::vector<int> FoldRepeats(const onnx::GraphProto& g, std::vector<Group>& groups) {
  const int n = g.node_size();
  std::vector<int> group_of(n, -1);
  std::vector<std::string> ops(n);
  for (int i = 0; i < n; ++i) {
    const auto& node = g.node(i);
    // A key of its own for a node owning subgraphs: it matches nothing.
    ops[i] = HasSubgraph(node) ? absl::StrCat("\x1f", i)
                               : absl::StrCat(node.domain(), "::", node.op_type());
  }
  int i = 0;
  while (i < n) {
    int best_len = 0, best_p = 0;
    for (int p = 1; p <= kMaxPeriod && i + 2 * p <= n; ++p) {
      int r = 1;
      while (i + (r + 1) * p <= n &&
             std::equal(ops.begin() + i, ops.begin() + i + p, ops.begin() + i + r * p))
        ++r;
      if (r >= 2 && r * p > best_len) {
        best_len = r * p;
        best_p = p;
      }
    }
    if (best_len == 0) {
      ++i;
      continue;
    }
    groups.push_back(Group{i, best_p, best_len / best_p});
    for (int k = i; k < i + best_len; ++k) group_of[k] = static_cast<int>(groups.size()) - 1;
    i += best_len;
  }
  return group_of;
}

}  // namespace dot
}  // namespace h8
