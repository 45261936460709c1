//===- ConvertOpsetForms.cpp - Op forms that change between opsets --------===//
//
// The per-op rewrites of convert-opset (the contract is in the comment block
// of ConvertOpset.cpp): each converter sees one node and the direction, and
// either edits the node into the target form or returns why that form would
// not compute the same thing. Values moved from inputs to attributes must be
// constants (initializers or Constant nodes; run fold-constants first for
// computed ones). New constants are initializers with fresh names.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cmath>
#include <limits>

#include "ConvertOpset.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Eval/Tensor.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/NodeBuilder.h"

namespace h8 {
namespace convert_opset {

onnx::NodeProto MakeNode(Ctx& c, const std::string& op, std::vector<std::string> inputs,
                         const std::string& output, const onnx::NodeProto& origin) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (auto& in : inputs) n.add_input(std::move(in));
  n.add_output(output);
  if (!origin.name().empty()) n.set_name(c.Fresh(absl::StrCat(origin.name(), "_", op)));
  CopyNodeMetadata(origin, n);
  return n;
}

std::string AddFloats(Ctx& c, const std::string& base, int32_t type, std::vector<int64_t> dims,
                      const std::vector<double>& values) {
  std::vector<float> f(values.begin(), values.end());
  Tensor t = MakeFloatTensor(std::move(dims), std::move(f));
  t.dtype = type;
  onnx::TensorProto proto = TensorToProto(t, "");
  if (type == onnx::TensorProto::DOUBLE) {  // keep the doubles' full precision
    proto.clear_raw_data();
    for (double v : values) proto.add_double_data(v);
  }
  return c.AddInitializer(base, std::move(proto));
}

std::string AddScalar(Ctx& c, const std::string& base, int32_t type, double v) {
  return AddFloats(c, base, type, {}, {v});
}

std::string AddInts(Ctx& c, const std::string& base, const std::vector<int64_t>& v) {
  return c.AddInitializer(base, MakeInt64Tensor("", v));
}

namespace {

bool HasInput(const onnx::NodeProto& n, int k) { return n.input_size() > k && !n.input(k).empty(); }

void TruncateInputs(onnx::NodeProto& n, int keep) {
  if (n.input_size() > keep) n.mutable_input()->DeleteSubrange(keep, n.input_size() - keep);
}

std::string NotConstant(const std::string& what, const std::string& value) {
  return absl::StrCat("its ", what, " input '", value,
                      "' is not a constant (run fold-constants first)");
}

// Element type of a float input, or why it does not fit an op that takes
// float attributes below opset 11 (Pad-2 value, Clip-6 min/max).
std::string FloatType(Ctx& c, const onnx::NodeProto& n, int32_t& type) {
  type = c.ElemType(n.input(0));
  if (type == 0) type = onnx::TensorProto::FLOAT;  // the only type these exports use
  if (!IsFloatElementType(type) || type == onnx::TensorProto::BFLOAT16)
    return absl::StrCat("'", n.input(0), "' is ", ElementTypeName(type), "; ", n.op_type(),
                        " before opset 11 takes float types only");
  return "";
}

// Reduce*: constant axes input (18; ReduceSum 13) <-> attribute.
std::string ConvertReduce(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  const int64_t boundary = n.op_type() == "ReduceSum" ? 13 : 18;
  if (c.Down(boundary)) {
    const bool noop = GetIntAttr(n, "noop_with_empty_axes", 0) != 0;
    RemoveAttr(n, "noop_with_empty_axes");
    std::vector<int64_t> axes;
    if (HasInput(n, 1)) {
      auto v = c.Ints(n.input(1));
      if (!v) return NotConstant("axes", n.input(1));
      axes = *v;
    }
    TruncateInputs(n, 1);
    if (axes.empty() && noop) {
      onnx::NodeProto id;
      id.set_op_type("Identity");
      id.set_name(n.name());
      id.add_input(n.input(0));
      id.add_output(n.output(0));
      CopyNodeMetadata(n, id);
      n = std::move(id);
    } else if (!axes.empty()) {
      SetIntsAttr(n, "axes", axes);
    }
  } else if (c.Up(boundary)) {
    auto axes = GetIntsAttr(n, "axes");
    RemoveAttr(n, "axes");
    if (axes && !axes->empty()) n.add_input(AddInts(c, n.output(0) + "_axes", *axes));
  }
  return "";
}

// Split: num_outputs (18) -> sizes; sizes input (13) <-> attribute.
std::string ConvertSplit(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  const int n_out = n.output_size();
  std::optional<std::vector<int64_t>> sizes;
  bool keep_input = false;
  if (c.from >= 18 && FindAttr(n, "num_outputs") != nullptr) {
    const int64_t parts = GetIntAttr(n, "num_outputs", n_out);
    const ValueFacts* f = c.shapes.Facts(n.input(0));
    int64_t axis = GetIntAttr(n, "axis", 0);
    if (f && f->has_shape) axis = NormalizeAxis(axis, f->rank());
    const bool known = f && f->has_shape && axis >= 0 && f->dims[axis].is_static();
    if (!known)
      return absl::StrCat("num_outputs needs the static length of axis ", GetIntAttr(n, "axis", 0),
                          " of '", n.input(0), "', which is ",
                          f ? f->ShapeString() : std::string("unknown"),
                          " (pin it with pin-dim/pin-shape first)");
    if (parts != n_out || parts <= 0)
      return absl::StrCat("num_outputs ", parts, " differs from its ", n_out, " outputs");
    const int64_t d = f->dims[axis].value();
    const int64_t chunk = (d + parts - 1) / parts;
    sizes.emplace();
    for (int64_t k = 0; k < parts; ++k)
      sizes->push_back(std::max<int64_t>(0, std::min(chunk, d - k * chunk)));
  } else if (c.from >= 13) {
    if (HasInput(n, 1)) {
      keep_input = c.to >= 13;
      if (!keep_input) {
        sizes = c.Ints(n.input(1));
        if (!sizes) return NotConstant("split", n.input(1));
      }
    }
  } else {
    sizes = GetIntsAttr(n, "split");
  }
  RemoveAttr(n, "num_outputs");
  RemoveAttr(n, "split");
  if (!keep_input) TruncateInputs(n, 1);
  if (keep_input) return "";
  if (sizes && c.to >= 13) n.add_input(AddInts(c, n.output(0) + "_split", *sizes));
  else if (sizes) SetIntsAttr(n, "split", *sizes);
  else if (c.to >= 18) SetIntAttr(n, "num_outputs", n_out);
  return "";
}

// Squeeze/Unsqueeze: axes attribute (< 13) <-> constant input.
std::string ConvertAxesInput(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (c.Down(13)) {
    if (!HasInput(n, 1)) return "";
    auto axes = c.Ints(n.input(1));
    if (!axes) return NotConstant("axes", n.input(1));
    TruncateInputs(n, 1);
    SetIntsAttr(n, "axes", *axes);
  } else {
    auto axes = GetIntsAttr(n, "axes");
    RemoveAttr(n, "axes");
    if (axes) n.add_input(AddInts(c, n.output(0) + "_axes", *axes));
  }
  return "";
}

// Pad: axes input (18) -> full-rank pads; wrap (19); attributes below 11.
std::string ConvertPad(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  const std::string mode = GetStringAttr(n, "mode", "constant");
  if (c.Down(19) && mode == "wrap") return "mode 'wrap' does not exist before opset 19";
  if (c.from < 11) {  // up from the attribute form
    if (!c.Up(11)) return "";
    int32_t type;
    if (std::string why = FloatType(c, n, type); !why.empty()) return why;
    const std::vector<int64_t> pads = GetIntsAttr(n, "pads").value_or(std::vector<int64_t>{});
    const onnx::AttributeProto* value = FindAttr(n, "value");
    const double v = value ? value->f() : 0.0;
    RemoveAttr(n, "pads");
    RemoveAttr(n, "value");
    n.add_input(AddInts(c, n.output(0) + "_pads", pads));
    if (v != 0.0) n.add_input(AddScalar(c, n.output(0) + "_value", type, v));
    return "";
  }
  // Down from the input forms. Full-rank pads are needed below 18 when the
  // node has axes, and as an attribute below 11.
  const bool has_axes = c.from >= 18 && HasInput(n, 3);
  std::optional<std::vector<int64_t>> pads;
  if (has_axes || c.to < 11) {
    pads = c.Ints(n.input(1));
    if (!pads) return NotConstant("pads", n.input(1));
  }
  if (has_axes && c.to < 18) {
    auto axes = c.Ints(n.input(3));
    if (!axes) return NotConstant("axes", n.input(3));
    std::optional<int> rank = c.Rank(n.input(0));
    if (!rank) return absl::StrCat("its axes input needs the rank of '", n.input(0), "', unknown");
    if (pads->size() != 2 * axes->size()) return "pads and axes lengths differ";
    std::vector<int64_t> full(2 * *rank, 0);
    for (size_t k = 0; k < axes->size(); ++k) {
      const int64_t a = NormalizeAxis((*axes)[k], *rank);
      if (a < 0) return absl::StrCat("axis ", (*axes)[k], " is out of range");
      full[a] = (*pads)[k];
      full[a + *rank] = (*pads)[k + axes->size()];
    }
    pads = full;
    TruncateInputs(n, HasInput(n, 2) ? 3 : 2);
    if (c.to >= 11) n.set_input(1, AddInts(c, n.output(0) + "_pads", full));
  }
  if (c.to >= 11) return "";
  int32_t type;
  if (std::string why = FloatType(c, n, type); !why.empty()) return why;
  double value = 0.0;
  if (HasInput(n, 2)) {
    auto v = c.Floats(n.input(2));
    if (!v || v->size() > 1) return NotConstant("constant_value", n.input(2));
    if (!v->empty()) value = (*v)[0];
  }
  TruncateInputs(n, 1);
  SetIntsAttr(n, "pads", *pads);
  if (value != 0.0) {
    auto* a = n.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(value));
  }
  return "";
}

// Clip: min/max attributes (< 11) <-> constant scalar inputs.
std::string ConvertClip(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  int32_t type;
  if (std::string why = FloatType(c, n, type); !why.empty()) return why;
  static const char* kBounds[] = {"min", "max"};
  if (c.Down(11)) {
    std::vector<onnx::AttributeProto> attrs;
    for (int k = 1; k <= 2; ++k) {
      if (!HasInput(n, k)) continue;
      auto v = c.Floats(n.input(k));
      if (!v || v->size() != 1) return NotConstant(kBounds[k - 1], n.input(k));
      onnx::AttributeProto a;
      a.set_name(kBounds[k - 1]);
      a.set_type(onnx::AttributeProto::FLOAT);
      a.set_f(static_cast<float>((*v)[0]));
      attrs.push_back(std::move(a));
    }
    TruncateInputs(n, 1);
    for (auto& a : attrs) *n.add_attribute() = std::move(a);
  } else {
    std::vector<std::string> inputs;
    for (const char* bound : kBounds) {
      const onnx::AttributeProto* a = FindAttr(n, bound);
      inputs.push_back(a ? AddScalar(c, absl::StrCat(n.output(0), "_", bound), type, a->f())
                         : std::string());
    }
    RemoveAttr(n, "min");
    RemoveAttr(n, "max");
    if (inputs[1].empty()) inputs.pop_back();
    if (inputs.size() == 1 && inputs[0].empty()) inputs.clear();
    for (auto& in : inputs) n.add_input(in);
  }
  return "";
}

// Softmax/LogSoftmax/Hardmax: before 13 the input is coerced to 2-D at
// `axis` (default 1) and normalized over everything from `axis` on; from
// 13 over `axis` (default -1) alone. The two agree on the last axis.
std::string ConvertSoftmax(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  const int64_t axis = GetIntAttr(n, "axis", c.from >= 13 ? -1 : 1);
  const std::optional<int> rank = c.Rank(n.input(0));
  const int64_t norm = rank ? NormalizeAxis(axis, *rank) : -1;
  const bool last = rank ? norm == *rank - 1 : axis == -1;
  if (last) {
    SetIntAttr(n, "axis", rank ? *rank - 1 : -1);
    return "";
  }
  if (c.Down(13))
    return absl::StrCat("axis ", axis, " of '", n.input(0), "' (",
                        rank ? absl::StrCat("rank ", *rank) : std::string("rank unknown"),
                        "): before opset 13 ", n.op_type(),
                        " normalizes over all axes from `axis` on, so only the last axis is exact");
  // Up: flatten to [prod(d < axis), prod(d >= axis)], normalize over axis 1,
  // reshape back.
  const std::string base = n.output(0);
  const std::string shape = c.Fresh(base + "_shape"), flat = c.Fresh(base + "_2d"),
                    y2 = c.Fresh(base + "_" + n.op_type());
  before.push_back(MakeNode(c, "Shape", {n.input(0)}, shape, n));
  onnx::NodeProto f = MakeNode(c, "Flatten", {n.input(0)}, flat, n);
  SetIntAttr(f, "axis", axis);
  before.push_back(std::move(f));
  onnx::NodeProto s = n;
  s.set_input(0, flat);
  s.set_output(0, y2);
  SetIntAttr(s, "axis", 1);
  before.push_back(std::move(s));
  n = MakeNode(c, "Reshape", {y2, shape}, base, n);
  return "";
}

// Constant-12's value_* attributes -> value tensor below 12.
std::string ConvertConstant(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (!c.Down(12) || n.attribute_size() != 1) return "";
  const onnx::AttributeProto a = n.attribute(0);
  onnx::TensorProto t;
  if (a.name() == "value_float" || a.name() == "value_floats") {
    t.set_data_type(onnx::TensorProto::FLOAT);
    if (a.name() == "value_float") t.add_float_data(a.f());
    else t.add_dims(a.floats_size());
    for (float f : a.floats()) t.add_float_data(f);
  } else if (a.name() == "value_int" || a.name() == "value_ints") {
    t.set_data_type(onnx::TensorProto::INT64);
    if (a.name() == "value_int") t.add_int64_data(a.i());
    else t.add_dims(a.ints_size());
    for (int64_t i : a.ints()) t.add_int64_data(i);
  } else if (a.name() == "value_string" || a.name() == "value_strings") {
    t.set_data_type(onnx::TensorProto::STRING);
    if (a.name() == "value_string") t.add_string_data(a.s());
    else t.add_dims(a.strings_size());
    for (const auto& s : a.strings()) t.add_string_data(s);
  } else {
    return "";
  }
  n.clear_attribute();
  auto* v = n.add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  *v->mutable_t() = std::move(t);
  return "";
}

// Reshape-14 allowzero: only an allowzero without zeros in the shape has
// the older meaning.
std::string ConvertReshape(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (!c.Down(14) || GetIntAttr(n, "allowzero", 0) == 0) {
    RemoveAttr(n, "allowzero");
    return "";
  }
  auto shape = HasInput(n, 1) ? c.Ints(n.input(1)) : std::nullopt;
  if (!shape || std::find(shape->begin(), shape->end(), 0) != shape->end())
    return "allowzero=1 with a shape that is not a constant free of zeros needs opset 14";
  RemoveAttr(n, "allowzero");
  return "";
}

// Resize: optional roi/scales (13), antialias/axes/policy (18),
// half_pixel_symmetric (19).
std::string ConvertResize(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (c.Down(19) && GetStringAttr(n, "coordinate_transformation_mode") == "half_pixel_symmetric")
    return "coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19";
  if (c.Down(18)) {
    if (GetIntAttr(n, "antialias", 0) != 0) return "antialias=1 needs opset 18";
    if (FindAttr(n, "axes") != nullptr) return "attribute axes needs opset 18";
    if (GetStringAttr(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
      return "keep_aspect_ratio_policy other than 'stretch' needs opset 18";
    for (const char* a : {"antialias", "axes", "keep_aspect_ratio_policy"}) RemoveAttr(n, a);
  }
  if (c.Down(13)) {
    // Resize-11 requires roi and scales; empty tensors mean "not given".
    while (n.input_size() < 3) n.add_input("");
    for (int k = 1; k <= 2; ++k) {
      if (HasInput(n, k)) continue;
      onnx::TensorProto empty;
      empty.set_data_type(onnx::TensorProto::FLOAT);
      empty.add_dims(0);
      n.set_input(k, c.AddInitializer(n.output(0) + (k == 1 ? "_roi" : "_scales"), empty));
    }
  }
  return "";
}

// Shape-15 start/end -> Slice(Shape(x), [start], [end], [0]) below 15:
// Slice clamps and counts negative indices from the end as Shape does.
std::string ConvertShape(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>& before) {
  if (!c.Down(15) || (FindAttr(n, "start") == nullptr && FindAttr(n, "end") == nullptr)) return "";
  const int64_t start = GetIntAttr(n, "start", 0);
  const int64_t end = GetIntAttr(n, "end", std::numeric_limits<int64_t>::max());
  const std::string full = c.Fresh(n.output(0) + "_full");
  onnx::NodeProto shape = n;
  RemoveAttr(shape, "start");
  RemoveAttr(shape, "end");
  shape.set_output(0, full);
  before.push_back(std::move(shape));
  const std::string base = n.output(0);
  n = MakeNode(c, "Slice",
               {full, AddInts(c, base + "_start", {start}), AddInts(c, base + "_end", {end}),
                AddInts(c, base + "_axes", {0})},
               base, n);
  return "";
}

// Gemm: C is optional from 11; below, a zero scalar.
std::string ConvertGemm(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (!c.Down(11) || HasInput(n, 2)) return "";
  int32_t type = c.ElemType(n.input(0));
  if (type == 0) return absl::StrCat("the element type of '", n.input(0), "' is unknown");
  while (n.input_size() < 2) n.add_input("");
  n.add_input(AddScalar(c, n.output(0) + "_c", type, 0.0));
  return "";
}

// Gather: negative indices are read from the end only from 11.
std::string ConvertGather(Ctx& c, onnx::NodeProto& n, std::vector<onnx::NodeProto>&) {
  if (!c.Down(11)) return "";
  auto idx = HasInput(n, 1) ? c.Ints(n.input(1)) : std::nullopt;
  if (!idx || std::any_of(idx->begin(), idx->end(), [](int64_t v) { return v < 0; }))
    return "indices that are not constant and non-negative need opset 11";
  return "";
}

}  // namespace

Converter FindFormConverter(absl::string_view op) {
  if (absl::StartsWith(op, "Reduce")) return ConvertReduce;
  if (op == "Split") return ConvertSplit;
  if (op == "Squeeze" || op == "Unsqueeze") return ConvertAxesInput;
  if (op == "Pad") return ConvertPad;
  if (op == "Clip") return ConvertClip;
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") return ConvertSoftmax;
  if (op == "Constant") return ConvertConstant;
  if (op == "Reshape") return ConvertReshape;
  if (op == "Resize") return ConvertResize;
  if (op == "Gemm") return ConvertGemm;
  if (op == "Shape") return ConvertShape;
  if (op == "Gather") return ConvertGather;
  return nullptr;
}

}  // namespace convert_opset
}  // namespace h8
