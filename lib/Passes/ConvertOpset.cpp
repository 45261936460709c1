//===- ConvertOpset.cpp - Exact ai.onnx opset up/down conversion ----------===//
//
// convert-opset{target=N} rewrites a model importing ai.onnx opset S (10..23)
// into the same computation at opset N (10..23), exactly, or fails naming
// every node that has no exact form at N (exit 1; the model is untouched).
// Current exporters write opset 18-20; the Hailo-8 toolchain reads <= 17 and
// its model zoo uses 11, hence the down direction matters most.
//
// How: a table gives, for every ai.onnx op, the opset it appeared in and
// each later version in 11..23 with what changed there. Converting S -> N
// crosses the versions between them; per crossed version of a node:
//   types    only element types were added: exact unless the node reads or
//            writes one of them (bfloat16, float8, int4, float4 always
//            count; some versions list small ints, e.g. Add-14 int8).
//   neutral  wording only.
//   attr     a new optional attribute: down, it must be absent or hold its
//            default (then it is dropped); e.g. ArgMax select_last_index,
//            AveragePool-19 dilations, LSTM/GRU/RNN layout, Cast saturate.
//   negaxis  opset 11 allowed negative axes: down to 10 they are made
//            non-negative with the rank from the shape analysis.
//   form     an input/attribute form change, done by ConvertOpsetForms.cpp:
//     Reduce{Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare}-18 and
//       ReduceSum-13: constant `axes` input <-> attribute; no axes -> no
//       attribute; noop_with_empty_axes=1 without axes -> Identity.
//     Split-13/18: `num_outputs` -> explicit sizes (last chunk smaller, as
//       Split-18 defines; needs a static axis length), sizes as an input
//       from 13 and as an attribute below; up to 18 without sizes ->
//       num_outputs.
//     Squeeze/Unsqueeze-13: axes attribute <-> constant input.
//     Pad-11/18/19: `axes` input -> full-rank pads (needs the rank); below
//       11 pads/value as attributes; mode 'wrap' refused below 19.
//     Clip-11: min/max attributes <-> constant scalar inputs.
//     Softmax/LogSoftmax/Hardmax-13: before 13 they coerce the input to 2-D
//       at `axis`. Down: exact only for the last axis (axis=rank-1 is set);
//       other axes are refused. Up: the last axis keeps one node, others
//       become Shape/Flatten/Softmax(axis=1)/Reshape.
//     Constant-12: value_float(s)/value_int(s)/value_string(s) -> value.
//     Reshape-14: allowzero=1 dropped when the shape constant has no 0.
//     Resize-13/18/19: empty roi/scales get empty initializers below 13;
//       antialias/axes/keep_aspect_ratio_policy must be defaults below 18;
//       half_pixel_symmetric refused below 19.
//     Gemm-11: a missing C becomes a zero scalar below 11.
//     Gather-11: below 11 indices must be constant and non-negative.
//   refuse   the semantics changed (Resize-10/11 coordinates, GroupNorm-21
//            scale/bias, DFT-20, GridSample-20, Quantize/DequantizeLinear-13
//            per-axis form, Dropout-12 ratio input, RoiAlign-16 default,
//            Scatter-11).
// An op that does not exist at N is refused unless it has a decomposition:
// Gelu-20 -> Div(x, sqrt 2)/Erf/Add(1)/Mul(x)/Mul(0.5), the order Hailo's
// parser fuses as GELU (tanh approximation: the tanh formula); Mish-18 ->
// Mul(x, Tanh(Softplus(x))). LayerNormalization (< 17), GroupNormalization,
// RMSNormalization, Attention and the like are refused by name. Element
// types newer than N anywhere in the graphs (float8 < 19, int4/uint4 < 21,
// float4e2m1 < 23, bfloat16 < 13) are refused by name.
//
// If/Loop/Scan bodies are converted too. New constants are initializers
// with fresh names; graph inputs, outputs and initializers keep their names
// (an input that became unused, e.g. an axes initializer, stays for
// cleanup). ir_version is lowered to what N pairs with (6 for 11, 7 for 13,
// 8 for 17) when higher, and raised to it when lower. Models with
// model-local functions are refused (their bodies are not converted).
//
// Before (opset 18):  m = ReduceMean <keepdims = 0> (x, axes)   # axes = [2]
// After (opset 17):   m = ReduceMean <keepdims = 0, axes = [2]> (x)
//
//===----------------------------------------------------------------------===//
#include "ConvertOpset.h"

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/Passes/Passes.h"
#include "h8/Target/Hailo8/Hailo8Rules.h"

