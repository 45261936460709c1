//===- ConvertOpsetDecompose.cpp - Ops written as older ops ---------------===//
//
// The decompositions of convert-opset (the contract is in the comment block
// of ConvertOpset.cpp): an op newer than the target opset becomes the chain
// of older ops its ONNX definition spells out, computing the same values
// (up to float rounding, which --verify-numerics measures). Every new node
// is named after the original and carries its metadata_props; the last one
// writes the original output. What a chain cannot express exactly (a KV
// cache, softcap, statistics in another precision) is refused by name.
//
// Before (opset 23):  y = RMSNormalization <axis = -1> (x, g)
// After (opset 17):   sq = Mul(x, x)  m = ReduceMean <axes = [-1]> (sq)
//                     r = Sqrt(Add(m, eps))  y = Mul(Div(x, r), g)
//
//===----------------------------------------------------------------------===//
#include <cmath>
#include <limits>
#include <map>

#include "ConvertOpset.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/NodeBuilder.h"

namespace h8 {
namespace convert_opset {
namespace {

void SetFloatAttr(onnx::NodeProto& n, const char* name, float v) {
  RemoveAttr(n, name);
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

float GetFloatAttr(const onnx::NodeProto& n, const char* name, float fallback) {
  const onnx::AttributeProto* a = FindAttr(n, name);
  return a != nullptr && a->type() == onnx::AttributeProto::FLOAT ? a->f() : fallback;
}

bool HasInput(const onnx::NodeProto& n, int k) { return n.input_size() > k && !n.input(k).empty(); }

// Appends the nodes of one decomposition ahead of the original node.
struct Chain {
  Ctx& c;
  const onnx::NodeProto& origin;
  std::vector<onnx::NodeProto>& before;
  std::string base;

  /// Appends `op(inputs)` with a fresh output; the reference is valid until
  /// the next Add.
  onnx::NodeProto& Add(const std::string& op, std::vector<std::string> in) {
    before.push_back(MakeNode(c, op, std::move(in), c.Fresh(absl::StrCat(base, "_", op)), origin));
    return before.back();
  }
  std::string Out(const std::string& op, std::vector<std::string> in) {
    return Add(op, std::move(in)).output(0);
  }
  std::string Perm(const std::string& x, const std::vector<int64_t>& perm) {
    onnx::NodeProto& t = Add("Transpose", {x});
    SetIntsAttr(t, "perm", perm);
    return t.output(0);
  }
  std::string Reshape(const std::string& x, const std::vector<int64_t>& shape) {
    return Out("Reshape", {x, Ints(shape)});
  }
  /// One int64 initializer per distinct value list of the chain.
  std::string Ints(const std::vector<int64_t>& v) {
    std::string& name = ints[v];
    if (name.empty()) name = AddInts(c, base + "_const", v);
    return name;
  }
  std::map<std::vector<int64_t>, std::string> ints;
  /// ReduceMean(x) over `axes` with keepdims, in the target's form (axes as
  /// an input from opset 18).
  std::string Mean(const std::string& x, const std::vector<int64_t>& axes) {
    if (c.to >= 18) return Out("ReduceMean", {x, Ints(axes)});
    onnx::NodeProto& r = Add("ReduceMean", {x});
    SetIntsAttr(r, "axes", axes);
    return r.output(0);
  }
  std::string Cast(const std::string& x, int32_t to) {
    onnx::NodeProto& t = Add("Cast", {x});
    SetIntAttr(t, "to", to);
    return t.output(0);
  }
};

std::string TypeOf(Ctx& c, const std::string& x, int32_t& type) {
  type = c.ElemType(x);
  if (type == 0) return absl::StrCat("the element type of '", x, "' is unknown");
  if (!IsFloatElementType(type))
    return absl::StrCat("'", x, "' is ", ElementTypeName(type), ", not a float type");
  return "";
}

// The axes from `axis` to the last: negative ones need no rank.
std::string TrailingAxes(Ctx& c, const std::string& x, int64_t axis, std::vector<int64_t>& axes) {
  if (axis < 0) {
    for (int64_t a = axis; a < 0; ++a) axes.push_back(a);
    return "";
  }
  const std::optional<int> rank = c.Rank(x);
  if (!rank) return absl::StrCat("axis ", axis, " needs the rank of '", x, "', unknown");
  if (axis >= *rank) return absl::StrCat("axis ", axis, " is out of range for rank ", *rank);
  for (int64_t a = axis; a < *rank; ++a) axes.push_back(a);
  return "";
}

// Gelu-20 -> x * 0.5 * (1 + erf(x / sqrt 2)) as Mul(Mul(x, Add(Erf(Div(x,
// sqrt 2)), 1)), 0.5), the chain Hailo's parser fuses into GELU; the tanh
// approximation as 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
std::string DecomposeGelu(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  const std::string x = n.input(0), base = n.output(0);
  const int32_t type = c.ElemType(x);
  if (type == 0) return absl::StrCat("the element type of '", x, "' is unknown");
  const std::string approx = GetStringAttr(n, "approximate", "none");
  Chain ch{c, n, before, base, {}};
  auto k = [&](const char* what, double v) { return AddScalar(c, base + what, type, v); };
  std::string inner;
  if (approx == "none") {
    inner = ch.Out("Erf", {ch.Out("Div", {x, k("_sqrt2", std::sqrt(2.0))})});
  } else if (approx == "tanh") {
    const std::string cube = ch.Out("Mul", {ch.Out("Mul", {x, x}), x});
    const std::string poly = ch.Out("Add", {x, ch.Out("Mul", {cube, k("_c", 0.044715)})});
    inner = ch.Out("Tanh", {ch.Out("Mul", {poly, k("_sqrt2pi", std::sqrt(2.0 / M_PI))})});
  } else {
    return absl::StrCat("approximate '", approx, "' is not defined");
  }
  const std::string prod = ch.Out("Mul", {x, ch.Out("Add", {inner, k("_one", 1.0)})});
  n = MakeNode(c, "Mul", {prod, k("_half", 0.5)}, base, n);
  return "";
}

// Mish-18 -> x * tanh(softplus(x)).
std::string DecomposeMish(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  const std::string x = n.input(0), base = n.output(0);
  Chain ch{c, n, before, base, {}};
  const std::string t = ch.Out("Tanh", {ch.Out("Softplus", {x})});
  n = MakeNode(c, "Mul", {x, t}, base, n);
  return "";
}

// GroupNormalization -> Reshape(x, [0, G, -1]) -> InstanceNormalization
// (scale 1, bias 0, same epsilon) -> Reshape(x's shape) -> Mul(gamma) ->
// Add(beta), the form check-hailo8 recognizes as GroupNorm. Opset 18-20
// scale/bias are per group (expanded to per channel here), 21's per
// channel; gamma/beta become [C, 1, ...] constants (computed ones:
// Reshape, with an Expand of the groups for 18). GroupNormalization-21
// computes its statistics in float32 (stash_type 1) and InstanceNormalization
// in the input's type, so -21 is exact for float32 inputs only.
std::string DecomposeGroupNorm(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  if (!HasInput(n, 1) || !HasInput(n, 2)) return "scale and bias are required";
  const std::string x = n.input(0), base = n.output(0);
  int32_t type;
  if (std::string why = TypeOf(c, x, type); !why.empty()) return why;
  const bool per_channel = c.from >= 21;
  if (per_channel &&
      GetIntAttr(n, "stash_type", onnx::TensorProto::FLOAT) != onnx::TensorProto::FLOAT)
    return "stash_type other than float (1) is not decomposed";
  if (per_channel && type != onnx::TensorProto::FLOAT)
    return absl::StrCat("GroupNormalization-21 computes its statistics in float32; '", x, "' is ",
                        ElementTypeName(type));
  const ValueFacts* f = c.shapes.Facts(x);
  if (f == nullptr || f->rank() < 2 || !f->dims[1].is_static())
    return absl::StrCat("needs the static channel count of '", x, "', which is ",
                        f ? f->ShapeString() : std::string("unknown"));
  const int64_t channels = f->dims[1].value();
  const int64_t groups = GetIntAttr(n, "num_groups", 0);
  if (groups <= 0 || channels % groups != 0)
    return absl::StrCat("num_groups ", groups, " does not divide the ", channels, " channels");
  const int64_t per_group = channels / groups;
  std::vector<int64_t> param_dims(f->rank() - 1, 1);
  param_dims[0] = channels;
  const int64_t want = per_channel ? channels : groups;
  for (int k = 1; k <= 2; ++k) {
    const ValueFacts* p = c.shapes.Facts(n.input(k));
    if (p != nullptr && p->rank() == 1 && p->dims[0].is_static() && p->dims[0].value() != want)
      return absl::StrCat(k == 1 ? "scale" : "bias", " '", n.input(k), "' has ", p->dims[0].value(),
                          " values; ", per_channel ? "channels" : "groups", " are ", want);
  }
  Chain ch{c, n, before, base, {}};
  const std::string grouped = ch.Reshape(x, {0, groups, -1});
  onnx::NodeProto& in = ch.Add(
      "InstanceNormalization",
      {grouped, AddFloats(c, base + "_ones", type, {groups}, std::vector<double>(groups, 1.0)),
       AddFloats(c, base + "_zeros", type, {groups}, std::vector<double>(groups, 0.0))});
  SetFloatAttr(in, "epsilon", GetFloatAttr(n, "epsilon", 1e-5f));
  const std::string normed_groups = in.output(0);
  const std::optional<std::vector<int64_t>> dims = f->StaticDims();
  const std::string shape = dims ? ch.Ints(*dims) : ch.Out("Shape", {x});
  const std::string normed = ch.Out("Reshape", {normed_groups, shape});
  // gamma and beta as [C, 1, ...]: a constant when the input is one (per
  // group values repeated per channel), else Reshape(s) of the input.
  auto per_channel_param = [&](int k, const char* what) {
    const std::string& in = n.input(k);
    if (auto v = c.Floats(in); v && static_cast<int64_t>(v->size()) == want) {
      std::vector<double> values(channels);
      for (int64_t j = 0; j < channels; ++j) values[j] = (*v)[per_channel ? j : j / per_group];
      return AddFloats(c, base + what, type, param_dims, values);
    }
    std::string p = in;
    if (!per_channel)
      p = ch.Out("Expand", {ch.Reshape(p, {groups, 1}), ch.Ints({groups, per_group})});
    return ch.Reshape(p, param_dims);
  };
  const std::string scaled = ch.Out("Mul", {normed, per_channel_param(1, "_gamma")});
  n = MakeNode(c, "Add", {scaled, per_channel_param(2, "_beta")}, base, n);
  return "";
}

// RMSNormalization-23 and, below 17, LayerNormalization-17 -> ONNX's
// function bodies in float32 (stash_type 1) over the axes from `axis` on,
// cast back to x's type:
//   RMS:   x / sqrt(ReduceMean(x * x) + epsilon) * scale
//   Layer: D = x - ReduceMean(x); D / sqrt(ReduceMean(D * D) + epsilon) *
//          scale + B
// LayerNormalization's Mean and InvStdDev outputs are refused.
std::string DecomposeTrailingNorm(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before,
                                  bool center) {
  if (!HasInput(n, 1)) return "scale is required";
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty())
      return absl::StrCat("output #", k, " ('", n.output(k), "') is not decomposed; only Y is");
  const std::string x = n.input(0), scale = n.input(1), base = n.output(0);
  const std::string bias = center && HasInput(n, 2) ? n.input(2) : "";
  int32_t type;
  if (std::string why = TypeOf(c, x, type); !why.empty()) return why;
  if (GetIntAttr(n, "stash_type", onnx::TensorProto::FLOAT) != onnx::TensorProto::FLOAT)
    return "stash_type other than float (1) is not decomposed";
  std::vector<int64_t> axes;
  if (std::string why = TrailingAxes(c, x, GetIntAttr(n, "axis", -1), axes); !why.empty())
    return why;
  Chain ch{c, n, before, base, {}};
  const bool cast = type != onnx::TensorProto::FLOAT;
  const std::string xf = cast ? ch.Cast(x, onnx::TensorProto::FLOAT) : x;
  const std::string d = center ? ch.Out("Sub", {xf, ch.Mean(xf, axes)}) : xf;
  const std::string var = ch.Mean(ch.Out("Mul", {d, d}), axes);
  const std::string eps =
      AddScalar(c, base + "_epsilon", onnx::TensorProto::FLOAT, GetFloatAttr(n, "epsilon", 1e-5f));
  std::string normed = ch.Out("Div", {d, ch.Out("Sqrt", {ch.Out("Add", {var, eps})})});
  if (cast) normed = ch.Cast(normed, type);
  if (bias.empty()) {
    n = MakeNode(c, "Mul", {normed, scale}, base, n);
  } else {
    n = MakeNode(c, "Add", {ch.Out("Mul", {normed, scale}), bias}, base, n);
  }
  return "";
}

std::string DecomposeRmsNorm(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  return DecomposeTrailingNorm(c, n, before, false);
}

std::string DecomposeLayerNorm(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  return DecomposeTrailingNorm(c, n, before, true);
}

// What DecomposeAttention reads off one Attention node.
struct AttentionForm {
  int32_t type = 0;  // of Q, K, V and Y
  bool packed = false;  // 3-D [B, L, H*E]
  int64_t hq = 0, hkv = 0, group = 1;
  double scale = 1.0;
  bool causal = false;
  int64_t lq = -1, skv = -1;  // static sequence lengths (-1: not static)
  int32_t mask_type = 0;  // 0: no attn_mask
};

// Reads the form of Attention `n` into `a`; why it cannot be decomposed, or
// "".
std::string ReadAttentionForm(Ctx& c, const onnx::NodeProto& n, AttentionForm& a) {
  for (int k = 4; k < n.input_size(); ++k)
    if (HasInput(n, k))
      return absl::StrCat("input #", k, k == 6 ? " (nonpad_kv_seqlen)" : " (the KV cache)",
                          " is not decomposed; only Q, K, V and attn_mask are");
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty())
      return absl::StrCat("output #", k, " ('", n.output(k), "') is not decomposed; only Y is");
  if (GetFloatAttr(n, "softcap", 0.0f) != 0.0f) return "softcap != 0 is not decomposed";
  if (!HasInput(n, 2)) return "Q, K and V are required";
  const std::string& q = n.input(0);
  const std::string& k = n.input(1);
  int32_t& type = a.type;
  if (std::string why = TypeOf(c, q, type); !why.empty()) return why;
  const ValueFacts* qf = c.shapes.Facts(q);
  const ValueFacts* kf = c.shapes.Facts(k);
  const int rank = qf ? qf->rank() : -1;
  if (rank != 3 && rank != 4)
    return absl::StrCat("needs Q of known rank 3 or 4; '", q, "' is ",
                        qf ? qf->ShapeString() : std::string("unknown"));
  if (!kf || kf->rank() != rank) return absl::StrCat("K '", k, "' must have Q's rank ", rank);
  const bool packed = a.packed = rank == 3;
  auto static_dim = [](const ValueFacts* f, int d) -> int64_t {
    return f && f->rank() > d && f->dims[d].is_static() ? f->dims[d].value() : -1;
  };
  int64_t& hq = a.hq;
  int64_t& hkv = a.hkv;
  hq = GetIntAttr(n, "q_num_heads", packed ? -1 : static_dim(qf, 1));
  hkv = GetIntAttr(n, "kv_num_heads", packed ? -1 : static_dim(kf, 1));
  if (hq <= 0 || hkv <= 0)
    return packed ? "3-D Q, K, V need attributes q_num_heads and kv_num_heads"
                  : "needs the static head counts of Q and K";
  if (hq % hkv != 0)
    return absl::StrCat(hq, " query heads are not a multiple of ", hkv, " kv heads");
  a.group = hq / hkv;
  double& scale = a.scale;
  if (FindAttr(n, "scale") != nullptr) {
    scale = GetFloatAttr(n, "scale", 1.0f);
  } else {
    const int64_t e =
        packed ? (static_dim(qf, 2) > 0 ? static_dim(qf, 2) / hq : -1) : static_dim(qf, 3);
    if (e <= 0)
      return absl::StrCat("the default scale needs Q's static head size; '", q, "' is ",
                          qf->ShapeString());
    scale = 1.0 / std::sqrt(static_cast<double>(e));
  }
  const bool causal = a.causal = GetIntAttr(n, "is_causal", 0) != 0;
  const int seq_axis = packed ? 1 : 2;
  const int64_t lq = a.lq = static_dim(qf, seq_axis);
  const int64_t skv = a.skv = static_dim(kf, seq_axis);
  if (causal && (lq <= 0 || skv <= 0))
    return absl::StrCat("is_causal needs static sequence lengths of Q and K (", qf->ShapeString(),
                        ", ", kf->ShapeString(), "; pin them first)");
  int32_t& mask_type = a.mask_type;
  if (HasInput(n, 3)) {
    mask_type = c.ElemType(n.input(3));
    if (mask_type == 0)
      return absl::StrCat("the element type of attn_mask '", n.input(3), "' is unknown");
    if (mask_type != onnx::TensorProto::BOOL && !IsFloatElementType(mask_type))
      return absl::StrCat("attn_mask '", n.input(3), "' is ", ElementTypeName(mask_type));
  }
  return "";
}

// Attention-23, plain form -> softmax(scale * Q K^T + mask + causal) V:
//   3-D Q [B, L, Hq*E] -> Reshape [0, 0, Hq, -1] -> Transpose to [B, Hq, L, E]
//   (K and V likewise with Hkv); Transpose(K) [B, Hkv, E, S]; MatMul; Mul by
//   the scale (1/sqrt(E) by default); Add the mask (bool: Where(mask, 0,
//   -inf)); Add a constant [L, S] bias of -inf above the upper-left diagonal
//   (is_causal, needs static L and S); Softmax over the last axis; MatMul V;
//   back to [B, L, Hq*Ev] for 3-D inputs.
// Grouped-query heads (Hq = g * Hkv; query head h reads kv head h / g): Q
// [B, Hq, L, E] is read as [B, Hkv, g*L, E] for the first MatMul and the
// probabilities likewise for the second, so K and V are not repeated.
// Refused: past_key/past_value and the present/qk outputs, softcap.
std::string DecomposeAttention(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  AttentionForm a;
  if (std::string why = ReadAttentionForm(c, n, a); !why.empty()) return why;
  const std::string q = n.input(0), k = n.input(1), v = n.input(2), base = n.output(0);
  const int32_t type = a.type;
  const bool packed = a.packed;
  const int64_t hq = a.hq, hkv = a.hkv, group = a.group, lq = a.lq, skv = a.skv;
  const int32_t mask_type = a.mask_type;
  Chain ch{c, n, before, base, {}};
  const double inf = std::numeric_limits<double>::infinity();
  auto heads_first = [&](const std::string& t, int64_t heads) {
    return packed ? ch.Perm(ch.Reshape(t, {0, 0, heads, -1}), {0, 2, 1, 3}) : t;
  };
  const std::string q4 = heads_first(q, hq), k4 = heads_first(k, hkv), v4 = heads_first(v, hkv);
  const std::string kt = ch.Perm(k4, {0, 1, 3, 2});
  std::string scores;
  if (group > 1) {
    scores = ch.Reshape(ch.Out("MatMul", {ch.Reshape(q4, {0, hkv, -1, 0}), kt}), {0, hq, -1, 0});
  } else {
    scores = ch.Out("MatMul", {q4, kt});
  }
  scores = ch.Out("Mul", {scores, AddScalar(c, base + "_scale", type, a.scale)});
  if (HasInput(n, 3)) {
    std::string bias = n.input(3);
    if (mask_type == onnx::TensorProto::BOOL)
      bias = ch.Out("Where", {bias, AddScalar(c, base + "_zero", type, 0.0),
                              AddScalar(c, base + "_neg_inf", type, -inf)});
    else if (mask_type != type) bias = ch.Cast(bias, type);
    scores = ch.Out("Add", {scores, bias});
  }
  if (a.causal) {
    std::vector<double> tri(lq * skv, 0.0);
    for (int64_t i = 0; i < lq; ++i)
      for (int64_t j = i + 1; j < skv; ++j) tri[i * skv + j] = -inf;
    scores = ch.Out("Add", {scores, AddFloats(c, base + "_causal", type, {lq, skv}, tri)});
  }
  onnx::NodeProto& softmax = ch.Add("Softmax", {scores});
  SetIntAttr(softmax, "axis", 3);
  const std::string probs = softmax.output(0);
  // The last node writes Y under its original name.
  const std::string pv = group > 1 ? ch.Reshape(probs, {0, hkv, -1, 0}) : probs;
  if (packed || group > 1) {
    std::string y4 = ch.Out("MatMul", {pv, v4});
    if (packed && group > 1) y4 = ch.Reshape(y4, {0, hq, -1, 0});
    const std::string last = packed ? ch.Perm(y4, {0, 2, 1, 3}) : y4;
    const std::vector<int64_t> shape =
        packed ? std::vector<int64_t>{0, 0, -1} : std::vector<int64_t>{0, hq, -1, 0};
    n = MakeNode(c, "Reshape", {last, ch.Ints(shape)}, base, n);
  } else {
    n = MakeNode(c, "MatMul", {pv, v4}, base, n);
  }
  return "";
}

}  // namespace

Converter FindDecomposition(absl::string_view op) {
  if (op == "Gelu") return DecomposeGelu;
  if (op == "Mish") return DecomposeMish;
  if (op == "GroupNormalization") return DecomposeGroupNorm;
  if (op == "RMSNormalization") return DecomposeRmsNorm;
  if (op == "LayerNormalization") return DecomposeLayerNorm;
  if (op == "Attention") return DecomposeAttention;
  return nullptr;
}

}  // namespace convert_opset
}  // namespace h8
