//===- Hailo8Rules.cpp - Hailo-8 operator and pattern rules, as data ------===//
//
// What DFC 3.x on Hailo-8 accepts, summarised in the README's "Hailo-8 facts
// the lint encodes". Every rule lives in one of the two tables at the bottom
// of this file (OpRules(), PatternRules()); the checks above them are the
// constraint functions those entries name.
//
//===----------------------------------------------------------------------===//
#include "h8/Target/Hailo8/Hailo8Rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/TensorData.h"

namespace h8 {
namespace hailo8 {

std::optional<Profile> ParseProfile(absl::string_view name) {
  if (name == "default") return Profile::kDefault;
  if (name == "dfc3.27") return Profile::kDfc327;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Constants and axes
//===----------------------------------------------------------------------===//

namespace {

const onnx::TensorProto* ConstantTensor(const GraphIndex& index, absl::string_view value) {
  if (const onnx::TensorProto* t = index.Initializer(value)) return t;
  const onnx::NodeProto* p = index.Producer(value);
  if (p == nullptr || p->op_type() != "Constant" || !IsOnnxDomain(*p)) return nullptr;
  const auto* a = FindAttr(*p, "value");
  if (a != nullptr && a->has_t()) return &a->t();
  return nullptr;
}

}  // namespace

bool IsConstantValue(const GraphIndex& index, absl::string_view value) {
  if (index.Initializer(value) != nullptr) return true;
  const onnx::NodeProto* p = index.Producer(value);
  return p != nullptr && p->op_type() == "Constant";
}

std::optional<std::vector<double>> ConstantFloats(const GraphIndex& index,
                                                  absl::string_view value) {
  const onnx::TensorProto* t = ConstantTensor(index, value);
  if (t == nullptr || (t->has_data_location() && t->data_location() == onnx::TensorProto::EXTERNAL))
    return std::nullopt;
  if (IsFloatElementType(t->data_type())) {
    auto data = TensorData::Decode(*t);
    if (!data.ok()) return std::nullopt;
    return data->Values<double>();
  }
  if (auto ints = ConstantInts(index, value)) return std::vector<double>(ints->begin(), ints->end());
  return std::nullopt;
}

std::optional<std::vector<int64_t>> ReduceAxes(const onnx::NodeProto& node,
                                               const GraphIndex& index, int rank) {
  std::vector<int64_t> axes;
  if (auto a = GetIntsAttr(node, "axes")) {
    axes = *a;
  } else if (node.input_size() > 1 && !node.input(1).empty()) {
    auto c = ConstantInts(index, node.input(1));
    if (!c) return std::nullopt;
    axes = *c;
  }
  if (axes.empty()) {
    if (GetIntAttr(node, "noop_with_empty_axes", 0) == 1) return std::nullopt;
    if (rank < 0) return axes;  // all axes, rank unknown
    for (int i = 0; i < rank; ++i) axes.push_back(i);
    return axes;
  }
  for (int64_t& a : axes) {
    if (a < 0 && rank < 0) return std::nullopt;
    a = NormalizeAxis(a, rank);
    if (a < 0) return std::nullopt;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

//===----------------------------------------------------------------------===//
// ShapeFacts
//===----------------------------------------------------------------------===//

ShapeFacts::ShapeFacts(const onnx::GraphProto& graph, const GraphIndex& index,
                       int64_t opset)
    : analysis_(std::make_unique<ShapeAnalysis>(graph, opset)) {}

ShapeFacts::~ShapeFacts() = default;

std::optional<int> ShapeFacts::Rank(absl::string_view value) const {
  return analysis_->Rank(value);
}

const std::vector<int64_t>* ShapeFacts::Dims(absl::string_view value) const {
  auto it = dims_.find(value);
  if (it != dims_.end()) return &it->second;
  const ValueFacts* f = analysis_->Facts(value);
  if (f == nullptr || !f->has_shape) return nullptr;
  std::vector<int64_t> dims;
  dims.reserve(f->dims.size());
  for (const Dim& d : f->dims) dims.push_back(d.is_static() ? d.value() : -1);
  return &dims_.emplace(std::string(value), std::move(dims)).first->second;
}

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
    out.push_back({Level::kError,
                   absl::StrCat(c.node.op_type(),
                                " on a rank-3 tensor (1-D convolution): the parser misreads "
                                "channels as width"),
                   "run --lift-conv1d to rewrite it as a (1,k) 2-D convolution on [N,C,1,T]"});
  } else if (rank > 4) {
    out.push_back({Level::kError,
                   absl::StrCat(c.node.op_type(), " on a rank-", rank,
                                " tensor: Hailo-8 runs 2-D convolutions only"),
                   ""});
  } else if (rank < 0) {
    out.push_back({Level::kWarning,
                   "cannot check: the rank of the input is unknown",
                   "run --infer-shapes (or --pin-shape) before check-hailo8"});
  }
  int64_t group = GetIntAttr(c.node, "group", 1);
  if (group != 1) {
    if (transpose) {
      out.push_back({Level::kError,
                     absl::StrCat("grouped ConvTranspose (group=", group,
                                  "): 'Super deconv is not supported with groups'"),
                     "run --flatten-groups"});
    } else if (c.profile == Profile::kDefault) {
      out.push_back({Level::kWarning,
                     absl::StrCat("grouped convolution (group=", group,
                                  ") has limited support on the users' toolchain"),
                     "run --flatten-groups (costs group x weights and MACs), or use "
                     "profile=dfc3.27 if you compile with DFC 3.27+"});
    }
  }
  if (!GetIntsAttr(c.node, "kernel_shape")) {
    out.push_back({Level::kError,
                   absl::StrCat(c.node.op_type(),
                                " without a kernel_shape attribute: the DFC parser expects it"),
                   "run legalize-hailo8 (or --hailo8), which writes it from the weight"});
  }
}

// MaxPool/AveragePool have no weight to take the window from: ONNX requires
// kernel_shape and so does the DFC parser.
void CheckPool(const RuleContext& c, std::vector<Finding>& out) {
  if (GetIntsAttr(c.node, "kernel_shape")) return;
  out.push_back({Level::kError,
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
    out.push_back({Level::kError,
                   absl::StrCat(op, " axes cannot be determined (",
                                rank < 0 ? "input rank unknown" : "axes are not constant",
                                "); Hailo-8 reduces only over the channel axis"),
                   "run --infer-shapes / --pin-shape first"});
    return;
  }
  bool channel = axes->size() == 1 && (*axes)[0] == 1;
  if (channel && keepdims == 1) return;
  std::string what = axes->empty() ? "all axes" : absl::StrCat("axes ", AxesText(*axes));
  std::string msg = absl::StrCat(
      op, " over ", what, channel ? "" : " (not the channel axis)",
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
  const bool behind_squeeze = rank == 3 && producer != nullptr &&
                              producer->op_type() == "Squeeze";
  if ((op == "ReduceMean" || op == "ReduceMax") && spatial)
    hint = rank == 4 || behind_squeeze
               ? "run --legalize-hailo8 (rewrites spatial means/maxes to "
                 "GlobalAveragePool/GlobalMaxPool)"
               : "run --lift-conv1d then --legalize-hailo8 (spatial reduction -> "
                 "GlobalAveragePool/GlobalMaxPool)";
  else
    hint = "reduce over axis 1 with keepdims=1, or cut it off with --end-node-names";
  out.push_back({Level::kError, msg, hint});
}

void CheckConcat(const RuleContext& c, std::vector<Finding>& out) {
  int rank = RankOf(c, 0);
  int64_t axis = GetIntAttr(c.node, "axis", 0);
  int64_t n = NormalizeAxis(axis, rank);
  if (n == 0) {
    out.push_back({Level::kError, "'Unsupported concat over axis batch' (axis 0)",
                   "concatenate over the channel axis, or run this on the host"});
  } else if (rank == 1) {
    out.push_back({Level::kError, "concat of 1-D tensors: '1D form is not supported in layer'",
                   ""});
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
  out.push_back({Level::kError,
                 absl::StrCat(op, " over ", where,
                              ": DFC 3.27 maps it only over the channel axis (axis 1) of a "
                              "4-D tensor",
                              op == "LayerNormalization" ? "" : " (UnsupportedSoftmaxLayerError)"),
                 "compute it over axis 1 of a 4-D tensor, or cut it off with --end-node-names "
                 "and run it on the host"});
}

void CheckDiv(const RuleContext& c, std::vector<Finding>& out) {
  if (c.node.input_size() > 1 && IsConstantValue(c.index, c.node.input(1))) return;
  out.push_back({Level::kWarning,
                 "Div by a computed tensor: Hailo-8 maps Div by a constant",
                 "divide by a constant, or multiply by a reciprocal computed upstream"});
}

void CheckPad(const RuleContext& c, std::vector<Finding>& out) {
  std::string mode = GetStringAttr(c.node, "mode", "constant");
  if (mode != "constant") {
    out.push_back({Level::kError,
                   absl::StrCat("Pad mode '", mode, "': Hailo-8 pads with constant zeros only"),
                   "use zero padding"});
    return;
  }
  if (c.node.input_size() > 2 && !c.node.input(2).empty()) {
    auto v = ConstantFloats(c.index, c.node.input(2));
    if (!v || (!v->empty() && (*v)[0] != 0.0))
      out.push_back({Level::kError, "Pad with a non-zero constant value",
                     "Hailo-8 pads with constant zeros only"});
  }
}

void CheckResize(const RuleContext& c, std::vector<Finding>& out) {
  std::string mode = GetStringAttr(c.node, "mode", "nearest");
  if (mode == "nearest" || mode == "linear" || mode == "bilinear") return;
  out.push_back({Level::kError,
                 absl::StrCat("Resize mode '", mode, "': Hailo-8 supports nearest and bilinear"),
                 "use mode nearest or linear"});
}

//===----------------------------------------------------------------------===//
// Pattern matchers
//===----------------------------------------------------------------------===//

// First consumer of `value` with `op` satisfying `pred`, or -1.
template <typename Pred>
int FindConsumer(const GraphIndex& index, const std::string& value, absl::string_view op,
                 Pred pred) {
  for (int c : index.Consumers(value)) {
    const auto& n = index.graph().node(c);
    if (n.op_type() == op && IsOnnxDomain(n) && pred(n)) return c;
  }
  return -1;
}
int FindConsumer(const GraphIndex& index, const std::string& value, absl::string_view op) {
  return FindConsumer(index, value, op, [](const onnx::NodeProto&) { return true; });
}

bool ScalarNear(const GraphIndex& index, const std::string& value, double want, double tol) {
  auto v = ConstantFloats(index, value);
  if (!v || v->empty()) return false;
  for (double x : *v)
    if (std::fabs(x - want) > tol) return false;
  return true;
}

// The other input of a binary node, or "" when `value` is not one of them.
std::string OtherInput(const onnx::NodeProto& n, const std::string& value) {
  if (n.input_size() != 2) return "";
  if (n.input(0) == value) return n.input(1);
  if (n.input(1) == value) return n.input(0);
  return "";
}

const std::string& Out(const GraphIndex& index, int node) {
  return index.graph().node(node).output(0);
}

int64_t SingleAxis(const onnx::NodeProto& node, const GraphIndex& index, int rank) {
  auto axes = ReduceAxes(node, index, rank);
  if (!axes || axes->size() != 1) return -1;
  return (*axes)[0];
}

PatternMatch Finish(std::vector<int> members, std::string data, int64_t axis) {
  std::sort(members.begin(), members.end());
  return PatternMatch{std::move(members), std::move(data), axis};
}

// Ops that change a tensor's shape but not its data (the forms lift-conv1d
// and legalize-hailo8 insert at region boundaries).
bool IsViewOp(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  return IsOnnxDomain(n) && n.input_size() >= 1 &&
         (op == "Squeeze" || op == "Unsqueeze" || op == "Reshape" || op == "Identity" ||
          op == "Flatten");
}

// The value `value` is a view of (through view producers).
std::string ViewBase(const GraphIndex& index, std::string value) {
  for (int depth = 0; depth < 8; ++depth) {
    const onnx::NodeProto* p = index.Producer(value);
    if (p == nullptr || !IsViewOp(*p)) break;
    value = p->input(0);
  }
  return value;
}

bool SameData(const GraphIndex& index, const std::string& a, const std::string& b) {
  return a == b || ViewBase(index, a) == ViewBase(index, b);
}

// A consumer of `value` or of a view of it: the node, the value it reads
// and the view nodes in between.
struct Use {
  int node = -1;
  std::string read;
  std::vector<int> views;
};

// First consumer of `value` (or, breadth first, of a view of it) whose op
// is one of `ops` and that satisfies pred(node, read value).
template <typename Pred>
Use FindUse(const GraphIndex& index, const std::string& value,
            std::initializer_list<absl::string_view> ops, Pred pred) {
  std::vector<Use> frontier = {Use{-1, value, {}}};
  for (int depth = 0; depth < 4 && !frontier.empty(); ++depth) {
    std::vector<Use> next;
    for (const Use& at : frontier) {
      for (int c : index.Consumers(at.read)) {
        const auto& n = index.graph().node(c);
        if (!IsOnnxDomain(n)) continue;
        if (std::find(ops.begin(), ops.end(), n.op_type()) != ops.end() && pred(n, at.read))
          return Use{c, at.read, at.views};
        if (IsViewOp(n) && n.input(0) == at.read && n.output_size() >= 1) {
          Use v{-1, n.output(0), at.views};
          v.views.push_back(c);
          next.push_back(std::move(v));
        }
      }
    }
    frontier = std::move(next);
  }
  return Use{};
}
Use FindUse(const GraphIndex& index, const std::string& value,
            std::initializer_list<absl::string_view> ops) {
  return FindUse(index, value, ops,
                 [](const onnx::NodeProto&, const std::string&) { return true; });
}

// What a reduction node (`reduce` with keepdims=1, or `global`: the same
// reduction over every axis from 2) reduces over: its axes without the
// static unit dims, and the rank of its input.
struct MeanAxes {
  std::vector<int64_t> axes;
  int rank = -1;
};
std::optional<MeanAxes> ReducedOver(const onnx::NodeProto& n, const GraphIndex& index,
                                    const ShapeFacts& shapes, absl::string_view reduce,
                                    absl::string_view global) {
  if (n.input_size() < 1 || n.output_size() < 1) return std::nullopt;
  MeanAxes m;
  m.rank = shapes.Rank(n.input(0)).value_or(-1);
  if (n.op_type() == reduce) {
    if (GetIntAttr(n, "keepdims", 1) != 1) return std::nullopt;
    auto axes = ReduceAxes(n, index, m.rank);
    if (!axes) return std::nullopt;
    m.axes = *axes;
  } else if (!global.empty() && n.op_type() == global) {
    if (m.rank < 3) return std::nullopt;
    for (int64_t a = 2; a < m.rank; ++a) m.axes.push_back(a);
  } else {
    return std::nullopt;
  }
  if (const std::vector<int64_t>* dims = shapes.Dims(n.input(0))) {
    std::vector<int64_t> kept;
    for (int64_t a : m.axes)
      if (a >= static_cast<int64_t>(dims->size()) || (*dims)[a] != 1) kept.push_back(a);
    if (!kept.empty()) m.axes = std::move(kept);
  }
  return m;
}

// ReduceMean with keepdims=1, or GlobalAveragePool (legalize-hailo8's form
// of a spatial mean).
std::optional<MeanAxes> MeanOver(const onnx::NodeProto& n, const GraphIndex& index,
                                 const ShapeFacts& shapes) {
  return ReducedOver(n, index, shapes, "ReduceMean", "GlobalAveragePool");
}

// Whether two means average over the same axes of the same data, seen
// through views: lift-conv1d inserts a unit axis at 2, so at different
// ranks the axes are compared from the end.
bool SameMeanAxes(const MeanAxes& a, const MeanAxes& b) {
  if (a.rank == b.rank || a.rank < 0 || b.rank < 0) return a.axes == b.axes;
  if (a.axes.size() != b.axes.size()) return false;
  for (size_t i = 0; i < a.axes.size(); ++i)
    if (a.axes[i] - a.rank != b.axes[i] - b.rank) return false;
  return true;
}

// The node dividing `numerator` by `denominator` (a norm's root): Div(n, d),
// or Reciprocal(d) then Mul(n, .), whose Reciprocal `take` records as a
// member. A Use with node -1 when there is none.
template <typename Take>
Use FindDivision(const GraphIndex& index, const std::string& denominator,
                 const std::string& numerator, Take& take) {
  Use div = FindUse(index, denominator, {"Div"},
                    [&](const onnx::NodeProto& n, const std::string& r) {
                      return n.input_size() == 2 && n.input(1) == r &&
                             SameData(index, n.input(0), numerator);
                    });
  if (div.node >= 0) return div;
  Use rec = FindUse(index, denominator, {"Reciprocal"});
  if (rec.node < 0) return Use{};
  const std::string r = take(rec);
  return FindUse(index, r, {"Mul"}, [&](const onnx::NodeProto& n, const std::string& rv) {
    std::string o = OtherInput(n, rv);
    return !o.empty() && SameData(index, o, numerator);
  });
}

// ReduceMean -> Sub -> Pow(2)|Mul(x,x) -> ReduceMean -> Add(eps) -> Sqrt ->
// Div|Reciprocal+Mul -> [Mul(gamma)] -> [Add(beta)]. Either mean may be a
// GlobalAveragePool (legalize-hailo8's form of a spatial mean), and
// Squeeze/Unsqueeze/Reshape may sit between the steps (lift-conv1d's
// boundaries): those views become members too.
std::optional<PatternMatch> MatchLayerNorm(int root, const GraphIndex& index,
                                           const ShapeFacts& shapes) {
  const auto& m1 = index.graph().node(root);
  auto axes1 = MeanOver(m1, index, shapes);
  if (!axes1) return std::nullopt;
  const std::string x = m1.input(0);
  const std::string mean = m1.output(0);
  std::vector<int> members = {root};
  auto take = [&](const Use& u) {
    members.insert(members.end(), u.views.begin(), u.views.end());
    members.push_back(u.node);
    return index.graph().node(u.node).output_size() > 0 ? Out(index, u.node) : std::string();
  };
  Use sub = FindUse(index, mean, {"Sub"}, [&](const onnx::NodeProto& n, const std::string& r) {
    return n.input_size() == 2 && n.input(1) == r && SameData(index, n.input(0), x);
  });
  if (sub.node < 0) return std::nullopt;
  const std::string d = take(sub);
  Use sq = FindUse(index, d, {"Pow", "Mul"}, [&](const onnx::NodeProto& n, const std::string& r) {
    if (n.input_size() != 2 || n.input(0) != r) return false;
    return n.op_type() == "Pow" ? ScalarNear(index, n.input(1), 2.0, 1e-6) : n.input(1) == r;
  });
  if (sq.node < 0) return std::nullopt;
  Use m2 = FindUse(index, take(sq), {"ReduceMean", "GlobalAveragePool"},
                   [&](const onnx::NodeProto& n, const std::string&) {
                     auto axes2 = MeanOver(n, index, shapes);
                     return axes2 && SameMeanAxes(*axes1, *axes2);
                   });
  if (m2.node < 0) return std::nullopt;
  const std::string var = take(m2);
  Use add = FindUse(index, var, {"Add"}, [&](const onnx::NodeProto& n, const std::string& r) {
    std::string o = OtherInput(n, r);
    return !o.empty() && IsConstantValue(index, o);
  });
  if (add.node < 0) return std::nullopt;
  Use sqrt = FindUse(index, take(add), {"Sqrt"});
  if (sqrt.node < 0) return std::nullopt;
  const std::string sd = take(sqrt);
  Use norm = FindDivision(index, sd, d, take);
  if (norm.node < 0) return std::nullopt;
  // Optional affine part, only when it is the normalized value's sole use.
  std::string cur = take(norm);
  for (const char* op : {"Mul", "Add"}) {
    if (index.NumUses(cur) != 1 || index.IsGraphOutput(cur)) break;
    Use a = FindUse(index, cur, {op}, [&](const onnx::NodeProto& n, const std::string& r) {
      std::string o = OtherInput(n, r);
      return !o.empty() && IsConstantValue(index, o);
    });
    if (a.node < 0) continue;  // missing Mul: the Add may still follow
    cur = take(a);
  }
  int64_t axis = axes1->axes.size() == 1 ? axes1->axes[0] : -1;
  return Finish(std::move(members), x, axis);
}

// Pow(x, 2)|Mul(x, x) -> ReduceMean -> Add(eps) -> Sqrt -> Div(x, .)|
// Reciprocal+Mul(x) -> [Mul(gamma)]: a decomposed RMSNormalization (what
// convert-opset writes below opset 23), views in between as for LayerNorm.
// A square of a centred value (x = Sub(...)) is LayerNorm's and left to it.
std::optional<PatternMatch> MatchRmsNorm(int root, const GraphIndex& index,
                                         const ShapeFacts& shapes) {
  const auto& sq = index.graph().node(root);
  if (sq.input_size() != 2 || sq.output_size() < 1) return std::nullopt;
  const std::string x = sq.input(0);
  if (sq.op_type() == "Pow" ? !ScalarNear(index, sq.input(1), 2.0, 1e-6) : sq.input(1) != x)
    return std::nullopt;
  if (const onnx::NodeProto* p = index.Producer(x); p != nullptr && p->op_type() == "Sub")
    return std::nullopt;
  std::vector<int> members = {root};
  auto take = [&](const Use& u) {
    members.insert(members.end(), u.views.begin(), u.views.end());
    members.push_back(u.node);
    return index.graph().node(u.node).output_size() > 0 ? Out(index, u.node) : std::string();
  };
  std::optional<MeanAxes> axes;
  Use mean = FindUse(index, sq.output(0), {"ReduceMean", "GlobalAveragePool"},
                     [&](const onnx::NodeProto& n, const std::string&) {
                       axes = MeanOver(n, index, shapes);
                       return axes.has_value();
                     });
  if (mean.node < 0) return std::nullopt;
  Use add = FindUse(index, take(mean), {"Add"}, [&](const onnx::NodeProto& n, const std::string& r) {
    std::string o = OtherInput(n, r);
    return !o.empty() && IsConstantValue(index, o);
  });
  if (add.node < 0) return std::nullopt;
  Use sqrt = FindUse(index, take(add), {"Sqrt"});
  if (sqrt.node < 0) return std::nullopt;
  const std::string rms = take(sqrt);
  Use norm = FindDivision(index, rms, x, take);
  if (norm.node < 0) return std::nullopt;
  std::string cur = take(norm);
  if (index.NumUses(cur) == 1 && !index.IsGraphOutput(cur)) {
    Use scale = FindUse(index, cur, {"Mul"}, [&](const onnx::NodeProto& n, const std::string& r) {
      std::string o = OtherInput(n, r);
      return !o.empty() && IsConstantValue(index, o);
    });
    if (scale.node >= 0) take(scale);
  }
  int64_t axis = axes->axes.size() == 1 ? axes->axes[0] : -1;
  return Finish(std::move(members), x, axis);
}

// The ReduceSum (keepdims=1) of the Exp node `exp`, or -1.
int ExpSum(int exp, const GraphIndex& index) {
  const auto& node = index.graph().node(exp);
  if (node.input_size() < 1 || node.output_size() < 1) return -1;
  const std::string& e = node.output(0);
  return FindConsumer(index, e, "ReduceSum", [&](const onnx::NodeProto& n) {
    return n.input(0) == e && GetIntAttr(n, "keepdims", 1) == 1;
  });
}

// Optional max subtraction before a softmax's Exp: `data` = Sub(x,
// ReduceMax(x)) over the axes of the ReduceSum `sum` becomes x, the Sub and
// the max members. The max may be a GlobalMaxPool (legalize-hailo8's form of
// a spatial max), compared by the axes that are not static unit dims.
void TakeMaxSubtraction(const GraphIndex& index, const ShapeFacts& shapes, int sum,
                        std::string& data, std::vector<int>& members) {
  const onnx::NodeProto* sub = index.Producer(data);
  if (sub == nullptr || sub->op_type() != "Sub" || sub->input_size() != 2) return;
  const onnx::NodeProto* mx = index.Producer(sub->input(1));
  auto max_axes = mx != nullptr ? ReducedOver(*mx, index, shapes, "ReduceMax", "GlobalMaxPool")
                                : std::nullopt;
  auto sum_axes = ReducedOver(index.graph().node(sum), index, shapes, "ReduceSum", "");
  if (!max_axes || !sum_axes || !SameData(index, mx->input(0), sub->input(0)) ||
      !SameMeanAxes(*max_axes, *sum_axes))
    return;
  members.push_back(index.ProducerIndex(data));
  members.push_back(index.ProducerIndex(sub->input(1)));
  data = sub->input(0);
}

// [ReduceMax -> Sub] -> Exp -> ReduceSum -> Div (or Reciprocal + Mul).
std::optional<PatternMatch> MatchSoftmax(int root, const GraphIndex& index,
                                         const ShapeFacts& shapes) {
  const int sum = ExpSum(root, index);
  if (sum < 0) return std::nullopt;
  const std::string e = Out(index, root);
  std::string data = index.graph().node(root).input(0);
  int rank = shapes.Rank(e).value_or(-1);
  const std::string s = Out(index, sum);
  std::vector<int> members = {root, sum};
  int div = FindConsumer(index, e, "Div", [&](const onnx::NodeProto& n) {
    return n.input_size() == 2 && n.input(0) == e && n.input(1) == s;
  });
  if (div < 0) {
    int rec = FindConsumer(index, s, "Reciprocal");
    if (rec < 0) return std::nullopt;
    const std::string r = Out(index, rec);
    div = FindConsumer(index, e, "Mul",
                       [&](const onnx::NodeProto& n) { return OtherInput(n, e) == r; });
    if (div < 0) return std::nullopt;
    members.push_back(rec);
  }
  members.push_back(div);
  int64_t axis = SingleAxis(index.graph().node(sum), index, rank);
  TakeMaxSubtraction(index, shapes, sum, data, members);
  return Finish(std::move(members), data, axis);
}

// [ReduceMax -> Sub] -> Exp -> ReduceSum -> Log, then Sub(Exp's input, Log).
std::optional<PatternMatch> MatchLogSoftmax(int root, const GraphIndex& index,
                                            const ShapeFacts& shapes) {
  const int sum = ExpSum(root, index);
  if (sum < 0) return std::nullopt;
  const std::string e = Out(index, root);
  std::string data = index.graph().node(root).input(0);
  int log = FindConsumer(index, Out(index, sum), "Log");
  if (log < 0) return std::nullopt;
  const std::string l = Out(index, log);
  int sub = FindConsumer(index, l, "Sub", [&](const onnx::NodeProto& n) {
    return n.input_size() == 2 && n.input(1) == l && SameData(index, n.input(0), data);
  });
  if (sub < 0) return std::nullopt;
  std::vector<int> members = {root, sum, log, sub};
  int64_t axis = SingleAxis(index.graph().node(sum), index, shapes.Rank(e).value_or(-1));
  TakeMaxSubtraction(index, shapes, sum, data, members);
  return Finish(std::move(members), data, axis);
}

// Reshape -> InstanceNormalization -> Reshape -> Mul(gamma) -> Add(beta).
std::optional<PatternMatch> MatchGroupNorm(int root, const GraphIndex& index,
                                           const ShapeFacts&) {
  const auto& in = index.graph().node(root);
  if (in.input_size() < 1) return std::nullopt;
  int r1 = index.ProducerIndex(in.input(0));
  if (r1 < 0 || index.graph().node(r1).op_type() != "Reshape") return std::nullopt;
  int r2 = FindConsumer(index, in.output(0), "Reshape");
  if (r2 < 0) return std::nullopt;
  const std::string y = Out(index, r2);
  int mul = FindConsumer(index, y, "Mul", [&](const onnx::NodeProto& n) {
    std::string o = OtherInput(n, y);
    return !o.empty() && IsConstantValue(index, o);
  });
  if (mul < 0) return std::nullopt;
  const std::string m = Out(index, mul);
  int add = FindConsumer(index, m, "Add", [&](const onnx::NodeProto& n) {
    std::string o = OtherInput(n, m);
    return !o.empty() && IsConstantValue(index, o);
  });
  if (add < 0) return std::nullopt;
  return Finish({r1, root, r2, mul, add}, index.graph().node(r1).input(0), 1);
}

// x * 0.5 * (1 + Erf(x / sqrt(2))) in any of the exporters' multiplication orders.
std::optional<PatternMatch> MatchGelu(int root, const GraphIndex& index, const ShapeFacts&) {
  const auto& erf = index.graph().node(root);
  if (erf.input_size() < 1) return std::nullopt;
  int scale = index.ProducerIndex(erf.input(0));
  if (scale < 0) return std::nullopt;
  const auto& sn = index.graph().node(scale);
  if (sn.input_size() != 2) return std::nullopt;
  std::string x;
  if (sn.op_type() == "Div" && ScalarNear(index, sn.input(1), std::sqrt(2.0), 1e-3)) {
    x = sn.input(0);
  } else if (sn.op_type() == "Mul") {
    if (ScalarNear(index, sn.input(1), std::sqrt(0.5), 1e-3)) x = sn.input(0);
    else if (ScalarNear(index, sn.input(0), std::sqrt(0.5), 1e-3)) x = sn.input(1);
  }
  if (x.empty()) return std::nullopt;
  const std::string ev = erf.output(0);
  int add = FindConsumer(index, ev, "Add", [&](const onnx::NodeProto& n) {
    std::string o = OtherInput(n, ev);
    return !o.empty() && ScalarNear(index, o, 1.0, 1e-6);
  });
  if (add < 0) return std::nullopt;
  const std::string av = Out(index, add);
  std::vector<int> members = {scale, root, add};
  // (x * (1 + erf)) * 0.5, (x * 0.5) * (1 + erf), or torchlib's / dynamo's
  // x * (0.5 * (1 + erf)).
  int mul = FindConsumer(index, av, "Mul", [&](const onnx::NodeProto& n) {
    std::string o = OtherInput(n, av);
    if (o == x || (!o.empty() && ScalarNear(index, o, 0.5, 1e-6))) return true;
    const onnx::NodeProto* p = index.Producer(o);
    return p != nullptr && p->op_type() == "Mul" && !OtherInput(*p, x).empty() &&
           ScalarNear(index, OtherInput(*p, x), 0.5, 1e-6);
  });
  if (mul < 0) return std::nullopt;
  members.push_back(mul);
  const auto& mn = index.graph().node(mul);
  std::string o = OtherInput(mn, av);
  if (o == x) {
    const std::string mv = Out(index, mul);
    int half = FindConsumer(index, mv, "Mul", [&](const onnx::NodeProto& n) {
      std::string h = OtherInput(n, mv);
      return !h.empty() && ScalarNear(index, h, 0.5, 1e-6);
    });
    if (half < 0) return std::nullopt;
    members.push_back(half);
  } else if (ScalarNear(index, o, 0.5, 1e-6)) {
    const std::string mv = Out(index, mul);
    int outer = FindConsumer(index, mv, "Mul",
                             [&](const onnx::NodeProto& n) { return OtherInput(n, mv) == x; });
    if (outer < 0) return std::nullopt;
    members.push_back(outer);
  } else {
    members.push_back(index.ProducerIndex(o));
  }
  return Finish(std::move(members), x, -1);
}

// dfc3.27: a LayerNorm/Softmax pattern runs over the channel axis of a 4-D
// tensor only.
void CheckPatternChannelAxis(const PatternMatch& m, const ShapeFacts& shapes, Profile,
                             std::vector<Finding>& out) {
  int rank = shapes.Rank(m.data).value_or(-1);
  if (rank == 4 && m.axis == 1) return;
  out.push_back({Level::kError,
                 rank < 0 ? "over a tensor of unknown rank: DFC 3.27 maps it only over the "
                            "channel axis (axis 1) of a 4-D tensor"
                          : absl::StrCat("over axis ", m.axis, " of a rank-", rank,
                                         " tensor: DFC 3.27 maps it only over the channel "
                                         "axis (axis 1) of a 4-D tensor"),
                 "compute it over axis 1 of a 4-D tensor, or cut it off with --end-node-names "
                 "and run it on the host"});
}

constexpr Support kYes = Support::kSupported;
constexpr Support kIf = Support::kConstrained;
constexpr Support kNo = Support::kUnsupported;

const char* const kHostHint = "cut it off with --end-node-names and run it on the host";
const char* const kDecomposeHint = "--hailo8 / convert-opset decomposes it";
const char* const kDynHint = "run --pin-shape (it folds shape plumbing) or --fold-constants";

}  // namespace

//===----------------------------------------------------------------------===//
// The tables
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
      {"Gelu", {kNo, kNo}, nullptr,
       "Gelu (opset 20) is not native on the users' Hailo-8 toolchain (the DFC 3.x line "
       "parses opset <= 17)",
       kDecomposeHint},
      {"Mish", {kNo, kNo}, nullptr,
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
      {"LayerNormalization", {kNo, kIf}, CheckChannelAxisNorm,
       "LayerNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, use BatchNormalization, or "
       "profile=dfc3.27 for a channel-axis LayerNorm"},
      {"Softmax", {kNo, kIf}, CheckChannelAxisNorm,
       "Softmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host (or profile=dfc3.27 for a "
       "channel-axis Softmax)"},
      {"LogSoftmax", {kNo, kIf}, CheckChannelAxisNorm,
       "LogSoftmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"Erf", {kNo, kNo}, nullptr,
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
      {"NonMaxSuppression", {kNo, kNo}, nullptr, "NonMaxSuppression is not supported",
       kHostHint},
      {"Loop", {kNo, kNo}, nullptr, "control flow (Loop) is not supported", kHostHint},
      {"If", {kNo, kNo}, nullptr, "control flow (If) is not supported", kHostHint},
      {"Scan", {kNo, kNo}, nullptr, "control flow (Scan) is not supported", kHostHint},
      {"GroupNormalization", {kNo, kNo}, nullptr,
       "GroupNormalization (opset 18) does not map to Hailo-8 on either toolchain", kHostHint},
      {"RMSNormalization", {kNo, kNo}, nullptr,
       "RMSNormalization (opset 23) does not map to Hailo-8 on either toolchain", kHostHint},
      {"Attention", {kNo, kNo}, nullptr,
       "Attention (opset 23) does not map to Hailo-8 on either toolchain", kHostHint},
      {"Shape", {kNo, kNo}, nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'", kDynHint},
      {"ConstantOfShape", {kNo, kNo}, nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'", kDynHint},
      {"Range", {kNo, kNo}, nullptr,
       "shape-driven computation: 'Could not parse the model due to dynamic shapes'", kDynHint},
  };
  return *rules;
}

const OpRule* FindOpRule(absl::string_view op) {
  static const auto* by_op = [] {
    auto* m = new absl::flat_hash_map<std::string, const OpRule*>;
    for (const OpRule& r : OpRules()) m->emplace(r.op, &r);
    return m;
  }();
  auto it = by_op->find(op);
  return it == by_op->end() ? nullptr : it->second;
}

bool IsPatternRoot(const PatternRule& rule, absl::string_view op) {
  for (absl::string_view r : absl::StrSplit(rule.root_op, '|'))
    if (r == op) return true;
  return false;
}

const std::vector<PatternRule>& PatternRules() {
  static const auto* rules = new std::vector<PatternRule>{
      {"decomposed LayerNormalization", "LayerNormalization", "ReduceMean|GlobalAveragePool",
       MatchLayerNorm,
       {kNo, kIf}, CheckPatternChannelAxis,
       "LayerNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, or use BatchNormalization"},
      {"decomposed RMSNormalization", "RMSNormalization", "Pow|Mul", MatchRmsNorm, {kNo, kIf},
       CheckPatternChannelAxis,
       "RMSNormalization is not available on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host, or use BatchNormalization"},
      {"decomposed Softmax", "Softmax", "Exp", MatchSoftmax, {kNo, kIf},
       CheckPatternChannelAxis, "Softmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"decomposed LogSoftmax", "LogSoftmax", "Exp", MatchLogSoftmax, {kNo, kIf},
       CheckPatternChannelAxis, "LogSoftmax is not supported on the users' Hailo-8 toolchain",
       "cut it off with --end-node-names and run it on the host"},
      {"GroupNorm", "GroupNormalization", "InstanceNormalization", MatchGroupNorm, {kNo, kNo},
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
