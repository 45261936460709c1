//===- PinShape.cpp - Fix input shapes and make every tensor static -------===//
//
// Hailo's parser rejects dynamic shapes. pin-shape fixes the shapes of graph
// inputs (by position for a single input, or by name), pin-dim fixes
// symbolic dims by name everywhere (torch.export's `s77` and the
// expressions over it, like `(((s77 - 1)//8)) + 1`, included); both then
// alternate the shape analysis and fold-constants to a fixed point (each
// round is linear and folds at least one node, so there is no round
// limit), so the Shape/Gather/Concat/Reshape plumbing PyTorch exports
// disappears, and check the postcondition: every graph input, output and
// intermediate tensor has a fully static shape. A tensor left dynamic is
// an error naming it, its producer, and the symbols it still depends on (or
// the op the analysis has no rule for).
//
// Before:  g (float[batch,9,time] x) => (float[batch,5] y)
// After --pin-shape=1,9,100:  g (float[1,9,100] x) => (float[1,5] y)
//
// Errors in the pin itself (unknown input, rank mismatch, a dim that
// contradicts a static dim of the model, a pin for an initializer) are
// usage errors (exit 2); a pin that contradicts what an earlier pass
// required (lift-conv1d fixed H to 1) is a model error naming the node.
// Dims nobody pinned are never frozen just because a value was guessed:
// only inference and folding make them static.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/OpTraits.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/DimsText.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

struct Pin {
  std::string input;  // empty: the single runtime input
  std::vector<int64_t> dims;
};

std::string ShapeText(const onnx::ValueInfoProto& vi) {
  std::vector<std::string> dims;
  if (!vi.type().tensor_type().has_shape()) return "[?]";
  for (const auto& d : vi.type().tensor_type().shape().dim())
    dims.push_back(d.has_dim_value()   ? absl::StrCat(d.dim_value())
                   : d.has_dim_param() ? d.dim_param()
                                       : "?");
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

absl::Status ParseDims(absl::string_view text, std::vector<int64_t>& dims) {
  dims.clear();
  int64_t product = 1;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d))
      return UsageStatus(absl::StrCat("dim '", part, "' is not a number"));
    if (d <= 0) return UsageStatus(absl::StrCat("dim ", d, " must be positive"));
    if (product > std::numeric_limits<int64_t>::max() / d)
      return UsageStatus("the pinned dims overflow int64 when multiplied");
    product *= d;
    dims.push_back(d);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Pin>> ParsePins(const std::string& text) {
  std::vector<Pin> pins;
  for (absl::string_view item : absl::StrSplit(text, ' ', absl::SkipWhitespace())) {
    Pin pin;
    absl::string_view dims = item;
    if (size_t colon = item.rfind(':'); colon != absl::string_view::npos) {
      pin.input = std::string(item.substr(0, colon));
      dims = item.substr(colon + 1);
    }
    H8_RETURN_IF_ERROR(ParseDims(dims, pin.dims));
    pins.push_back(std::move(pin));
  }
  if (pins.empty()) return UsageStatus("no shape given (e.g. shape=1,9,2,100)");
  return pins;
}

// `batch=1,time=100` -> {batch: 1, time: 100}.
absl::StatusOr<std::map<std::string, int64_t>> ParseDimsOption(const std::string& text) {
  std::string bad;
  std::optional<std::map<std::string, int64_t>> dims = ParseNamedDims(text, &bad);
  if (!dims) return UsageStatus(absl::StrCat("expected name=positive-integer, got '", bad, "'"));
  return *dims;
}

// Declared dims over pinned symbols become static (expressions too).
void PinDeclaredDims(onnx::TypeProto* type, const std::map<std::string, int64_t>& params) {
  if (!type->has_tensor_type() || !type->tensor_type().has_shape()) return;
  for (auto& d : *type->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
    if (!d.has_dim_param()) continue;
    Dim dim = Dim::FromParam(d.dim_param()).Substitute(params);
    if (dim.is_static() && dim.value() >= 0) d.set_dim_value(dim.value());
  }
}