namespace h8 {
namespace {

using convert_opset::Converter;
using convert_opset::Ctx;

constexpr int64_t kMinOpset = 10;
constexpr int64_t kMaxOpset = 23;

enum class Kind { kTypes, kNeutral, kAttr, kNegAxis, kForm, kRefuse };

struct Change {
  int version;
  Kind kind;
  // kTypes: added non-exotic type names ("int8,uint8"); kAttr:
  // "name=default" ("1*": all ones); kNegAxis: the attribute; kRefuse: why.
  const char* arg = "";
};

struct OpHistory {
  int since;
  std::vector<Change> changes;
};

Change T(int v, const char* added = "") { return {v, Kind::kTypes, added}; }
Change N(int v) { return {v, Kind::kNeutral}; }
Change A(int v, const char* attr) { return {v, Kind::kAttr, attr}; }
Change Neg(const char* attr) { return {11, Kind::kNegAxis, attr}; }
Change F(int v) { return {v, Kind::kForm}; }
Change R(int v, const char* why) { return {v, Kind::kRefuse, why}; }

constexpr const char* kSmallInts = "int8,int16,uint8,uint16";

// Versions of every ai.onnx op: the opset it appeared in, then each change
// in 11..23 (earlier ones only matter through `since`).
const absl::flat_hash_map<std::string, OpHistory>& OpTable() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, OpHistory>();
    auto add = [&](const char* op, int since, std::vector<Change> changes = {}) {
      (*t)[op] = {since, std::move(changes)};
    };
    // Element-wise math and activations.
    for (const char* op : {"Abs", "Ceil", "Exp", "Floor", "Log", "Neg", "Reciprocal", "Sigmoid",
                           "Sqrt", "Tanh", "Erf", "Sign", "Mean", "Sum", "MatMul", "Expand",
                           "Tile", "LRN", "IsNaN", "Mod", "SpaceToDepth", "NonZero",
                           "MeanVarianceNormalization", "Greater", "Less"}) {
      add(op, 1, {T(13)});
    }
    (*t)["Erf"].since = (*t)["Sign"].since = (*t)["IsNaN"].since = 9;
    (*t)["NonZero"].since = (*t)["MeanVarianceNormalization"].since = 9;
    (*t)["Mod"].since = 10;
    (*t)["Expand"].since = 8;
    (*t)["Tile"].since = 6;
    (*t)["IsNaN"].changes.push_back(T(20));
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) add(op, 1, {T(13), T(14, kSmallInts)});
    add("Relu", 1, {T(13), T(14, "int8,int16,int32,int64")});
    add("Pow", 1, {T(12, "int32,int64"), T(13), T(15)});
    for (const char* op : {"Max", "Min"})
      add(op, 1, {T(12, "int8,int16,int32,int64,uint8,uint16,uint32,uint64"), T(13)});
    for (const char* op : {"Acos", "Asin", "Atan", "Cos", "Sin", "Tan", "Multinomial"})
      add(op, 7, {T(22)});
    for (const char* op : {"Acosh", "Asinh", "Atanh", "Cosh", "Sinh", "EyeLike"})
      add(op, 9, {T(22)});
    for (const char* op :
         {"Elu", "HardSigmoid", "Selu", "Softplus", "Softsign", "InstanceNormalization",
          "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "LpNormalization", "MaxRoiPool",
          "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"})
      add(op, 1, {T(22)});
    add("ThresholdedRelu", 10, {T(22)});
    add("HardSwish", 14, {T(22)});
    add("Mish", 18, {T(22)});
    add("Gelu", 20);
    add("Celu", 12);
    add("LeakyRelu", 1, {T(16)});
    add("PRelu", 1, {T(16)});
    add("Where", 9, {T(16)});
    for (const char* op : {"And", "Or", "Xor", "Not"}) add(op, 1);
    add("Equal", 1, {T(11, "float,double,float16,int8,int16,uint8,uint16,uint32,uint64"), T(13),
                     T(19, "string")});
    add("GreaterOrEqual", 12, {T(16)});
    add("LessOrEqual", 12, {T(16)});
    add("BitShift", 11);
    for (const char* op : {"BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor"}) add(op, 18);
    add("IsInf", 10, {T(20)});
    add("Round", 11, {T(22)});
    add("Det", 11, {T(22)});
    add("Shrink", 9);
    add("Einsum", 12);
    add("CumSum", 11, {T(14)});
    add("Range", 11);
    add("Trilu", 14);
    // Convolution, pooling, normalization, recurrent.
    add("Conv", 1, {N(11), T(22)});
    add("ConvTranspose", 1, {N(11), T(22)});
    add("DeformConv", 19, {T(22)});
    add("AveragePool", 1, {N(11), A(19, "dilations=1*"), T(22)});
    add("MaxPool", 1, {N(11), T(12, "int8,uint8"), T(22)});
    add("LpPool", 2, {N(11), A(18, "ceil_mode=0"), A(18, "dilations=1*"), T(22)});
    add("MaxUnpool", 9, {N(11), T(22)});
    add("BatchNormalization", 1, {A(14, "training_mode=0"), T(15)});
    add("LayerNormalization", 17);
    add("GroupNormalization", 18,
        {R(21, "GroupNormalization-21 takes per-channel scale/bias, -18 per-group")});
    add("RMSNormalization", 23);
    add("Attention", 23);
    add("RotaryEmbedding", 23);
    for (const char* op : {"LSTM", "GRU", "RNN"}) add(op, 1, {A(14, "layout=0"), T(22)});
    add("Dropout", 1, {R(12, "Dropout-12 takes ratio as an input"), T(13), T(22)});
    // Tensor plumbing.
    add("Identity", 1, {T(13), T(14), T(16), T(19), T(21), T(23)});
    add("Cast", 1, {T(13), A(19, "saturate=1"), T(21), T(23)});
    add("CastLike", 15, {A(19, "saturate=1"), T(21), T(23)});
    add("Constant", 1, {A(11, "sparse_value=-"), F(12), T(13), T(19), T(21), T(23)});
    add("ConstantOfShape", 9, {T(20), T(21), T(23)});
    add("Reshape", 5, {T(13), F(14), T(19), T(21), T(23)});
    add("Shape", 1, {T(13), A(15, "start=0"), A(15, "end=-"), T(19), T(21), T(23)});
    add("Size", 1, {T(13), T(19), T(21), T(23)});
    add("Flatten", 1, {Neg("axis"), T(13), T(21), T(23)});
    add("Transpose", 1, {T(13), T(21), T(23)});
    add("Squeeze", 1, {Neg("axes"), F(13), T(21), T(23)});
    add("Unsqueeze", 1, {Neg("axes"), F(13), T(21), T(23)});
    add("Concat", 1, {Neg("axis"), T(13)});
    add("Split", 2, {Neg("axis"), F(13), F(18)});
    add("Slice", 10, {R(11, "Slice-11 allows negative axes and changed clamping"), T(13)});
    add("Gather", 1, {Neg("axis"), F(11), T(13)});
    add("GatherElements", 11, {T(13)});
    add("GatherND", 11, {A(12, "batch_dims=0"), T(13)});
    add("ScatterElements", 11, {T(13), A(16, "reduction=none"),
                                R(18, "reduction min/max need ScatterElements-18")});
    add("ScatterND", 11, {T(13), A(16, "reduction=none"),
                          R(18, "reduction min/max need ScatterND-18")});
    add("Scatter", 9, {R(11, "Scatter is deprecated from opset 11 (use ScatterElements)")});
    add("Compress", 9, {Neg("axis")});
    add("OneHot", 9, {Neg("axis")});
    add("DepthToSpace", 1, {A(11, "mode=DCR"), T(13)});
    add("Pad", 2, {F(11), T(13), F(18), F(19), T(21), T(23)});
    add("Clip", 1, {F(11), T(12, "int8,int16,int32,int64,uint8,uint16,uint32,uint64"), T(13)});
    add("Resize", 10, {R(11, "Resize-10 and -11 compute coordinates differently"), F(13), F(18),
                       F(19)});
    add("Upsample", 7, {R(10, "Upsample is deprecated from opset 10")});
    add("TopK", 1, {Neg("axis"), A(11, "largest=1"), A(11, "sorted=1")});
    add("ArgMax", 1, {Neg("axis"), A(12, "select_last_index=0"), T(13)});
    add("ArgMin", 1, {Neg("axis"), A(12, "select_last_index=0"), T(13)});
    add("Hardmax", 1, {Neg("axis"), F(13)});
    add("Softmax", 1, {Neg("axis"), F(13)});
    add("LogSoftmax", 1, {Neg("axis"), F(13)});
    add("Gemm", 1, {F(11), T(13)});
    add("Einsum", 12);
    add("GridSample", 16, {R(20, "GridSample-20 renamed its modes and went N-D"), T(22)});
    add("AffineGrid", 20);
    add("RoiAlign", 10, {R(16, "RoiAlign-16 changed the default coordinate mode"), T(22)});
    add("NonMaxSuppression", 10, {N(11)});
    add("ReverseSequence", 10);
    add("Unique", 11);
    add("CenterCropPad", 18);
    add("Col2Im", 18);
    // Reductions: negative axes from 11, axes as an input from 18 (13 for
    // ReduceSum).
    for (const char* op : {"ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                           "ReduceLogSumExp", "ReduceSumSquare"})
      add(op, 1, {Neg("axes"), T(13), F(18)});
    for (const char* op : {"ReduceMax", "ReduceMin"})
      add(op, 1, {Neg("axes"), T(12, "int8,uint8"), T(13), F(18), T(20, "bool")});
    add("ReduceSum", 1, {Neg("axes"), F(13)});
    // Control flow (bodies are converted separately).
    add("If", 1, {N(11), T(13), T(16), T(19), T(21), T(23)});
    add("Loop", 1, {N(11), T(13), T(16), T(19), T(21), T(23)});
    add("Scan", 8, {N(11), T(16), T(19), T(21), T(23)});
    // Quantization.
    add("QuantizeLinear", 10, {R(13, "QuantizeLinear-13 added per-axis scales"),
                               A(19, "saturate=1"), R(21, "QuantizeLinear-21 added blocks"),
                               T(23)});
    add("DequantizeLinear", 10, {R(13, "DequantizeLinear-13 added per-axis scales"), T(19),
                                 R(21, "DequantizeLinear-21 added blocks"), T(23)});
    add("DynamicQuantizeLinear", 11);
    for (const char* op : {"ConvInteger", "MatMulInteger", "QLinearConv"}) add(op, 10);
    add("QLinearMatMul", 10, {T(21)});
    // Sequences, optionals, signal, strings, training.
    for (const char* op : {"SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase",
                           "SequenceInsert", "SequenceLength", "SplitToSequence",
                           "ConcatFromSequence"})
      add(op, 11);
    add("SequenceMap", 17);
    add("Optional", 15);
    add("OptionalGetElement", 15, {T(18)});
    add("OptionalHasElement", 15, {T(18)});
    for (const char* op : {"STFT", "BlackmanWindow", "HammingWindow", "HannWindow",
                           "MelWeightMatrix"})
      add(op, 17);
    add("DFT", 17, {R(20, "DFT-20 takes the axis as an input")});
    add("StringNormalizer", 10);
    add("TfIdfVectorizer", 9);
    for (const char* op : {"StringConcat", "StringSplit", "RegexFullMatch", "ImageDecoder"})
      add(op, 20);
    add("Bernoulli", 15, {T(22)});
    add("NegativeLogLikelihoodLoss", 12, {T(13), T(22)});
    add("SoftmaxCrossEntropyLoss", 12, {T(13)});
    return t;
  }();
  return *table;
}

// ir_version each opset pairs with (onnx/helper.py VERSION_TABLE).
int64_t IrVersionFor(int64_t opset) {
  if (opset <= 10) return 5;
  if (opset == 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

// Opset from which an element type exists for ops at all; 0 for classic
// types. bfloat16 is accepted by most ops from 13 (per-op additions up to
// 22 are checked by the `types` versions).
int64_t TypeSince(int32_t type) {
  switch (type) {
    case onnx::TensorProto::BFLOAT16: return 13;
    case 17: case 18: case 19: case 20: return 19;  // float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz
    case 21: case 22: return 21;                     // uint4, int4
    case 23: return 23;                              // float4e2m1
    default: return 0;
  }
}

bool IsExotic(int32_t type) { return TypeSince(type) != 0; }

bool AttrIsDefault(const onnx::AttributeProto& a, absl::string_view value) {
  if (value == "1*") {
    for (int64_t v : a.ints())
      if (v != 1) return false;
    return true;
  }
  if (a.type() == onnx::AttributeProto::STRING) return a.s() == value;
  int64_t v;
  return a.type() == onnx::AttributeProto::INT && absl::SimpleAtoi(value, &v) && a.i() == v;
}

std::string AttrText(const onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::INT: return absl::StrCat(a.i());
    case onnx::AttributeProto::STRING: return absl::StrCat("'", a.s(), "'");
    case onnx::AttributeProto::INTS: return absl::StrCat("[", absl::StrJoin(a.ints(), ","), "]");
    default: return "(set)";
  }
}

class ConvertOpsetPass : public Pass {
 public:
  explicit ConvertOpsetPass(const ConvertOpsetOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "convert-opset"; }

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    const int64_t from = OnnxOpsetVersion(model);
    const int64_t to = options_.target;
    if (from == 0) return absl::FailedPreconditionError("the model imports no ai.onnx opset");
    if (from < kMinOpset || from > kMaxOpset)
      return absl::FailedPreconditionError(absl::StrCat(
          "the model's ai.onnx opset ", from, " is outside the converted range ", kMinOpset,
          "..", kMaxOpset));
    if (from == to) return false;
    if (model.functions_size() > 0)
      return absl::FailedPreconditionError(absl::StrCat(
          "the model has ", model.functions_size(), " model-local functions (first '",
          model.functions(0).name(), "'); their bodies are not converted: inline them first"));

    Converting run{model, ctx, from, to, ShapeAnalysis(model), NameUniquer(model), {}};
    run.ConvertGraph(*model.mutable_graph(), "", {});
    if (run.refused > 0)
      return absl::FailedPreconditionError(absl::StrCat(
          run.refused, " node", run.refused == 1 ? " has" : "s have", " no exact form at opset ",
          to, " (each error above names one)"));
    // The analysis reads the unchanged model until here; commit children
    // before their parents so no rewriter outlives its graph.
    for (auto& rewriter : run.rewriters) rewriter->Commit();
    for (auto& op : *model.mutable_opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") op.set_version(to);
    const int64_t ir = IrVersionFor(to);
    if ((to < from && model.ir_version() > ir) || (to > from && model.ir_version() < ir))
      model.set_ir_version(ir);
    ctx.Stat("nodes-rewritten", run.rewritten);
    return true;
  }

 private:
  struct Converting {
    onnx::ModelProto& model;
    PassContext& ctx;
    int64_t from, to;
    ShapeAnalysis shapes;
    NameUniquer names;
    std::vector<std::unique_ptr<GraphRewriter>> rewriters;
    int refused = 0;
    int rewritten = 0;

    void ConvertGraph(onnx::GraphProto& graph, const std::string& path,
                      std::vector<const GraphIndex*> outer);
    void CheckDeclaredTypes(const onnx::GraphProto& graph, const std::string& path);
    std::string CheckNode(const onnx::NodeProto& node, const OpHistory& history, Ctx& c,
                          onnx::NodeProto& edited, std::vector<onnx::NodeProto>& before);
    std::string ApplyGeneric(const Change& ch, Ctx& c, onnx::NodeProto& node);
  };

  ConvertOpsetOptions options_;
};

void ConvertOpsetPass::Converting::CheckDeclaredTypes(const onnx::GraphProto& graph,
                                               const std::string& path) {
  auto check = [&](const std::string& name, int32_t type, const char* what) {
    if (TypeSince(type) <= to) return;
    ++refused;
    ctx.Error(nullptr, -1, path) << what << " '" << name << "' has element type "
                                 << ElementTypeName(type) << ", which opset " << to
                                 << " does not have (from " << TypeSince(type) << ")";
  };
  auto check_info = [&](const onnx::ValueInfoProto& v, const char* what) {
    if (v.type().has_tensor_type()) check(v.name(), v.type().tensor_type().elem_type(), what);
  };
  for (const auto& v : graph.input()) check_info(v, "input");
  for (const auto& v : graph.output()) check_info(v, "output");
  for (const auto& v : graph.value_info()) check_info(v, "value");
  for (const auto& t : graph.initializer()) check(t.name(), t.data_type(), "initializer");
}

void ConvertOpsetPass::Converting::ConvertGraph(onnx::GraphProto& graph, const std::string& path,
                                                std::vector<const GraphIndex*> outer) {
  // Nothing is edited before every graph is planned, so the index stays
  // valid while the bodies are converted.
  GraphIndex index(graph);
  std::vector<const GraphIndex*> scopes = outer;
  scopes.push_back(&index);
  // Bodies first: their rewriters must commit before a parent edit could
  // move the node that owns them.
  for (auto& node : *graph.mutable_node())
    for (auto& attr : *node.mutable_attribute()) {
      const std::string sub = absl::StrCat(path.empty() ? "<main>" : path, "/",
                                           node.name().empty() ? node.op_type() : node.name(),
                                           ".", attr.name());
      if (attr.has_g()) ConvertGraph(*attr.mutable_g(), sub, scopes);
      for (auto& g : *attr.mutable_graphs()) ConvertGraph(g, sub, scopes);
    }
  CheckDeclaredTypes(graph, path);

  auto rewriter = std::make_unique<GraphRewriter>(graph);
  Ctx c{index, shapes, names, *rewriter, from, to, std::move(outer)};
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (!IsOnnxDomain(node)) continue;
    onnx::NodeProto edited = node;
    std::vector<onnx::NodeProto> before;
    std::string why;
    auto it = OpTable().find(node.op_type());
    if (it == OpTable().end()) {
      why = absl::StrCat("op ", node.op_type(), " is not in convert-opset's table of ai.onnx ops");
    } else if (it->second.since > from) {
      why = absl::StrCat(node.op_type(), " does not exist at the model's opset ", from);
    } else if (it->second.since > to) {
      Converter decompose = convert_opset::FindDecomposition(node.op_type());
      why = decompose != nullptr
                ? decompose(c, edited, before)
                : absl::StrCat(node.op_type(), " does not exist before opset ",
                               it->second.since, " and has no decomposition here");
    } else {
      why = CheckNode(node, it->second, c, edited, before);
    }
    if (!why.empty()) {
      ++refused;
      ctx.Error(&node, i, path) << "no exact form at opset " << to << ": " << why;
      continue;
    }
    if (before.empty() && edited.SerializeAsString() == node.SerializeAsString()) continue;
    for (auto& b : before) rewriter->InsertBefore(i, std::move(b));
    rewriter->InsertBefore(i, std::move(edited));
    rewriter->Erase(i);
    ++rewritten;
  }
  rewriters.push_back(std::move(rewriter));
}

std::string ConvertOpsetPass::Converting::CheckNode(const onnx::NodeProto& node,
                                             const OpHistory& history, Ctx& c,
                                             onnx::NodeProto& edited,
                                             std::vector<onnx::NodeProto>& before) {
  const int64_t lo = std::min(from, to), hi = std::max(from, to);
  bool form = false;
  for (const Change& ch : history.changes) {
    if (ch.version <= lo || ch.version > hi) continue;
    if (ch.kind == Kind::kForm) form = true;
    if (ch.kind == Kind::kRefuse) return ch.arg;
  }
  // The form first: it may move axes to an attribute that the negative-axis
  // rule then normalizes.
  if (form) {
    Converter convert = convert_opset::FindFormConverter(node.op_type());
    if (convert == nullptr) return "internal: no form converter";  // table bug
    std::string why = convert(c, edited, before);
    if (!why.empty()) return why;
  }
  for (const Change& ch : history.changes) {
    if (ch.version <= lo || ch.version > hi) continue;
    std::string why = ApplyGeneric(ch, c, edited);
    if (!why.empty()) return why;
  }
  return "";
}

std::string ConvertOpsetPass::Converting::ApplyGeneric(const Change& ch, Ctx& c,
                                                onnx::NodeProto& node) {
  switch (ch.kind) {
    case Kind::kTypes: {
      if (to >= ch.version) return "";
      std::vector<absl::string_view> added = absl::StrSplit(ch.arg, ',', absl::SkipEmpty());
      for (const auto* names : {&node.input(), &node.output()})
        for (const std::string& v : *names) {
          if (v.empty()) continue;
          const int32_t type = c.ElemType(v);
          const std::string type_name = ElementTypeName(type);
          if (type != 0 && (IsExotic(type) || std::find(added.begin(), added.end(),
                                                        type_name) != added.end()))
            return absl::StrCat("'", v, "' is ", type_name, ", which ", node.op_type(),
                                " accepts only from opset ", ch.version);
        }
      return "";
    }
    case Kind::kAttr: {
      if (to >= ch.version) return "";
      std::pair<std::string, std::string> kv = absl::StrSplit(ch.arg, '=');
      const onnx::AttributeProto* a = FindAttr(node, kv.first);
      if (a == nullptr) return "";
      if (kv.second == "-" || !AttrIsDefault(*a, kv.second))
        return absl::StrCat("attribute ", kv.first, " = ", AttrText(*a), " needs opset ",
                            ch.version);
      convert_opset::RemoveAttr(node, kv.first);
      return "";
    }
    case Kind::kNegAxis: {
      if (to >= 11) return "";
      auto axes = GetIntsAttr(node, ch.arg);
      const onnx::AttributeProto* a = FindAttr(node, ch.arg);
      if (a == nullptr) return "";
      std::vector<int64_t> values =
          a->type() == onnx::AttributeProto::INT ? std::vector<int64_t>{a->i()} : *axes;
      if (std::all_of(values.begin(), values.end(), [](int64_t v) { return v >= 0; }))
        return "";
      std::optional<int> rank = c.Rank(node.input(0));
      if (rank && node.op_type() == "Unsqueeze") *rank += static_cast<int>(values.size());
      if (!rank)
        return absl::StrCat("negative ", ch.arg, " needs the rank of '", node.input(0),
                            "' before opset 11, and it is unknown");
      for (int64_t& v : values)
        if (v < 0) v += *rank;
      if (a->type() == onnx::AttributeProto::INT) SetIntAttr(node, ch.arg, values[0]);
      else SetIntsAttr(node, ch.arg, values);
      return "";
    }
    default:
      return "";
  }
}

}  // namespace

