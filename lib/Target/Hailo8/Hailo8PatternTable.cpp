//===- Hailo8PatternTable.cpp - The multi-node patterns Hailo-8 judges ----===//
//
// One row per pattern: what it computes, where matching starts, its
// matcher (Hailo8PatternRules.cpp), how each profile takes it.
//
//===----------------------------------------------------------------------===//
#include "Hailo8RuleTables.h"

namespace h8 {
namespace hailo8 {

//===----------------------------------------------------------------------===//
// The pattern table
//===----------------------------------------------------------------------===//

const std::vector<PatternRule>& PatternRules() {
  static const auto* rules = new std::vector<PatternRule>{
      {"decomposed LayerNormalization",
       "LayerNormalization",
       "ReduceMean|GlobalAveragePool",
       MatchLayerNorm,
       {kNo, kIf},
       CheckPatternChannelAxis,
       "LayerNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, or use BatchNormalization"},
      {"decomposed RMSNormalization",
       "RMSNormalization",
       "Pow|Mul",
       MatchRmsNorm,
       {kNo, kIf},
       CheckPatternChannelAxis,
       "RMSNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, or use BatchNormalization"},
      {"decomposed Softmax",
       "Softmax",
       "Exp",
       MatchSoftmax,
       {kNo, kIf},
       CheckPatternChannelAxis,
       "Softmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"decomposed LogSoftmax",
       "LogSoftmax",
       "Exp",
       MatchLogSoftmax,
       {kNo, kIf},
       CheckPatternChannelAxis,
       "LogSoftmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"GroupNorm",
       "GroupNormalization",
       "InstanceNormalization",
       MatchGroupNorm,
       {kNo, kNo},
       nullptr,
       "GroupNorm (Reshape -> InstanceNormalization -> Reshape -> Mul -> Add) does not map "
       "to Hailo-8",
       "use BatchNormalization, or cut it off with --end-node-names"},
      {"Gelu", "Gelu", "Erf", MatchGelu, {kYes, kYes}, nullptr, "", ""},
  };
  return *rules;
}

}  // namespace hailo8
}  // namespace h8
