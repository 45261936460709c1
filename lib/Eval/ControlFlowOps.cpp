//===- ControlFlowOps.cpp - If, Loop and Scan -------------------------------===//
//
// The bodies run through RunSubgraph in a scope whose parent is the scope of
// the node, so they read outer values by name. Loop stacks each scan output
// along a new axis 0; Scan (opset 9+) slices its scan inputs along
// scan_input_axes and stacks its scan outputs along scan_output_axes, either
// direction; the batched Scan of opset 8 runs each batch entry that way. A
// Loop with scan outputs that runs zero iterations (the outputs' shapes are
// then unknown) is Unimplemented.
// A Loop stops with an error after kMaxLoopIterations iterations (below), so
// a trip count or condition that never ends cannot hang a run.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <string>
#include <vector>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

/// The truth value of a one-element condition tensor.
absl::StatusOr<bool> Condition(const Tensor& t, const char* what) {
  if (t.NumElements() != 1) {
    return InvalidArg(what, " must hold one element, got shape ", DimsString(t.dims));
  }
  return ElementAsDouble(t, 0) != 0;
}

/// prod(dims[0, axis)) and prod(dims(axis, rank)).
std::pair<int64_t, int64_t> OuterInner(const std::vector<int64_t>& dims, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dims[d];
  for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  return {outer, inner};
}

/// Copies `count` runs of `len` elements from `src` (run stride `src_stride`,
/// starting at `src_off`) to `dst` (stride `dst_stride`, from `dst_off`).
void CopyRuns(const Tensor& src, int64_t src_off, int64_t src_stride, Tensor& dst, int64_t dst_off,
              int64_t dst_stride, int64_t count, int64_t len) {
  for (int64_t o = 0; o < count; ++o) {
    if (src.IsFloat()) {
      std::copy_n(src.f.begin() + src_off + o * src_stride, len,
                  dst.f.begin() + dst_off + o * dst_stride);
    } else {
      std::copy_n(src.i.begin() + src_off + o * src_stride, len,
                  dst.i.begin() + dst_off + o * dst_stride);
    }
  }
}

/// Element `index` of `t` along `axis`, with that axis removed.
Tensor TakeSlice(const Tensor& t, int64_t axis, int64_t index) {
  std::vector<int64_t> dims = t.dims;
  const int64_t n = dims[axis];
  dims.erase(dims.begin() + axis);
  Tensor out = AllocateTensor(t.dtype, dims);
  const auto [outer, inner] = OuterInner(t.dims, axis);
  CopyRuns(t, index * inner, n * inner, out, 0, inner, outer, inner);
  return out;
}

/// Stacks `parts` (equal shapes and types) along a new axis `axis`, in
/// reverse order when `reverse`.
absl::StatusOr<Tensor> Stack(const std::vector<Tensor>& parts, int64_t axis, bool reverse,
                             const std::string& what) {
  const Tensor& first = parts.front();
  for (const Tensor& p : parts) {
    if (p.dims != first.dims || p.dtype != first.dtype) {
      return InvalidArg(what, " changes from ", ElementTypeName(first.dtype),
                        DimsString(first.dims), " to ", ElementTypeName(p.dtype),
                        DimsString(p.dims), " between iterations");
    }
  }
  H8_ASSIGN_OR_RETURN(axis, CheckAxis(axis, static_cast<int64_t>(first.dims.size()) + 1));
  std::vector<int64_t> dims = first.dims;
  const int64_t count = static_cast<int64_t>(parts.size());
  dims.insert(dims.begin() + axis, count);
  Tensor out = AllocateTensor(first.dtype, dims);
  const auto [outer, inner] = OuterInner(dims, axis);
  for (int64_t s = 0; s < count; ++s) {
    const Tensor& p = parts[reverse ? count - 1 - s : s];
    CopyRuns(p, 0, inner, out, s * inner, count * inner, outer, inner);
  }
  return out;
}

/// Checks that a body returned `want` outputs.
absl::Status CheckBodyOutputs(const std::vector<Tensor>& outs, size_t want, const char* body) {
  if (outs.size() != want) {
    return InvalidArg(body, " returned ", outs.size(), " outputs, expected ", want);
  }
  return absl::OkStatus();
}

