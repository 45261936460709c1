//===- Hailo8OpRules.cpp - The Hailo-8 op table and its checks ------------===//
//
// One row per op type (OpRules()) with its support under each profile, and
// the constraint functions the constrained rows name.
//
//===----------------------------------------------------------------------===//
#include "Hailo8RuleTables.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/TensorData.h"

namespace h8 {
namespace hailo8 {

//===----------------------------------------------------------------------===//
// Constraint checks named by the op table
//===----------------------------------------------------------------------===//

namespace {

int RankOf(const RuleContext& c, int slot) {
  if (slot >= c.node.input_size() || c.node.input(slot).empty()) return -1;
  return c.shapes.Rank(c.node.input(slot)).value_or(-1);
}

std::string AxesText(const std::vector<int64_t>& axes) {
  return absl::StrCat("[", absl::StrJoin(axes, ","), "]");
}

void CheckConv(const RuleContext& c, std::vector<Finding>& out) {
  const bool transpose = c.node.op_type() == "ConvTranspose";
  int rank = RankOf(c, 0);
  if (rank < 0) rank = RankOf(c, 1);  // the weight's rank is the input's
  if (rank == 3) {
    out.push_back({FindingLevel::kError,
                   absl::StrCat(c.node.op_type(),
                                " on a rank-3 tensor (1-D convolution): the parser misreads "
                                "channels as width"),
                   "run --lift-conv1d to rewrite it as a (1,k) 2-D convolution on [N,C,1,T]"});
  } else if (rank > 4) {
    out.push_back({FindingLevel::kError,
                   absl::StrCat(c.node.op_type(), " on a rank-", rank,
                                " tensor: Hailo-8 runs 2-D convolutions only"),
                   ""});
  } else if (rank < 0) {
    out.push_back({FindingLevel::kWarning, "cannot check: the rank of the input is unknown",
                   "run --infer-shapes (or --pin-shape) before check-hailo8"});
  }
  int64_t group = GetIntAttr(c.node, "group", 1);
  if (group != 1) {
    if (transpose) {
      out.push_back({FindingLevel::kError,
                     absl::StrCat("grouped ConvTranspose (group=", group,
                                  "): 'Super deconv is not supported with groups'"),
                     "run --flatten-groups"});
    } else if (c.profile == Profile::kDefault) {
      out.push_back({FindingLevel::kWarning,
                     absl::StrCat("grouped convolution (group=", group,
                                  ") has limited support on the users' toolchain"),
                     "run --flatten-groups (costs group x weights and MACs), or use "
                     "profile=dfc3.27 if you compile with DFC 3.27+"});
    }
  }
  if (!GetIntsAttr(c.node, "kernel_shape")) {
    out.push_back({FindingLevel::kError,
                   absl::StrCat(c.node.op_type(),
                                " without a kernel_shape attribute: the DFC parser expects it"),
                   "run legalize-hailo8 (or --hailo8), which writes it from the weight"});
  }
}

// MaxPool/AveragePool have no weight to take the window from: ONNX requires
// kernel_shape and so does the DFC parser.
void CheckPool(const RuleContext& c, std::vector<Finding>& out) {
  if (GetIntsAttr(c.node, "kernel_shape")) return;
  out.push_back({FindingLevel::kError,
                 absl::StrCat(c.node.op_type(),
                              " without a kernel_shape attribute (ONNX requires it; nothing "
                              "to infer it from)"),
                 "write kernel_shape, or use GlobalMaxPool/GlobalAveragePool for a pool over "
                 "the whole map"});
}

void CheckReduce(const RuleContext& c, std::vector<Finding>& out) {
  const std::string& op = c.node.op_type();
  int rank = RankOf(c, 0);
  auto axes = ReduceAxes(c.node, c.index, rank);
  int64_t keepdims = GetIntAttr(c.node, "keepdims", 1);
  if (!axes) {
    out.push_back({FindingLevel::kError,
                   absl::StrCat(op, " axes cannot be determined (",
                                rank < 0 ? "input rank unknown" : "axes are not constant",
                                "); Hailo-8 reduces only over the channel axis"),
                   "run --infer-shapes / --pin-shape first"});
    return;
  }
  bool channel = axes->size() == 1 && (*axes)[0] == 1;
  if (channel && keepdims == 1) return;
  std::string what = axes->empty() ? "all axes" : absl::StrCat("axes ", AxesText(*axes));
  std::string msg =
      absl::StrCat(op, " over ", what, channel ? "" : " (not the channel axis)",
                   keepdims == 1 ? "" : (channel ? " with keepdims=0" : ", keepdims=0"),
                   ": Hailo-8 reduces only on the features axis, with keepdims=1");
  std::string hint;
  bool spatial = rank >= 3 && !axes->empty() && (*axes)[0] >= 2;
  if (spatial && rank == 4) {
    // legalize-hailo8 needs every non-reduced spatial axis to be 1.
    const std::vector<int64_t>* dims = c.shapes.Dims(c.node.input(0));
    for (int64_t a = 2; a < 4 && dims != nullptr; ++a)
      if (std::find(axes->begin(), axes->end(), a) == axes->end() && (*dims)[a] != 1)
        spatial = false;
  }
  const onnx::NodeProto* producer = c.index.Producer(c.node.input(0));
  const bool behind_squeeze = rank == 3 && producer != nullptr && producer->op_type() == "Squeeze";
  if ((op == "ReduceMean" || op == "ReduceMax") && spatial)
    hint = rank == 4 || behind_squeeze
               ? "run --legalize-hailo8 (rewrites spatial means/maxes to "
                 "GlobalAveragePool/GlobalMaxPool)"
               : "run --lift-conv1d then --legalize-hailo8 (spatial reduction -> "
                 "GlobalAveragePool/GlobalMaxPool)";
  else hint = "reduce over axis 1 with keepdims=1, or cut it off with --end-node-names";
  out.push_back({FindingLevel::kError, msg, hint});
}

void CheckConcat(const RuleContext& c, std::vector<Finding>& out) {
  int rank = RankOf(c, 0);
  int64_t axis = GetIntAttr(c.node, "axis", 0);
  int64_t n = NormalizeAxis(axis, rank);
  if (n == 0) {
    out.push_back({FindingLevel::kError, "'Unsupported concat over axis batch' (axis 0)",
                   "concatenate over the channel axis, or run this on the host"});
  } else if (rank == 1) {
    out.push_back(
        {FindingLevel::kError, "concat of 1-D tensors: '1D form is not supported in layer'", ""});
  }
}

void CheckChannelAxisNorm(const RuleContext& c, std::vector<Finding>& out) {
  // dfc3.27: only over the channel axis of a 4-D tensor.
  const std::string& op = c.node.op_type();
  int rank = RankOf(c, 0);
  int64_t fallback = op == "LayerNormalization" ? -1 : (c.opset >= 13 ? -1 : 1);
  int64_t axis = NormalizeAxis(GetIntAttr(c.node, "axis", fallback), rank);
  if (rank == 4 && axis == 1) return;
  std::string where = rank < 0 ? "a tensor of unknown rank"
                               : absl::StrCat("axis ", axis, " of a rank-", rank, " tensor");
  out.push_back({FindingLevel::kError,
                 absl::StrCat(op, " over ", where,
                              ": DFC 3.27 maps it only over the channel axis (axis 1) of a "
                              "4-D tensor",
                              op == "LayerNormalization" ? "" : " (UnsupportedSoftmaxLayerError)"),
                 "compute it over axis 1 of a 4-D tensor, or cut it off with --end-node-names "
                 "and run it on the host"});
}

void CheckDiv(const RuleContext& c, std::vector<Finding>& out) {
  if (c.node.input_size() > 1 && IsConstantValue(c.index, c.node.input(1))) return;
  out.push_back({FindingLevel::kWarning, "Div by a computed tensor: Hailo-8 maps Div by a constant",
                 "divide by a constant, or multiply by a reciprocal computed upstream"});
}

void CheckPad(const RuleContext& c, std::vector<Finding>& out) {
  std::string mode = GetStringAttr(c.node, "mode", "constant");
  if (mode != "constant") {
    out.push_back({FindingLevel::kError,
                   absl::StrCat("Pad mode '", mode, "': Hailo-8 pads with constant zeros only"),
                   "use zero padding"});
    return;
  }
  if (c.node.input_size() > 2 && !c.node.input(2).empty()) {
    auto v = ConstantFloats(c.index, c.node.input(2));
    if (!v || (!v->empty() && (*v)[0] != 0.0))
      out.push_back({FindingLevel::kError, "Pad with a non-zero constant value",
                     "Hailo-8 pads with constant zeros only"});
  }
}

void CheckResize(const RuleContext& c, std::vector<Finding>& out) {
  std::string mode = GetStringAttr(c.node, "mode", "nearest");
  if (mode == "nearest" || mode == "linear" || mode == "bilinear") return;
  out.push_back({FindingLevel::kError,
                 absl::StrCat("Resize mode '", mode, "': Hailo-8 supports nearest and bilinear"),
                 "use mode nearest or linear"});
}

}  // namespace

//===----------------------------------------------------------------------===//
// The op table
//===----------------------------------------------------------------------===//

const std::vector<OpRule>& OpRules() {
  //  op                 default dfc3.27 check        message  hint
  static const auto* rules = new std::vector<OpRule>{
      {"Conv", {kIf, kIf}, CheckConv, "", ""},
      {"ConvTranspose", {kIf, kIf}, CheckConv, "", ""},
      {"MaxPool", {kIf, kIf}, CheckPool, "", ""},
      {"AveragePool", {kIf, kIf}, CheckPool, "", ""},
      {"GlobalAveragePool", {kYes, kYes}, nullptr, "", ""},
      {"GlobalMaxPool", {kYes, kYes}, nullptr, "", ""},
      {"BatchNormalization", {kYes, kYes}, nullptr, "", ""},
      {"InstanceNormalization", {kYes, kYes}, nullptr, "", ""},
      {"MatMul", {kYes, kYes}, nullptr, "", ""},
      {"Gemm", {kYes, kYes}, nullptr, "", ""},
      {"Add", {kYes, kYes}, nullptr, "", ""},
      {"Sub", {kYes, kYes}, nullptr, "", ""},
      {"Mul", {kYes, kYes}, nullptr, "", ""},
      {"Div", {kIf, kIf}, CheckDiv, "", ""},
      {"Relu", {kYes, kYes}, nullptr, "", ""},
      {"LeakyRelu", {kYes, kYes}, nullptr, "", ""},
      {"PRelu", {kYes, kYes}, nullptr, "", ""},
      {"Sigmoid", {kYes, kYes}, nullptr, "", ""},
      {"Tanh", {kYes, kYes}, nullptr, "", ""},
      {"Elu", {kYes, kYes}, nullptr, "", ""},
      {"HardSwish", {kYes, kYes}, nullptr, "", ""},
      {"HardSigmoid", {kYes, kYes}, nullptr, "", ""},
      // Gelu (opset 20) and Mish (opset 18) are past what the DFC 3.x line
      // parses (opset <= 17) on either profile; convert-opset rewrites them
      // to the Erf / Softplus-Tanh forms at opset <= 17.
      {"Gelu",
       {kNo, kNo},
       nullptr,
       "Gelu (opset 20) is not native on the users' Hailo-8 toolchain (the DFC 3.x line "
       "parses opset <= 17)",
       kDecomposeHint},
      {"Mish",
       {kNo, kNo},
       nullptr,
       "Mish (opset 18) is not native on the users' Hailo-8 toolchain (the DFC 3.x line "
       "parses opset <= 17)",
       kDecomposeHint},
      {"Clip", {kYes, kYes}, nullptr, "", ""},
      {"Pad", {kIf, kIf}, CheckPad, "", ""},
      {"Resize", {kIf, kIf}, CheckResize, "", ""},
      {"DepthToSpace", {kYes, kYes}, nullptr, "", ""},
      {"SpaceToDepth", {kYes, kYes}, nullptr, "", ""},
      {"Concat", {kIf, kIf}, CheckConcat, "", ""},
      {"Reshape", {kYes, kYes}, nullptr, "", ""},
      {"Transpose", {kYes, kYes}, nullptr, "", ""},
      {"Flatten", {kYes, kYes}, nullptr, "", ""},
      {"Squeeze", {kYes, kYes}, nullptr, "", ""},
      {"Unsqueeze", {kYes, kYes}, nullptr, "", ""},
      {"Slice", {kYes, kYes}, nullptr, "", ""},
      {"Split", {kYes, kYes}, nullptr, "", ""},
      {"Identity", {kYes, kYes}, nullptr, "", ""},
      {"Dropout", {kYes, kYes}, nullptr, "", ""},
      {"Constant", {kYes, kYes}, nullptr, "", ""},
      {"ReduceMean", {kIf, kIf}, CheckReduce, "", ""},
      {"ReduceMax", {kIf, kIf}, CheckReduce, "", ""},
      {"ReduceSum", {kIf, kIf}, CheckReduce, "", ""},
      {"LayerNormalization",
       {kNo, kIf},
       CheckChannelAxisNorm,
       "LayerNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, use BatchNormalization, or "
       "profile=dfc3.27 for a channel-axis LayerNorm"},
      {"Softmax",
       {kNo, kIf},
       CheckChannelAxisNorm,
       "Softmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host (or profile=dfc3.27 for a "
       "channel-axis Softmax)"},
      {"LogSoftmax",
       {kNo, kIf},
       CheckChannelAxisNorm,
       "LogSoftmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"Erf",
       {kNo, kNo},
       nullptr,
       "standalone Erf: 'Unexpected activation ..., op=Erf' (only the Gelu pattern "
       "x*0.5*(1+Erf(x/sqrt(2))) maps)",
       "write the exact GELU pattern x*0.5*(1+Erf(x/sqrt(2))) (any operand order), or cut it "
       "off with --end-node-names"},
      {"LSTM", {kNo, kNo}, nullptr, "LSTM: 'UnsupportedOperationError'", kHostHint},
      {"GRU", {kNo, kNo}, nullptr, "GRU: 'UnsupportedOperationError'", kHostHint},
      {"RNN", {kNo, kNo}, nullptr, "RNN: 'UnsupportedOperationError'", kHostHint},
      {"Gather", {kNo, kNo}, nullptr, "Gather is not supported", kHostHint},
      {"GatherElements", {kNo, kNo}, nullptr, "GatherElements is not supported", kHostHint},
      {"GatherND", {kNo, kNo}, nullptr, "GatherND is not supported", kHostHint},
      {"ScatterND", {kNo, kNo}, nullptr, "ScatterND is not supported", kHostHint},
      {"ScatterElements", {kNo, kNo}, nullptr, "ScatterElements is not supported", kHostHint},
      {"Scatter", {kNo, kNo}, nullptr, "Scatter is not supported", kHostHint},
      {"TopK", {kNo, kNo}, nullptr, "'TopK operation is unsupported'", kHostHint},
      {"NonZero", {kNo, kNo}, nullptr, "NonZero is not supported", kHostHint},
      {"Where", {kNo, kNo}, nullptr, "Where is not supported", kHostHint},
      {"Expand", {kNo, kNo}, nullptr, "Expand is not supported", kHostHint},
      {"Mod", {kNo, kNo}, nullptr, "Mod is not supported", kHostHint},
      {"CumSum", {kNo, kNo}, nullptr, "CumSum is not supported", kHostHint},
      {"ArgMax", {kNo, kNo}, nullptr, "ArgMax is not supported", kHostHint},
      {"ArgMin", {kNo, kNo}, nullptr, "ArgMin is not supported", kHostHint},
      {"NonMaxSuppression", {kNo, kNo}, nullptr, "NonMaxSuppression is not supported", kHostHint},
      {"Loop", {kNo, kNo}, nullptr, "control flow (Loop) is not supported", kHostHint},
      {"If", {kNo, kNo}, nullptr, "control flow (If) is not supported", kHostHint},
      {"Scan", {kNo, kNo}, nullptr, "control flow (Scan) is not supported", kHostHint},
      {"GroupNormalization",
       {kNo, kNo},
       nullptr,
       "GroupNormalization (opset 18) does not map to Hailo-8 on either toolchain",
       kHostHint},
      {"RMSNormalization",
       {kNo, kNo},
       nullptr,
       "RMSNormalization (opset 23) does not map to Hailo-8 on either toolchain",
       kHostHint},
      {"Attention",
       {kNo, kNo},
       nullptr,
       "Attention (opset 23) does not map to Hailo-8 on either toolchain",
       kHostHint},
      {"Shape",
       {kNo, kNo},
       nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'",
       kDynHint},
      {"ConstantOfShape",
       {kNo, kNo},
       nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'",
       kDynHint},
      {"Range",
       {kNo, kNo},
       nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'",
       kDynHint},
  };
  return *rules;
}

}  // namespace hailo8
}  // namespace h8
