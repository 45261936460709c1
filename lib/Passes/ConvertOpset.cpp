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
//            writes one of them (types newer than the target always count,
//            bfloat16 at 13 and 22, others as listed, e.g. Add-14 int8).
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
//     Shape-15: start/end become a Slice of the shape below 15.
//     Gemm-11: a missing C becomes a zero scalar below 11.
//     Gather-11: below 11 indices must be constant and non-negative.
//   refuse   the semantics changed (Resize-10/11 coordinates, GroupNorm-21
//            scale/bias (decomposed instead, as below), DFT-20, GridSample-20,
//            Quantize/DequantizeLinear-13 per-axis form, Dropout-12 ratio input, RoiAlign-16
//            default, Scatter-11).
// An op that does not exist at N is refused unless it has a decomposition
// (ConvertOpsetDecompose.cpp; each new node is named after the original and
// keeps its metadata_props):
//   Gelu-20 -> Div(x, sqrt 2)/Erf/Add(1)/Mul(x)/Mul(0.5), the order Hailo's
//     parser fuses as GELU (tanh approximation: the tanh formula);
//   Mish-18 -> Mul(x, Tanh(Softplus(x)));
//   GroupNormalization-18/21 -> Reshape [0, G, -1] / InstanceNormalization /
//     Reshape / Mul(gamma) / Add(beta), per-group (18) or per-channel (21)
//     constant scale and bias as [C, 1, ...]; needs the static channel count;
//   RMSNormalization-23 -> float32 Mul/ReduceMean/Add(eps)/Sqrt/Div, cast
//     back, Mul(scale);
//   Attention-23 (plain, 3-D or 4-D, causal, bool/float mask, grouped-query
//     heads) -> MatMul/Mul(scale)/Add(mask)/Softmax/MatMul; the KV cache,
//     softcap and outputs 1-3 are refused.
//   LayerNormalization-17 (below 17) -> float32 ReduceMean/Sub/Mul/
//     ReduceMean/Add(eps)/Sqrt/Div, cast back, Mul(scale), Add(B); its
//     Mean/InvStdDev outputs are refused.
// Other ops missing at N are refused by name. Element
// types newer than N anywhere in the graphs (float8 < 19, int4/uint4 < 21,
// float4e2m1 < 23, bfloat16 < 13) are refused by name.
//
// If/Loop/Scan bodies are converted too. New constants are initializers
// with fresh names; graph inputs, outputs and initializers keep their names
// (an input that became unused, e.g. an axes initializer, stays for
// cleanup). ir_version is lowered to what N pairs with (6 for 11, 7 for 13,
// 8 for 17) when higher, and raised to it when lower; a model already at
// its target (or below it with down-only) only has its ir_version lowered
// to what its opset pairs with (IR 10 at opset 17 becomes 8), unless it
// has model-local functions. Models with
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
#include "h8/IR/NodeBuilder.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"
#include "h8/Target/Hailo8/Hailo8Rules.h"

namespace h8 {
namespace {

using convert_opset::Change;
using convert_opset::Converter;
using convert_opset::Ctx;
using convert_opset::IrVersionFor;
using convert_opset::Kind;
using convert_opset::OpHistory;
using convert_opset::OpTable;
using convert_opset::TypeSince;

constexpr int64_t kMinOpset = 10;
constexpr int64_t kMaxOpset = 23;

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

  Statistic nodes_rewritten_{this, "nodes-rewritten",
                             "Nodes replaced by their form at the target opset"};

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    const int64_t from = OnnxOpsetVersion(model);
    const int64_t to = options_.target;
    if (to == 0) return UsageStatus("no target opset given (e.g. --convert-opset=17)");
    if (from == 0) return absl::FailedPreconditionError("the model imports no ai.onnx opset");
    if ((options_.down_only && from <= to) || from == to) {
      // Nothing to convert, but exporters write IR 10 at opset 17 (torch
      // 2.11's opset_version=17); what reads opset <= 17 may know IR <= 8.
      const int64_t ir = IrVersionFor(from);
      if (model.ir_version() <= ir || model.functions_size() > 0) return false;
      model.set_ir_version(ir);
      return true;
    }
    if (from < kMinOpset || from > kMaxOpset)
      return absl::FailedPreconditionError(absl::StrCat("the model's ai.onnx opset ", from,
                                                        " is outside the converted range ",
                                                        kMinOpset, "..", kMaxOpset));
    if (model.functions_size() > 0)
      return absl::FailedPreconditionError(absl::StrCat(
          "the model has ", model.functions_size(), " model-local functions (first '",
          model.functions(0).name(), "'); their bodies are not converted: inline them first"));

    Converting run{model, ctx, from, to, ShapeAnalysis(model), NameUniquer(model), {}};
    run.ConvertGraph(*model.mutable_graph(), "", {});
    // Each refusal was reported as an error naming its node; no second line.
    if (run.refused > 0)
      return MarkReported(absl::FailedPreconditionError(
          absl::StrCat(run.refused, " node", run.refused == 1 ? " has" : "s have",
                       " no exact form at opset ", to)));
    // The analysis reads the unchanged model until here; commit children
    // before their parents so no rewriter outlives its graph.
    for (auto& rewriter : run.rewriters) rewriter->Commit();
    for (auto& op : *model.mutable_opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") op.set_version(to);
    const int64_t ir = IrVersionFor(to);
    if ((to < from && model.ir_version() > ir) || (to > from && model.ir_version() < ir))
      model.set_ir_version(ir);
    nodes_rewritten_.Add(ctx, run.rewritten);
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
      const std::string sub =
          absl::StrCat(path.empty() ? "<main>" : path, "/",
                       node.name().empty() ? node.op_type() : node.name(), ".", attr.name());
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
      why = decompose != nullptr ? decompose(c, edited, before)
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
    if (ch.kind == Kind::kRefuse) {
      // A semantic change the older version cannot express may still have
      // a chain of older ops (GroupNormalization-21 at 18-20).
      Converter decompose = convert_opset::FindDecomposition(node.op_type());
      return decompose != nullptr ? decompose(c, edited, before) : ch.arg;
    }
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
          // Opsets 13 and 22 added bfloat16 to the ops they touched.
          const bool bf16 =
              type == onnx::TensorProto::BFLOAT16 && (ch.version == 13 || ch.version == 22);
          if (type != 0 && (TypeSince(type) > to || bf16 ||
                            std::find(added.begin(), added.end(), type_name) != added.end()))
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
      if (std::all_of(values.begin(), values.end(), [](int64_t v) { return v >= 0; })) return "";
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
    default: return "";
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
