//===- VerifyNumerics.cpp - Numeric equivalence of two models -------------===//
#include "h8/Tools/VerifyNumerics.h"

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Eval/Evaluator.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Passes/LiftConv1d.h"
#include "h8/Passes/SplitHailo8.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"
#include "h8/Support/TextIO.h"

namespace h8 {
namespace {

// Bytes the verifier holds besides an evaluation's own tensors.
int64_t HeldBytes(const std::map<std::string, Tensor>& tensors) {
  int64_t bytes = 0;
  for (const auto& [name, t] : tensors) bytes += t.StorageBytes();
  return bytes;
}
int64_t HeldBytes(const std::vector<std::vector<Tensor>>& rows) {
  int64_t bytes = 0;
  for (const auto& row : rows)
    for (const Tensor& t : row) bytes += t.StorageBytes();
  return bytes;
}

// The budget of one evaluation while the verifier holds `held` bytes; an
// error naming the flag when nothing is left.
absl::StatusOr<EvalBudget> BudgetLeft(const VerifyOptions& options, int64_t held) {
  EvalBudget b = options.budget;
  if (held >= b.max_live_bytes)
    return absl::ResourceExhaustedError(absl::StrCat("inputs and reference outputs take ", held,
                                                     " bytes, over the budget of ",
                                                     b.max_live_bytes, " bytes"));
  b.max_live_bytes -= held;
  return b;
}

// Budget errors name the flags that raise the budget.
absl::Status ExplainBudget(const absl::Status& s, const VerifyOptions& options) {
  if (s.code() != absl::StatusCode::kResourceExhausted) return s;
  return absl::ResourceExhaustedError(absl::StrCat(
      "model too large to verify within --verify-max-bytes=", options.budget.max_live_bytes,
      " --verify-max-work=", options.budget.max_work, ": ", s.message()));
}

// One accumulator per output, with the options' tolerance.
CompareAccumulator Accumulator(const VerifyOptions& options) {
  return CompareAccumulator(Tolerance{options.atol, options.rtol});
}

// `t` restricted to index `h` of `axis` (the axis is dropped).
Tensor SliceAxis(const Tensor& t, int axis, int64_t h) {
  Tensor out;
  out.dtype = t.dtype;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= t.dims[d];
  for (size_t d = axis + 1; d < t.dims.size(); ++d) inner *= t.dims[d];
  const int64_t rows = t.dims[axis];
  for (size_t d = 0; d < t.dims.size(); ++d)
    if (static_cast<int>(d) != axis) out.dims.push_back(t.dims[d]);
  auto copy = [&](const auto& src, auto& dst) {
    dst.resize(outer * inner);
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(src.begin() + (o * rows + h) * inner, inner, dst.begin() + o * inner);
  };
  if (t.IsFloat()) copy(t.f, out.f);
  else copy(t.i, out.i);
  return out;
}

// Dims of a graph value's type with dynamic dims resolved. A static 0 is an
// empty dim and stays 0.
std::vector<int64_t> ResolveDims(const onnx::ValueInfoProto& vi, const VerifyOptions& options) {
  std::vector<int64_t> dims;
  for (const auto& d : vi.type().tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      dims.push_back(d.dim_value());
    } else {
      auto it = options.dims.find(d.dim_param());
      dims.push_back(it != options.dims.end() ? it->second : 1);
    }
  }
  return dims;
}

std::vector<const onnx::ValueInfoProto*> RuntimeInputs(const onnx::GraphProto& g) {
  GraphIndex index(g);
  std::vector<const onnx::ValueInfoProto*> out;
  for (const auto& in : g.input())
    if (index.IsRuntimeInput(in.name())) out.push_back(&in);
  return out;
}

int InsertedAxis(const ArtifactStore& artifacts, const std::string& name) {
  const LiftedInterface* lifted = artifacts.Get<LiftedInterface>();
  if (lifted == nullptr) return -1;
  auto it = lifted->inserted_axis.find(name);
  return it == lifted->inserted_axis.end() ? -1 : it->second;
}

Tensor WithUnitAxis(Tensor t, int axis) {
  t.dims.insert(t.dims.begin() + axis, 1);
  return t;
}

// Compares rewritten outputs with expected ones (per row when rows > 1).
absl::Status CompareOutputs(const onnx::GraphProto& rewritten, const ArtifactStore& artifacts,
                            const std::vector<std::vector<Tensor>>& expected_rows,
                            const std::vector<Tensor>& actual,
                            std::vector<CompareAccumulator>& acc) {
  for (int o = 0; o < rewritten.output_size(); ++o) {
    const std::string& name = rewritten.output(o).name();
    int axis = InsertedAxis(artifacts, name);
    // A model lifted in an earlier run carries no record: an output one rank
    // above the reference with a unit dim at 2 is lift-conv1d's layout.
    if (axis < 0 && actual[o].dims.size() == expected_rows[0][o].dims.size() + 1 &&
        actual[o].dims.size() > 2 && actual[o].dims[2] == 1)
      axis = 2;
    for (size_t h = 0; h < expected_rows.size(); ++h) {
      const Tensor& expected = expected_rows[h][o];
      Tensor got = axis >= 0 && static_cast<int>(actual[o].dims.size()) > axis
                       ? SliceAxis(actual[o], axis, static_cast<int64_t>(h))
                       : actual[o];
      if (got.dims != expected.dims)
        return absl::FailedPreconditionError(
            absl::StrCat("output '", name, "' has shape (", absl::StrJoin(got.dims, ","),
                         ") where the original has (", absl::StrJoin(expected.dims, ","), ")"));
      H8_RETURN_IF_ERROR(acc[o].Add(expected, got));
    }
  }
  return absl::OkStatus();
}

std::vector<OutputComparison> Finish(const onnx::GraphProto& rewritten,
                                     const std::vector<CompareAccumulator>& acc,
                                     const std::vector<Tensor>& last,
                                     const VerifyOptions& options) {
  std::vector<OutputComparison> reports;
  for (int o = 0; o < rewritten.output_size(); ++o) {
    OutputComparison r;
    r.name = rewritten.output(o).name();
    r.stats = acc[o].Stats();
    r.dims = last[o].dims;
    r.ok = StatsPass(r.stats, options.min_cosine);
    reports.push_back(std::move(r));
  }
  return reports;
}

// What computes the original outputs: the rewritten model, or after
// split-hailo8 the composition host(rewritten(x)), with the host model the
// split left as an artifact (SplitHostModel).
class Composition {
 public:
  static absl::StatusOr<Composition> Load(const onnx::ModelProto& rewritten,
                                          const ArtifactStore& artifacts) {
    Composition c;
    c.rewritten_ = &rewritten;
    const SplitHostModel* split = artifacts.Get<SplitHostModel>();
    c.host_ = split ? split->model.get() : nullptr;
    return c;
  }