Kernel If(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* cond, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(bool taken, Condition(*cond, "cond"));
  const char* branch = taken ? "then_branch" : "else_branch";
  H8_ASSIGN_OR_RETURN(const onnx::GraphProto* g, ctx.AttrGraph(branch));
  H8_ASSIGN_OR_RETURN(std::vector<Tensor> outs, RunSubgraph(*g, ctx.opset(), ctx.scope(), {}));
  H8_RETURN_IF_ERROR(CheckBodyOutputs(outs, ctx.NumOutputs(), branch));
  return outs;
}

/// The most iterations one Loop node may run. Exporters write "while" loops
/// as M = INT64_MAX plus a condition, so M alone cannot bound the work; real
/// models' loops (decoders, per-frame loops) run far fewer. Reaching the cap
/// is an OutOfRange error naming the node (exit 1 from the driver; not a
/// budget: --verify-max-work does not lift it).
constexpr int64_t kMaxLoopIterations = 1000000;

Kernel Loop(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const onnx::GraphProto* body, ctx.AttrGraph("body"));
  const Tensor* max_trip = ctx.Input(0);
  const Tensor* cond_in = ctx.Input(1);
  int64_t trips = -1;  // -1: no limit
  if (max_trip != nullptr) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> m, IntValues(*max_trip, "M"));
    if (m.size() != 1) return InvalidArg("M must hold one element");
    trips = std::max<int64_t>(m[0], 0);
  }
  if (max_trip == nullptr && cond_in == nullptr) {
    return Unimpl("a Loop with neither M nor cond never ends");
  }
  bool cond = true;
  if (cond_in != nullptr) {
    H8_ASSIGN_OR_RETURN(cond, Condition(*cond_in, "cond"));
  }
  const size_t num_carried = ctx.NumInputs() > 2 ? ctx.NumInputs() - 2 : 0;
  std::vector<Tensor> carried;
  for (size_t k = 0; k < num_carried; ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* v, ctx.Required(2 + k));
    carried.push_back(*v);
  }
  const size_t body_outputs = static_cast<size_t>(body->output_size());
  if (body_outputs < 1 + num_carried) {
    return InvalidArg("body has ", body_outputs, " outputs, fewer than 1 + ", num_carried,
                      " loop-carried values");
  }
  const size_t num_scan = body_outputs - 1 - num_carried;
  std::vector<std::vector<Tensor>> scans(num_scan);
  int64_t iter = 0;
  for (; (trips < 0 || iter < trips) && (cond_in == nullptr || cond); ++iter) {
    if (iter == kMaxLoopIterations) {
      return absl::OutOfRangeError(absl::StrCat(
          "stopped after ", kMaxLoopIterations, " iterations, the evaluator's limit per Loop (",
          trips < 0 ? std::string("no trip count") : absl::StrCat("trip count ", trips),
          cond_in != nullptr ? ", condition still true)" : ")"));
    }
    std::vector<Tensor> args;
    args.push_back(MakeIntTensor({}, {iter}));
    args.push_back(MakeIntTensor({}, {cond ? 1 : 0}, onnx::TensorProto::BOOL));
    for (Tensor& v : carried) args.push_back(std::move(v));
    H8_ASSIGN_OR_RETURN(std::vector<Tensor> outs,
                        RunSubgraph(*body, ctx.opset(), ctx.scope(), std::move(args)));
    H8_RETURN_IF_ERROR(CheckBodyOutputs(outs, body_outputs, "body"));
    H8_ASSIGN_OR_RETURN(cond, Condition(outs[0], "the body's condition output"));
    for (size_t k = 0; k < num_carried; ++k) carried[k] = std::move(outs[1 + k]);
    for (size_t k = 0; k < num_scan; ++k) scans[k].push_back(std::move(outs[1 + num_carried + k]));
  }
  std::vector<Tensor> result = std::move(carried);
  for (size_t k = 0; k < num_scan; ++k) {
    if (scans[k].empty()) {
      return Unimpl("scan output #", k, " of a loop that ran no iteration (shape unknown)");
    }
    H8_ASSIGN_OR_RETURN(Tensor t, Stack(scans[k], 0, false, absl::StrCat("scan output #", k)));
    result.push_back(std::move(t));
  }
  return result;
}

