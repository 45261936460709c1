//===- Hailo8RuleTables.h - Words of the two rule tables ------------------===//
//
// The support levels and hints both tables (Hailo8OpRules.cpp,
// Hailo8PatternRules.cpp) are written in.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_TARGET_HAILO8_HAILO8RULETABLES_H
#define H8_LIB_TARGET_HAILO8_HAILO8RULETABLES_H

#include "h8/Target/Hailo8/Hailo8Rules.h"

namespace h8 {
namespace hailo8 {

constexpr OpSupport kYes = OpSupport::kSupported;
constexpr OpSupport kIf = OpSupport::kConstrained;
constexpr OpSupport kNo = OpSupport::kUnsupported;

const char* const kHostHint = "cut it off with --end-node-names and run it on the host";
const char* const kDecomposeHint = "--hailo8 / convert-opset decomposes it";
const char* const kDynHint = "run --pin-shape (it folds shape plumbing) or --fold-constants";

// The pattern matchers and their check (Hailo8PatternRules.cpp), named by
// the pattern table (Hailo8PatternTable.cpp).
std::optional<PatternMatch> MatchLayerNorm(int root, const GraphIndex& index,
                                           const ShapeFacts& shapes);
std::optional<PatternMatch> MatchRmsNorm(int root, const GraphIndex& index,
                                         const ShapeFacts& shapes);
std::optional<PatternMatch> MatchSoftmax(int root, const GraphIndex& index,
                                         const ShapeFacts& shapes);
std::optional<PatternMatch> MatchLogSoftmax(int root, const GraphIndex& index,
                                            const ShapeFacts& shapes);
std::optional<PatternMatch> MatchGroupNorm(int root, const GraphIndex& index,
                                           const ShapeFacts& shapes);
std::optional<PatternMatch> MatchGelu(int root, const GraphIndex& index, const ShapeFacts& shapes);
/// dfc3.27: a LayerNorm/Softmax pattern runs over the channel axis of a
/// 4-D tensor only.
void CheckPatternChannelAxis(const PatternMatch& m, const ShapeFacts& shapes, Profile profile,
                             std::vector<Finding>& out);

}  // namespace hailo8
}  // namespace h8

#endif  // H8_LIB_TARGET_HAILO8_HAILO8RULETABLES_H
