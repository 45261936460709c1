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

}  // namespace hailo8
}  // namespace h8

#endif  // H8_LIB_TARGET_HAILO8_HAILO8RULETABLES_H