/// attribute `name` (one entry per item, default 0), checked for `count`.
absl::StatusOr<std::vector<int64_t>> PerItem(const OpContext& ctx, const char* name, size_t count) {
  std::vector<int64_t> v = ctx.AttrInts(name);
  if (!ctx.HasAttr(name)) v.assign(count, 0);
  if (v.size() != count) {
    return InvalidArg("attribute '", name, "' has ", v.size(), " entries, expected ", count);
  }
  return v;
}

/// Scan's body and its input/output split: `num_in` inputs (states, then
/// num_scan_inputs scanned), body outputs (states, then scan outputs).
struct ScanShape {
  const onnx::GraphProto* body;
  int64_t m;
  size_t num_in, num_state, body_outputs, num_scan_out;
};
absl::StatusOr<ScanShape> ReadScanShape(const OpContext& ctx, size_t num_in) {
  ScanShape sh;
  H8_ASSIGN_OR_RETURN(sh.body, ctx.AttrGraph("body"));
  sh.m = ctx.AttrInt("num_scan_inputs", -1);
  sh.num_in = num_in;
  if (sh.m < 1 || static_cast<size_t>(sh.m) > num_in) {
    return InvalidArg("attribute 'num_scan_inputs' = ", sh.m, " does not fit ", num_in, " inputs");
  }
  sh.num_state = num_in - sh.m;
  sh.body_outputs = static_cast<size_t>(sh.body->output_size());
  if (sh.body_outputs < sh.num_state) {
    return InvalidArg("body has ", sh.body_outputs, " outputs, fewer than ", sh.num_state,
                      " states");
  }
  sh.num_scan_out = sh.body_outputs - sh.num_state;
  return sh;
}

/// Scan-8: every state and scan input has a leading batch axis (scan inputs
/// iterate along axis 1); each batch entry runs on its own, and the results
/// are stacked back along axis 0. `directions` reverses scan inputs; a
/// sequence_lens shorter than the sequence is Unimplemented (the padding of
/// scan outputs past it is unspecified).
Kernel Scan8(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(ScanShape sh,
                      ReadScanShape(ctx, ctx.NumInputs() > 0 ? ctx.NumInputs() - 1 : 0));
  const onnx::GraphProto* body = sh.body;
  const int64_t m = sh.m;
  const size_t num_in = sh.num_in, num_state = sh.num_state;
  const size_t body_outputs = sh.body_outputs, num_scan_out = sh.num_scan_out;
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dirs, PerItem(ctx, "directions", m));
  std::vector<const Tensor*> in(num_in);
  int64_t batch = -1, length = -1;
  for (size_t k = 0; k < num_in; ++k) {
    H8_ASSIGN_OR_RETURN(in[k], ctx.Required(1 + k));
    const bool scanned = k >= num_state;
    if (in[k]->dims.size() < (scanned ? 2u : 1u))
      return InvalidArg("input #", 1 + k, " lacks the batch axis");
    if (batch >= 0 && in[k]->dims[0] != batch)
      return InvalidArg("inputs disagree on the batch size");
    batch = in[k]->dims[0];
    if (scanned) {
      if (length >= 0 && in[k]->dims[1] != length)
        return InvalidArg("scan inputs disagree on the sequence length");
      length = in[k]->dims[1];
    }
  }
  if (const Tensor* lens = ctx.Input(0)) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> v, IntValues(*lens, "sequence_lens"));
    for (int64_t len : v) {
      if (len != length) return Unimpl("sequence_lens shorter than the sequence is not supported");
    }
  }
  std::vector<std::vector<Tensor>> per_batch(body_outputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Tensor> state;
    for (size_t k = 0; k < num_state; ++k) state.push_back(TakeSlice(*in[k], 0, b));
    std::vector<Tensor> seq;
    for (int64_t j = 0; j < m; ++j) seq.push_back(TakeSlice(*in[num_state + j], 0, b));
    std::vector<std::vector<Tensor>> scans(num_scan_out);
    for (int64_t it = 0; it < length; ++it) {
      std::vector<Tensor> args;
      for (Tensor& v : state) args.push_back(std::move(v));
      for (int64_t j = 0; j < m; ++j) {
        args.push_back(TakeSlice(seq[j], 0, dirs[j] != 0 ? length - 1 - it : it));
      }
      H8_ASSIGN_OR_RETURN(std::vector<Tensor> outs,
                          RunSubgraph(*body, ctx.opset(), ctx.scope(), std::move(args)));
      H8_RETURN_IF_ERROR(CheckBodyOutputs(outs, body_outputs, "body"));
      state.assign(std::make_move_iterator(outs.begin()),
                   std::make_move_iterator(outs.begin() + num_state));
      for (size_t k = 0; k < num_scan_out; ++k) scans[k].push_back(std::move(outs[num_state + k]));
    }
    for (size_t k = 0; k < num_state; ++k) per_batch[k].push_back(std::move(state[k]));
    for (size_t k = 0; k < num_scan_out; ++k) {
      if (scans[k].empty()) return Unimpl("scan output #", k, " of a zero-length scan");
      H8_ASSIGN_OR_RETURN(Tensor t, Stack(scans[k], 0, false, absl::StrCat("scan output #", k)));
      per_batch[num_state + k].push_back(std::move(t));
    }
  }
  std::vector<Tensor> result;
  for (size_t k = 0; k < body_outputs; ++k) {
    if (per_batch[k].empty()) return Unimpl("output #", k, " of a zero-batch Scan");
    H8_ASSIGN_OR_RETURN(Tensor t, Stack(per_batch[k], 0, false, absl::StrCat("output #", k)));
    result.push_back(std::move(t));
  }
  return result;
}

