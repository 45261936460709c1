//===- Hailo8PatternRules.cpp - Multi-node patterns Hailo-8 judges --------===//
//
// Matchers for decomposed normalizations, softmaxes and GELU, and the
// check of their axis; the pattern table that names them is
// Hailo8PatternTable.cpp.
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

namespace {

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
  Use div =
      FindUse(index, denominator, {"Div"}, [&](const onnx::NodeProto& n, const std::string& r) {
        return n.input_size() == 2 && n.input(1) == r && SameData(index, n.input(0), numerator);
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

}  // namespace

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
  Use add =
      FindUse(index, take(mean), {"Add"}, [&](const onnx::NodeProto& n, const std::string& r) {
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

namespace {

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
  auto max_axes =
      mx != nullptr ? ReducedOver(*mx, index, shapes, "ReduceMax", "GlobalMaxPool") : std::nullopt;
  auto sum_axes = ReducedOver(index.graph().node(sum), index, shapes, "ReduceSum", "");
  if (!max_axes || !sum_axes || !SameData(index, mx->input(0), sub->input(0)) ||
      !SameMeanAxes(*max_axes, *sum_axes))
    return;
  members.push_back(index.ProducerIndex(data));
  members.push_back(index.ProducerIndex(sub->input(1)));
  data = sub->input(0);
}

}  // namespace

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
std::optional<PatternMatch> MatchGroupNorm(int root, const GraphIndex& index, const ShapeFacts&) {
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
  out.push_back({FindingLevel::kError,
                 rank < 0 ? "over a tensor of unknown rank: DFC 3.27 maps it only over the "
                            "channel axis (axis 1) of a 4-D tensor"
                          : absl::StrCat("over axis ", m.axis, " of a rank-", rank,
                                         " tensor: DFC 3.27 maps it only over the channel "
                                         "axis (axis 1) of a 4-D tensor"),
                 "compute it over axis 1 of a 4-D tensor, or cut it off with --end-node-names "
                 "and run it on the host"});
}

}  // namespace hailo8
}  // namespace h8