std::string WhyDynamic(const onnx::NodeProto& node, const ValueFacts* facts,
                       const ShapeAnalysis& shapes, const onnx::GraphProto& graph) {
  const std::string& op = node.op_type();
  if (GetOpTraits(op).data_dependent_shape || op == "TopK")
    return absl::StrCat("the output of ", op, " depends on the data");
  if (facts != nullptr && facts->has_shape) {
    std::vector<std::string> symbols;
    for (const Dim& d : facts->dims)
      for (std::string& s : d.Symbols()) symbols.push_back(std::move(s));
    if (!symbols.empty()) {
      std::sort(symbols.begin(), symbols.end());
      symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
      return absl::StrCat("its shape ", facts->ShapeString(), " depends on the unpinned dim",
                          symbols.size() == 1 ? " " : "s ", absl::StrJoin(symbols, ", "),
                          " (pin-dim=", symbols[0], "=...)");
    }
  }
  if (op == "Reshape" || op == "Expand" || op == "Tile" || op == "ConstantOfShape" ||
      op == "Range" || op == "Resize" || op == "Slice")
    return absl::StrCat(op, " takes a shape or size computed at run time", shapes.UnknownOpsNote());
  return absl::StrCat("the shape analysis could not determine it", shapes.UnknownOpsNote());
}

class PinShapePass : public Pass {
 public:
  PinShapePass(std::string argument, const PinShapeOptions& options)
      : argument_(std::move(argument)), options_(options) {}
  absl::string_view Argument() const override { return argument_; }

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    onnx::GraphProto& graph = *model.mutable_graph();
    // The graph's index, taken before the pins edit types: pinning changes
    // no wiring, so the first analysis below walks by its value ids.
    std::shared_ptr<const GraphIndex> index = ctx.analyses().Index(graph);
    // Runtime inputs: graph inputs that are not initializers.
    std::vector<onnx::ValueInfoProto*> runtime;
    for (auto& in : *graph.mutable_input())
      if (index->IsRuntimeInput(in.name())) runtime.push_back(&in);

    H8_ASSIGN_OR_RETURN(auto params, ParseDimsOption(options_.dims));
    if (!options_.shape.empty()) {
      H8_ASSIGN_OR_RETURN(std::vector<Pin> pins, ParsePins(options_.shape));
      for (const Pin& pin : pins)
        H8_RETURN_IF_ERROR(ApplyPin(pin, graph, *index, runtime, params, ctx));
    }
    // No shape and no dims: only the H axes lift-conv1d inserted are pinned
    // (to 1, below), and dims still dynamic afterwards are left to later
    // passes (check-hailo8 reports them). --hailo8 runs this when the
    // command line pins nothing, so a static 1-D model needs no pin.
    const bool inserted_only = options_.shape.empty() && options_.dims.empty();
    const LiftedInterface* lifted = ctx.artifacts().Get<LiftedInterface>();
    if (inserted_only && (lifted == nullptr || lifted->inserted_axis.empty())) {
      if (argument_ == "pin-dim") return false;
      return UsageStatus("nothing to pin: give shape=... or dims=name=value");
    }
    // The H axis lift-conv1d inserted into an input is not a dim the user's
    // model had: pinned by name it takes the user's value, otherwise 1 (one
    // device row), with a note.
    static const LiftedInterface kNothingLifted;
    for (const auto& [name, axis] : (lifted ? *lifted : kNothingLifted).inserted_axis) {
      const onnx::ValueInfoProto* in = nullptr;
      for (const auto* r : runtime)
        if (r->name() == name) in = r;
      if (in == nullptr || !in->type().tensor_type().has_shape() ||
          axis >= in->type().tensor_type().shape().dim_size())
        continue;
      const auto& d = in->type().tensor_type().shape().dim(axis);
      if (!d.has_dim_param() || params.count(d.dim_param())) continue;
      params[d.dim_param()] = 1;
      ctx.Remark() << "input '" << name << "': dim " << axis << " ('" << d.dim_param()
                   << "', inserted by lift-conv1d) pinned to 1; pin-dim=" << d.dim_param()
                   << "=N stacks N rows";
    }

    // Symbolic dims pinned anywhere take that value everywhere: in the
    // interface here, in value_info and every computed dim through the
    // analysis' bindings (expressions over a pinned symbol simplify).
    ShapeAnalysis::Options analysis_options;
    analysis_options.bindings = params;
    for (auto* list : {graph.mutable_input(), graph.mutable_output()})
      for (auto& vi : *list) PinDeclaredDims(vi.mutable_type(), params);
    ctx.analyses().NoteChange();