  /// The graph whose outputs are compared with the original's.
  const onnx::GraphProto& outputs() const { return host_ ? host_->graph() : rewritten_->graph(); }

  /// Evaluates on `feeds` while the caller holds `held` bytes besides.
  absl::StatusOr<std::vector<Tensor>> Evaluate(const std::map<std::string, Tensor>& feeds,
                                               const std::string& base_dir,
                                               const VerifyOptions& options, int64_t held) const {
    H8_ASSIGN_OR_RETURN(EvalBudget budget, BudgetLeft(options, held));
    H8_ASSIGN_OR_RETURN(auto device, EvaluateModel(*rewritten_, feeds, base_dir, budget));
    if (!host_) return device;
    // The host's inputs are the device's outputs, by name.
    std::map<std::string, Tensor> host_feeds;
    const onnx::GraphProto& g = rewritten_->graph();
    for (const onnx::ValueInfoProto* in : RuntimeInputs(host_->graph())) {
      int o = 0;
      while (o < g.output_size() && g.output(o).name() != in->name()) ++o;
      if (o == g.output_size())
        return absl::FailedPreconditionError(absl::StrCat(
            "the host model's input '", in->name(), "' is not an output of the device model"));
      host_feeds[in->name()] = device[o];
    }
    H8_ASSIGN_OR_RETURN(budget, BudgetLeft(options, held + HeldBytes({device})));
    return EvaluateModel(*host_, host_feeds, base_dir, budget);
  }

 private:
  const onnx::ModelProto* rewritten_ = nullptr;
  const onnx::ModelProto* host_ = nullptr;
};

}  // namespace