Kernel Scan(const OpContext& ctx) {
  if (ctx.opset() < 9) return Scan8(ctx);
  H8_ASSIGN_OR_RETURN(ScanShape sh, ReadScanShape(ctx, ctx.NumInputs()));
  const onnx::GraphProto* body = sh.body;
  const int64_t m = sh.m;
  const size_t num_state = sh.num_state;
  const size_t body_outputs = sh.body_outputs, num_scan_out = sh.num_scan_out;
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> in_axes, PerItem(ctx, "scan_input_axes", m));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> in_dirs, PerItem(ctx, "scan_input_directions", m));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> out_axes,
                      PerItem(ctx, "scan_output_axes", num_scan_out));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> out_dirs,
                      PerItem(ctx, "scan_output_directions", num_scan_out));

  std::vector<Tensor> state;
  for (size_t k = 0; k < num_state; ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* v, ctx.Required(k));
    state.push_back(*v);
  }
  std::vector<const Tensor*> scan_in;
  int64_t length = -1;
  for (int64_t j = 0; j < m; ++j) {
    H8_ASSIGN_OR_RETURN(const Tensor* v, ctx.Required(num_state + j));
    H8_ASSIGN_OR_RETURN(in_axes[j], CheckAxis(in_axes[j], v->dims.size()));
    const int64_t n = v->dims[in_axes[j]];
    if (length >= 0 && n != length) {
      return InvalidArg("scan input #", j, " has ", n, " iterations along axis ", in_axes[j],
                        ", the first has ", length);
    }
    length = n;
    scan_in.push_back(v);
  }
  std::vector<std::vector<Tensor>> scans(num_scan_out);
  for (int64_t it = 0; it < length; ++it) {
    std::vector<Tensor> args;
    for (Tensor& v : state) args.push_back(std::move(v));
    for (int64_t j = 0; j < m; ++j) {
      args.push_back(TakeSlice(*scan_in[j], in_axes[j], in_dirs[j] != 0 ? length - 1 - it : it));
    }
    H8_ASSIGN_OR_RETURN(std::vector<Tensor> outs,
                        RunSubgraph(*body, ctx.opset(), ctx.scope(), std::move(args)));
    H8_RETURN_IF_ERROR(CheckBodyOutputs(outs, body_outputs, "body"));
    for (size_t k = 0; k < num_state; ++k) state[k] = std::move(outs[k]);
    for (size_t k = 0; k < num_scan_out; ++k) scans[k].push_back(std::move(outs[num_state + k]));
  }
  std::vector<Tensor> result = std::move(state);
  for (size_t k = 0; k < num_scan_out; ++k) {
    if (scans[k].empty()) return Unimpl("scan output #", k, " of a zero-length scan");
    H8_ASSIGN_OR_RETURN(
        Tensor t, Stack(scans[k], out_axes[k], out_dirs[k] != 0, absl::StrCat("scan output #", k)));
    result.push_back(std::move(t));
  }
  return result;
}

}  // namespace

void RegisterControlFlowOps(OpTable& table) {
  table.insert({{"If", If}, {"Loop", Loop}, {"Scan", Scan}});
}

}  // namespace eval
}  // namespace h8