    // The analysis and fold-constants alternate to a fixed point: every
    // round that changes anything folds at least one node away. Folding
    // reads the analysis directly; value_info is written once, at the end.
    // fold-constants runs nested, so its statistics and time are its own.
    FoldConstantsOptions fold;
    std::shared_ptr<ShapeAnalysis> shapes;
    bool folded_any = false;
    for (;;) {
      // A round that folded changed the wiring: the next one builds afresh.
      shapes = std::make_shared<ShapeAnalysis>(graph, OnnxOpsetVersion(model), analysis_options,
                                               folded_any ? nullptr : index);
      const std::unique_ptr<Pass> folder = CreateFoldConstantsPass(fold, shapes.get());
      H8_ASSIGN_OR_RETURN(bool folded, ctx.RunNestedPass(*folder, model));
      if (!folded) break;
      folded_any = true;
      fold_rounds_.Add(ctx);
    }
    // A declared output rank the graph does not compute would be written
    // out as it is, pinned: the model's interface would lie.
    if (std::string conflict = shapes->FirstOutputRankConflict(graph); !conflict.empty())
      return absl::FailedPreconditionError(conflict);
    // Without folding, the index still describes the graph's wiring.
    const GraphIndex* current = folded_any ? nullptr : index.get();
    shapes->WriteValueInfo(graph, current);
    // Without folding, only dims of the interface and value_info changed.
    if (!folded_any) ctx.DeclareOnlyTypesChanged();
    // The last analysis describes the pinned graph (what it wrote into
    // value_info is what a fresh one reads back): later passes reuse it.
    ctx.analyses().Keep(graph, OnnxOpsetVersion(model), shapes);
    if (inserted_only) return true;
    return CheckAllStatic(graph, *shapes, current, ctx);
  }

 private:
  absl::Status ApplyPin(const Pin& pin, onnx::GraphProto& graph, const GraphIndex& index,
                        std::vector<onnx::ValueInfoProto*>& runtime,
                        std::map<std::string, int64_t>& params, PassContext& ctx) {
    onnx::ValueInfoProto* target = nullptr;
    if (pin.input.empty()) {
      if (runtime.size() != 1) {
        std::vector<std::string> names;
        for (auto* in : runtime) names.push_back(absl::StrCat(in->name(), " ", ShapeText(*in)));
        return UsageStatus(absl::StrCat("the model has ", runtime.size(), " inputs (",
                                        absl::StrJoin(names, ", "),
                                        "); pin them by name, e.g. shape='",
                                        runtime.empty() ? "x" : runtime[0]->name(), ":1,2,3'"));
      }
      target = runtime[0];
    } else {
      for (auto* in : runtime)
        if (in->name() == pin.input) target = in;
      if (target == nullptr) {
        if (index.InitializerIndex(pin.input) >= 0)
          return UsageStatus(absl::StrCat("'", pin.input, "' is an initializer, not an input"));
        std::vector<std::string> names;
        for (auto* in : runtime) names.push_back(in->name());
        return UsageStatus(absl::StrCat("no graph input named '", pin.input,
                                        "'; inputs: ", absl::StrJoin(names, ", ")));
      }
    }
    auto* shape = target->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (target->type().tensor_type().has_shape() &&
        shape->dim_size() != static_cast<int>(pin.dims.size()))
      return UsageStatus(absl::StrCat("input '", target->name(), "' has rank ", shape->dim_size(),
                                      " ", ShapeText(*target), ", pin gives ", pin.dims.size(),
                                      " dims"));
    while (shape->dim_size() < static_cast<int>(pin.dims.size())) shape->add_dim();
    const LiftedInterface* map = ctx.artifacts().Get<LiftedInterface>();
    const int lifted_axis = [&] {
      if (map == nullptr || map->row_axis_blocker.empty()) return -1;
      auto it = map->inserted_axis.find(target->name());
      return it == map->inserted_axis.end() ? -1 : it->second;
    }();
    for (int k = 0; k < shape->dim_size(); ++k) {
      auto* d = shape->mutable_dim(k);
      if (d->has_dim_value() && d->dim_value() != pin.dims[k]) {
        if (lifted_axis == k)
          return absl::FailedPreconditionError(
              absl::StrCat("input '", target->name(), "': dim ", k, " is ", d->dim_value(),
                           " because lift-conv1d fixed H to 1 for node '", map->row_axis_blocker,
                           "', pin says ", pin.dims[k]));
        return UsageStatus(absl::StrCat("input '", target->name(), "': dim ", k, " is ",
                                        d->dim_value(), " in the model, pin says ", pin.dims[k]));
      }
      if (d->has_dim_param()) params.emplace(d->dim_param(), pin.dims[k]);
      d->set_dim_value(pin.dims[k]);
    }
    inputs_pinned_.Add(ctx);
    return absl::OkStatus();
  }

  // `current`: the index the analysis walked by, when still current for
  // the graph (node outputs are then checked by id).
  absl::StatusOr<bool> CheckAllStatic(const onnx::GraphProto& graph, const ShapeAnalysis& shapes,
                                      const GraphIndex* current, PassContext& ctx) {
    auto is_static = [&](const std::string& name) {
      const ValueFacts* f = shapes.Facts(name);
      return f != nullptr && f->IsStatic();
    };
    // The common case, everything static, needs no more.
    bool all_static = true;
    for (const auto& in : graph.input()) all_static &= is_static(in.name());
    for (const auto& out : graph.output()) all_static &= is_static(out.name());
    const bool by_id = current != nullptr && shapes.index() == current;
    for (int n = 0; n < graph.node_size() && all_static; ++n) {
      const onnx::NodeProto& node = graph.node(n);
      if (by_id) {
        for (int id : current->NodeOutputIds(n)) {
          const ValueFacts* f = shapes.FactsById(id);
          all_static &= id < 0 || (f != nullptr && f->IsStatic());
        }
      } else {
        for (const auto& o : node.output()) all_static &= o.empty() || is_static(o);
      }
    }
    if (all_static) return true;

    GraphIndex index(graph);
    int dynamic = 0;
    auto report = [&](const std::string& name, const char* what) {
      ++dynamic;
      int p = index.ProducerIndex(name);
      if (p < 0) {
        ctx.Error() << what << " '" << name << "' is still dynamic; pin it";
        return;
      }
      const auto& node = graph.node(p);
      // Only where the dynamism starts: a node whose inputs are static
      // (or runtime inputs, reported above). Its dynamic readers follow
      // from it and are only counted.
      for (const auto& in : node.input())
        if (!in.empty() && !index.IsRuntimeInput(in) && !is_static(in)) return;
      ctx.Error(&node, p) << what << " '" << name << "' is still dynamic: "
                          << WhyDynamic(node, shapes.Facts(name), shapes, graph);
    };
    for (const auto& in : graph.input()) {
      if (!in.type().has_tensor_type()) continue;  // sequences etc.: not ours to judge
      if (!index.IsRuntimeInput(in.name()) || is_static(in.name())) continue;
      ++dynamic;
      ctx.Error() << "input '" << in.name() << "' " << ShapeText(in)
                  << " is still dynamic; pin every symbolic dim (pin-shape=" << in.name()
                  << ":... or pin-dim=name=value)";
    }
    for (const auto& out : graph.output())
      if (out.type().has_tensor_type() && !is_static(out.name())) report(out.name(), "output");
    for (const auto& node : graph.node()) {
      for (const auto& o : node.output()) {
        if (o.empty() || index.IsGraphOutput(o)) continue;
        const onnx::TypeProto* type = index.Type(o);
        if (type != nullptr && type->value_case() != onnx::TypeProto::VALUE_NOT_SET &&
            !type->has_tensor_type())
          continue;
        if (!is_static(o)) report(o, "tensor");
      }
    }
    if (dynamic > 0)
      return absl::FailedPreconditionError(
          absl::StrCat(dynamic, " tensor", dynamic == 1 ? " is" : "s are",
                       " not static after pinning (each error above names where it starts)"));
    return true;
  }

  std::string argument_;
  PinShapeOptions options_;
  Statistic inputs_pinned_{this, "inputs-pinned", "Graph inputs given static dims"};
  Statistic fold_rounds_{this, "fold-rounds",
                         "Rounds of analysis and folding that folded something"};
};

}  // namespace

std::string ValidatePinText(const std::string& text) {
  if (text.empty()) return "";
  auto pins = ParsePins(text);
  return pins.ok() ? "" : std::string(pins.status().message());
}

std::string ValidateDimsText(const std::string& text) {
  auto dims = ParseDimsOption(text);
  return dims.ok() ? "" : std::string(dims.status().message());
}

std::unique_ptr<Pass> CreatePinShapePass(const PinShapeOptions& options) {
  return std::make_unique<PinShapePass>("pin-shape", options);
}

std::unique_ptr<Pass> CreatePinDimPass(const PinDimOptions& options) {
  PinShapeOptions pin;
  pin.dims = options.dims;
  return std::make_unique<PinShapePass>("pin-dim", pin);
}

}  // namespace h8