namespace {

absl::StatusOr<std::vector<OutputComparison>> VerifyRandom(const onnx::ModelProto& original,
                                                           const onnx::ModelProto& rewritten,
                                                           const ArtifactStore& artifacts,
                                                           const VerifyOptions& options,
                                                           const std::string& base_dir) {
  H8_ASSIGN_OR_RETURN(Composition composed, Composition::Load(rewritten, artifacts));
  const onnx::GraphProto& outputs = composed.outputs();
  if (original.graph().output_size() != outputs.output_size())
    return absl::FailedPreconditionError(
        absl::StrCat("the rewritten model has ", outputs.output_size(), " outputs, the original ",
                     original.graph().output_size()));
  std::vector<const onnx::ValueInfoProto*> inputs = RuntimeInputs(rewritten.graph());
  std::vector<CompareAccumulator> acc(outputs.output_size(), Accumulator(options));
  std::vector<Tensor> last;
  for (int trial = 0; trial < options.trials; ++trial) {
    std::map<std::string, Tensor> rewritten_inputs;
    int64_t rows = 1;
    for (size_t k = 0; k < inputs.size(); ++k) {
      std::vector<int64_t> dims = ResolveDims(*inputs[k], options);
      int axis = InsertedAxis(artifacts, inputs[k]->name());
      if (axis >= 0 && axis < static_cast<int>(dims.size())) rows = std::max(rows, dims[axis]);
      // Checked before the input is generated: it, its per-row slices and
      // the other inputs all have to fit.
      const int32_t elem_type = inputs[k]->type().tensor_type().elem_type();
      auto count = CheckedNumElements(dims);
      const int64_t elem_bytes = IsFloatDtype(elem_type) ? sizeof(float) : sizeof(int64_t);
      const int64_t held = HeldBytes(rewritten_inputs);
      if (!count.ok() || *count > (options.budget.max_live_bytes - held) / elem_bytes / 2)
        return absl::ResourceExhaustedError(
            absl::StrCat("input '", inputs[k]->name(), "' of shape (", absl::StrJoin(dims, ","),
                         ") does not fit in the budget of ", options.budget.max_live_bytes,
                         " bytes with its copy for the original model"));
      uint64_t seed = options.seed * 1000003 + trial * 101 + k;
      rewritten_inputs[inputs[k]->name()] = RandomTensor(elem_type, dims, seed);
    }
    std::vector<std::vector<Tensor>> expected_rows;
    bool sliced = false;
    for (const auto& [name, t] : rewritten_inputs) sliced |= InsertedAxis(artifacts, name) >= 0;
    for (int64_t h = 0; h < rows; ++h) {
      // Inputs that gained an axis are sliced per row; otherwise the
      // original model reads the same tensors.
      std::map<std::string, Tensor> original_inputs;
      for (const auto& [name, t] : rewritten_inputs) {
        if (!sliced) break;
        int axis = InsertedAxis(artifacts, name);
        original_inputs[name] = axis >= 0 ? SliceAxis(t, axis, h) : t;
      }
      H8_ASSIGN_OR_RETURN(EvalBudget budget, BudgetLeft(options, HeldBytes(rewritten_inputs) +
                                                                     HeldBytes(original_inputs) +
                                                                     HeldBytes(expected_rows)));
      H8_ASSIGN_OR_RETURN(
          auto outs,
          EvaluateModel(original, sliced ? original_inputs : rewritten_inputs, base_dir, budget));
      expected_rows.push_back(std::move(outs));
    }
    last.clear();
    H8_ASSIGN_OR_RETURN(last,
                        composed.Evaluate(rewritten_inputs, base_dir, options,
                                          HeldBytes(rewritten_inputs) + HeldBytes(expected_rows)));
    H8_RETURN_IF_ERROR(CompareOutputs(outputs, artifacts, expected_rows, last, acc));
  }
  return Finish(outputs, acc, last, options);
}

}  // namespace