namespace convert_opset {

int32_t Ctx::ElemType(absl::string_view value) const {
  const ValueFacts* f = shapes.Facts(value);
  if (f != nullptr && f->elem_type != 0) return f->elem_type;
  const onnx::TypeProto* t = index.Type(value);
  return t != nullptr && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
}

std::optional<std::vector<int64_t>> Ctx::Ints(absl::string_view value) const {
  auto v = ConstantInts(index, value);
  for (auto it = outer.rbegin(); !v && it != outer.rend(); ++it) v = ConstantInts(**it, value);
  return v;
}

std::optional<std::vector<double>> Ctx::Floats(absl::string_view value) const {
  auto v = hailo8::ConstantFloats(index, value);
  for (auto it = outer.rbegin(); !v && it != outer.rend(); ++it)
    v = hailo8::ConstantFloats(**it, value);
  return v;
}

std::string Ctx::AddInitializer(const std::string& base, onnx::TensorProto tensor) {
  std::string name = names.Unique(base);
  tensor.set_name(name);
  rewriter.AddInitializer(std::move(tensor));
  return name;
}

void RemoveAttr(onnx::NodeProto& node, absl::string_view name) {
  auto* attrs = node.mutable_attribute();
  for (int k = 0; k < attrs->size(); ++k)
    if (attrs->Get(k).name() == name) {
      attrs->DeleteSubrange(k, 1);
      return;
    }
}

}  // namespace convert_opset

std::unique_ptr<Pass> CreateConvertOpsetPass(const ConvertOpsetOptions& options) {
  return std::make_unique<ConvertOpsetPass>(options);
}

}  // namespace h8