absl::StatusOr<std::vector<OutputComparison>> VerifyNumerics(const onnx::ModelProto& original,
                                                             const onnx::ModelProto& rewritten,
                                                             const ArtifactStore& artifacts,
                                                             const VerifyOptions& options,
                                                             const std::string& base_dir) {
  // The evaluator turns allocation failures inside it into statuses; this
  // covers the verifier's own copies (inputs, slices, comparisons).
  absl::StatusOr<std::vector<OutputComparison>> result;
  try {
    result = VerifyRandom(original, rewritten, artifacts, options, base_dir);
  } catch (const std::bad_alloc&) {
    result = absl::ResourceExhaustedError("out of memory while verifying");
  }
  if (!result.ok()) return ExplainBudget(result.status(), options);
  return result;
}

absl::StatusOr<std::vector<OutputComparison>> VerifyAgainstDataSet(
    const onnx::ModelProto& rewritten, const ArtifactStore& artifacts, const std::string& dir,
    const VerifyOptions& options, const std::string& base_dir) {
  H8_ASSIGN_OR_RETURN(Composition composed, Composition::Load(rewritten, artifacts));
  const onnx::GraphProto& outputs = composed.outputs();
  std::vector<const onnx::ValueInfoProto*> inputs = RuntimeInputs(rewritten.graph());
  std::map<std::string, Tensor> feeds;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::string path = absl::StrCat(dir, "/input_", k, ".pb");
    H8_ASSIGN_OR_RETURN(Tensor t, ReadTensorFile(path));
    int axis = InsertedAxis(artifacts, inputs[k]->name());
    const int model_rank = inputs[k]->type().tensor_type().shape().dim_size();
    if (axis < 0 && static_cast<int>(t.dims.size()) + 1 == model_rank && model_rank > 2)
      axis = 2;  // lifted in an earlier run (see CompareOutputs)
    feeds[inputs[k]->name()] = axis >= 0 ? WithUnitAxis(std::move(t), axis) : std::move(t);
  }
  std::vector<Tensor> expected;
  for (int o = 0; o < outputs.output_size(); ++o) {
    H8_ASSIGN_OR_RETURN(Tensor t, ReadTensorFile(absl::StrCat(dir, "/output_", o, ".pb")));
    expected.push_back(std::move(t));
  }
  auto evaluated =
      composed.Evaluate(feeds, base_dir, options, HeldBytes(feeds) + HeldBytes({expected}));
  if (!evaluated.ok()) return ExplainBudget(evaluated.status(), options);
  std::vector<Tensor>& actual = *evaluated;
  std::vector<CompareAccumulator> acc(outputs.output_size(), Accumulator(options));
  H8_RETURN_IF_ERROR(CompareOutputs(outputs, artifacts, {expected}, actual, acc));
  return Finish(outputs, acc, actual, options);
}

std::string FormatCriteria(const VerifyOptions& options) {
  std::ostringstream out;
  out << "pass when cos >= " << options.min_cosine << " and |d| <= " << options.atol << " + "
      << options.rtol << "*|ref|";
  return out.str();
}

void NumericsVerification::RunBeforePipeline(const onnx::ModelProto& model, PassContext&) {
  original_ = std::make_unique<onnx::ModelProto>(model);
}

absl::Status NumericsVerification::RunAfterPass(const Pass& pass, const PassRunInfo& info,
                                                const onnx::ModelProto& model, PassContext& ctx) {
  // An unchanged model is the one compared after an earlier pass (or the
  // input itself).
  if (!info.changed || original_ == nullptr) return absl::OkStatus();
  // Each pass's result is compared with the pipeline's input, so the first
  // failing pass is the one that broke it.
  auto reports = VerifyNumerics(*original_, model, ctx.artifacts(), options_, ctx.base_dir());
  absl::Status s = reports.status();
  if (reports.ok()) {
    auto bad = std::find_if(reports->begin(), reports->end(),
                            [](const OutputComparison& r) { return !r.ok; });
    if (bad == reports->end()) return absl::OkStatus();
    s = absl::FailedPreconditionError(FormatStats(bad->name, bad->stats, bad->dims));
  }
  const std::string name(pass.Argument());
  ctx.set_current_pass("verify-each");
  // FailedPrecondition is a measured mismatch; anything else means the
  // models could not be evaluated at all.
  if (absl::IsFailedPrecondition(s))
    ctx.Error() << "pass '" << name << "' changed the model's numerics: " << s.message();
  else ctx.Error() << "cannot verify numerics after pass '" << name << "': " << s.message();
  return absl::InternalError(absl::StrCat("numerics broken by ", name));
}

}  // namespace h8
