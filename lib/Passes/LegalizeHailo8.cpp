//===- LegalizeHailo8.cpp - Exact Hailo-friendly forms of common heads ----===//
//
// Hailo-8 reduces only over the channel axis with keepdims=1 and prefers
// Flatten to Squeeze/Reshape in front of dense layers. This pass rewrites
// what has an exact equivalent:
//
//  1. ReduceMean/ReduceMax over every spatial axis of a 4-D tensor that is
//     not 1 (axes [2,3]; [3] when dim 2 is 1; [2] when dim 3 is 1) becomes
//     GlobalAveragePool/GlobalMaxPool, followed by what the original
//     keepdims/rank needs: nothing (keepdims=1), Flatten(axis=1) for an
//     [N,C] result, Squeeze of the reduced axis for [N,C,1].
//  2. The same through lift-conv1d's boundary: ReduceMean/ReduceMax over
//     the last axis of Squeeze(x4, axes=[2]) with x4 = [N,C,1,T] reads x4
//     directly (the Squeeze is left for cleanup when it has no other user).
//  3. A Squeeze or Reshape that only drops unit spatial dims ([N,C,1,1] or
//     [N,C,1] -> [N,C]) and feeds only Gemm/MatMul becomes Flatten(axis=1).
//  0. (first) A Conv/ConvTranspose without kernel_shape gets it from the
//     static spatial dims of its weight (the DFC parser expects it).
//
// Before (opset 13, after lift-conv1d):
//   s = Squeeze (x4, axes2)                  # [1,16,1,100] -> [1,16,100]
//   m = ReduceMean <axes = [-1], keepdims = 0> (s)
//   y = Gemm (m, w, b)
// After:
//   s = Squeeze (x4, axes2)                  # now dead: run --cleanup
//   m_gap = GlobalAveragePool (x4)
//   m = Flatten <axis = 1> (m_gap)
//   y = Gemm (m, w, b)
//
// Every rewrite keeps the output name of the node it replaces (so graph
// outputs are never renamed), is opset-correct (Squeeze axes as input from
// opset 13) and emits a remark. Shapes come from value_info and graph
// inputs/outputs propagated through common ops; a candidate whose spatial
// dims are unknown is left alone with a remark (run infer-shapes or
// pin-shape first).
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Match.h"
#include "h8/IR/NameUniquer.h"
#include "h8/IR/NodeBuilder.h"
#include "h8/Passes/Passes.h"
#include "h8/Target/Hailo8/Hailo8Rules.h"

namespace h8 {
namespace {

class LegalizeHailo8Pass : public GraphPass {
 public:
  explicit LegalizeHailo8Pass(const LegalizeHailo8Options&) {}
  absl::string_view Argument() const override { return "legalize-hailo8"; }

 protected:
  absl::Status BeginModel(onnx::ModelProto&, PassContext&) override {
    body_changed_ = false;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override;

 private:
  // Whether a body was legalized in this run (bodies come before the
  // graphs enclosing them).
  bool body_changed_ = false;
  Statistic kernel_shapes_{this, "kernel-shapes",
                           "Conv/ConvTranspose nodes given the kernel_shape they omitted"};
  Statistic reductions_to_global_pool_{this, "reductions-to-global-pool",
                                       "Spatial means rewritten to GlobalAveragePool"};
  Statistic flattens_{this, "flattens",
                      "Unit-dim Squeeze/Reshape before Gemm rewritten to Flatten"};
};

std::string AxesText(const std::vector<int64_t>& axes) {
  return absl::StrCat("[", absl::StrJoin(axes, ","), "]");
}

// Squeeze/Unsqueeze axes (attribute or input), normalized; nullopt when not
// constant or absent.
std::optional<std::vector<int64_t>> SqueezeAxes(const onnx::NodeProto& node,
                                                const GraphIndex& index, int rank) {
  std::optional<std::vector<int64_t>> axes = GetIntsAttr(node, "axes");
  if (!axes && node.input_size() > 1 && !node.input(1).empty())
    axes = ConstantInts(index, node.input(1));
  if (!axes || axes->empty()) return std::nullopt;
  for (int64_t& a : *axes) {
    a = NormalizeAxis(a, rank);
    if (a < 0) return std::nullopt;
  }
  std::sort(axes->begin(), axes->end());
  return axes;
}

// The statistics a legalization run adds to.
struct LegalizeStatistics {
  const Statistic& kernel_shapes;
  const Statistic& reductions_to_global_pool;
  const Statistic& flattens;
};

// One graph's legalization: the three rewrites share the index, the lazily
// read shapes, the name uniquer and the rewriter that commits them.
class GraphLegalizer {
 public:
  GraphLegalizer(const GraphRef& ref, PassContext& ctx, const LegalizeStatistics& stats)
      : ref_(ref),
        graph_(*ref.graph),
        opset_(ref.opset),
        ctx_(ctx),
        stats_(stats),
        index_ptr_(ctx.analyses().Index(graph_)),
        index_(*index_ptr_),
        // Asked for on first use: most graphs have nothing to legalize. The
        // first direct edit (AddKernelShapes) reads the shapes before it writes.
        shapes_(std::function<std::shared_ptr<const ShapeAnalysis>()>(
            [&ctx, graph = &graph_, opset = opset_] {
              return ctx.analyses().Shapes(*graph, opset);
            })),
        names_(graph_),
        rewriter_(graph_) {}

  /// Legalizes the graph; with `keep_index`, commits through the
  /// AnalysisManager (every structural edit, value_info included, goes
  /// through the rewriter; kernel_shape attributes are edited in place).
  bool Run(bool keep_index) {
    for (int i = 0; i < graph_.node_size(); ++i) changed_ |= AddKernelShape(i);
    for (int i = 0; i < graph_.node_size(); ++i) changed_ |= RewriteReduction(i);
    for (int i = 0; i < graph_.node_size(); ++i) changed_ |= RewriteUnitDimReshape(i);
    if (!changed_) return false;
    RecordNewValues();
    if (keep_index) {
      ctx_.analyses().Commit(rewriter_, graph_);
    } else {
      rewriter_.Commit();
    }
    return true;
  }

 private:
  // A new value and its dims, recorded as value_info by the commit.
  struct NewValue {
    std::string name;
    std::vector<int64_t> dims;
    std::string like;  // value whose element type it has
  };

  bool AddKernelShape(int i);
  bool RewriteReduction(int i);
  bool RewriteUnitDimReshape(int i);
  bool IsExactFlatten(const onnx::NodeProto& node, const std::vector<int64_t>& dims) const;
  void RecordNewValues();

  onnx::NodeProto SqueezeNode(const std::string& in, const std::string& out, int64_t axis) {
    std::string axes_name;
    if (AxesAreInputs(opset_)) {
      axes_name = names_.Unique(absl::StrCat(out, "_axes"));
      rewriter_.AddInitializer(MakeInt64Tensor(axes_name, {axis}));
    }
    return MakeAxesNode("Squeeze", in, out, {axis}, opset_, axes_name);
  }
  // A node replacing (part of) `origin`: named after it, with its metadata.
  onnx::NodeProto MakeNode(const std::string& op, const std::string& in, const std::string& out,
                           const onnx::NodeProto& origin) {
    onnx::NodeProto node;
    node.set_op_type(op);
    node.add_input(in);
    node.add_output(out);
    if (!origin.name().empty()) node.set_name(names_.Unique(absl::StrCat(origin.name(), "_", op)));
    CopyNodeMetadata(origin, node);
    return node;
  }

  const GraphRef& ref_;
  onnx::GraphProto& graph_;
  const int64_t opset_;
  PassContext& ctx_;
  const LegalizeStatistics& stats_;
  const std::shared_ptr<const GraphIndex> index_ptr_;
  const GraphIndex& index_;
  hailo8::ShapeFacts shapes_;
  NameUniquer names_;
  GraphRewriter rewriter_;
  std::vector<NewValue> new_values_;
  bool changed_ = false;
};

// 0: Conv/ConvTranspose without kernel_shape get it from the weight's
// static spatial dims (W is [M,C/g,k...] for Conv, [C,M/g,k...] for
// ConvTranspose: the kernel dims are from 2 on either way).
bool GraphLegalizer::AddKernelShape(int i) {
  onnx::NodeProto& node = *graph_.mutable_node(i);
  const std::string& op = node.op_type();
  if (!IsOnnxDomain(node) || (op != "Conv" && op != "ConvTranspose") || node.input_size() < 2 ||
      GetIntsAttr(node, "kernel_shape"))
    return false;
  const std::vector<int64_t>* w = shapes_.Dims(node.input(1));
  std::vector<int64_t> kernel;
  if (w != nullptr && w->size() >= 3) kernel.assign(w->begin() + 2, w->end());
  bool known = !kernel.empty();
  for (int64_t k : kernel) known &= k >= 1;
  if (!known) {
    ctx_.Remark(&node, i, ref_.path) << "kernel_shape not written: the spatial dims of the weight '"
                                     << node.input(1) << "' are not static";
    return false;
  }
  SetIntsAttr(node, "kernel_shape", kernel);
  stats_.kernel_shapes.Add(ctx_);
  ctx_.Remark(&node, i, ref_.path)
      << op << " without kernel_shape -> kernel_shape = " << AxesText(kernel)
      << " (from the weight '" << node.input(1) << "')";
  return true;
}

// 1 and 2: a spatial reduction becomes a global pool (plus the tail the
// original output rank needs).
bool GraphLegalizer::RewriteReduction(int i) {
  const onnx::NodeProto& node = graph_.node(i);
  const std::string& op = node.op_type();
  if (!IsOnnxDomain(node) || (op != "ReduceMean" && op != "ReduceMax") || node.input_size() < 1 ||
      node.output_size() != 1)
    return false;
  const std::string& in = node.input(0);
  const std::string& out = node.output(0);
  const std::vector<int64_t>* dims = shapes_.Dims(in);
  if (dims == nullptr) {
    ctx_.Remark(&node, i, ref_.path)
        << "not rewritten: the shape of '" << in << "' is unknown (run infer-shapes first)";
    return false;
  }
  const int rank = static_cast<int>(dims->size());
  auto axes = hailo8::ReduceAxes(node, index_, rank);
  if (!axes || axes->empty()) return false;
  const bool keepdims = GetIntAttr(node, "keepdims", 1) == 1;
  // The 4-D tensor the pool reads and the axes it reduces there.
  std::string x4 = in;
  std::vector<int64_t> dims4 = *dims;
  std::vector<int64_t> axes4 = *axes;
  std::string via;
  if (rank == 3) {
    const onnx::NodeProto* sq = index_.Producer(in);
    if (sq == nullptr || sq->op_type() != "Squeeze" || !IsOnnxDomain(*sq)) return false;
    const std::vector<int64_t>* d4 = shapes_.Dims(sq->input(0));
    if (d4 == nullptr || d4->size() != 4) return false;
    auto sq_axes = SqueezeAxes(*sq, index_, 4);
    if (!sq_axes || *sq_axes != std::vector<int64_t>{2}) return false;
    if (*axes != std::vector<int64_t>{2}) return false;  // the time axis of [N,C,T]
    x4 = sq->input(0);
    dims4 = *d4;
    axes4 = {3};
    via = absl::StrCat(" (reading the 4-D input of Squeeze '",
                       NodeRef(*sq, index_.ProducerIndex(in)), "')");
  } else if (rank != 4) {
    return false;
  }
  // Every spatial axis is reduced or has size 1; channel and batch are not.
  bool ok = true;
  for (int64_t a : axes4) ok &= a >= 2;
  for (int a = 2; a < 4; ++a)
    if (std::find(axes4.begin(), axes4.end(), a) == axes4.end()) ok &= dims4[a] == 1;
  if (!ok) {
    ctx_.Remark(&node, i, ref_.path)
        << "not rewritten: " << op << " over axes " << AxesText(*axes) << " of a tensor with dims "
        << AxesText(*dims) << " is not a reduction over all non-unit spatial axes";
    return false;
  }
  const std::string pool = op == "ReduceMean" ? "GlobalAveragePool" : "GlobalMaxPool";
  // Output rank of the original node decides the tail.
  const int out_rank = keepdims ? rank : rank - static_cast<int>(axes->size());
  std::string tail;
  if (out_rank == 4) {
    rewriter_.InsertBefore(i, MakeNode(pool, x4, out, node));
  } else {
    std::string tmp = names_.Unique(absl::StrCat(out, "_gap"));
    rewriter_.InsertBefore(i, MakeNode(pool, x4, tmp, node));
    new_values_.push_back({tmp, {dims4[0], dims4[1], 1, 1}, x4});
    if (out_rank == 2) {
      onnx::NodeProto f = MakeNode("Flatten", tmp, out, node);
      SetIntAttr(f, "axis", 1);
      rewriter_.InsertBefore(i, std::move(f));
      tail = " + Flatten";
    } else if (out_rank == 3) {
      onnx::NodeProto sq = SqueezeNode(tmp, out, 3);
      CopyNodeMetadata(node, sq);
      rewriter_.InsertBefore(i, std::move(sq));
      tail = " + Squeeze";
    } else {
      return false;  // unreachable for the shapes accepted above
    }
  }
  rewriter_.Erase(i);
  stats_.reductions_to_global_pool.Add(ctx_);
  ctx_.Remark(&node, i, ref_.path)
      << op << " over spatial axes " << AxesText(*axes) << via << " -> " << pool << tail;
  return true;
}

// Whether Squeeze/Reshape `node` of an input with `dims` (rank >= 3) only
// drops the unit spatial dims, leaving [N,C].
bool GraphLegalizer::IsExactFlatten(const onnx::NodeProto& node,
                                    const std::vector<int64_t>& dims) const {
  const int rank = static_cast<int>(dims.size());
  if (node.op_type() == "Squeeze") {
    auto axes = SqueezeAxes(node, index_, rank);
    std::vector<int64_t> spatial;
    for (int a = 2; a < rank; ++a) spatial.push_back(a);
    return axes && *axes == spatial;  // Squeeze itself guarantees they are 1
  }
  bool unit = true;
  for (int a = 2; a < rank; ++a) unit &= dims[a] == 1;
  auto s = node.input_size() > 1 ? ConstantInts(index_, node.input(1)) : std::nullopt;
  if (!unit || !s || s->size() != 2 || GetIntAttr(node, "allowzero", 0) != 0) return false;
  int64_t n = dims[0], c = dims[1];
  int64_t s0 = (*s)[0] == 0 ? n : (*s)[0];
  int64_t s1 = (*s)[1] == 0 ? c : (*s)[1];
  bool n_ok = (*s)[0] == 0 || (n >= 0 && s0 == n);
  bool c_ok = (*s)[1] == 0 || (c >= 0 && s1 == c);
  return (n_ok && c_ok) || (n_ok && s1 == -1) || (s0 == -1 && c_ok);
}

// 3: unit-dim Squeeze/Reshape in front of Gemm/MatMul becomes Flatten.
bool GraphLegalizer::RewriteUnitDimReshape(int i) {
  const onnx::NodeProto& node = graph_.node(i);
  const std::string& op = node.op_type();
  if (!IsOnnxDomain(node) || (op != "Squeeze" && op != "Reshape") || node.input_size() < 1 ||
      node.output_size() != 1)
    return false;
  const std::string& out = node.output(0);
  const auto& consumers = index_.Consumers(out);
  if (consumers.empty()) return false;
  bool dense = true;
  for (int c : consumers) {
    const std::string& cop = graph_.node(c).op_type();
    dense &= cop == "Gemm" || cop == "MatMul";
  }
  if (!dense) return false;
  const std::vector<int64_t>* dims = shapes_.Dims(node.input(0));
  if (dims == nullptr || dims->size() < 3) return false;
  if (!IsExactFlatten(node, *dims)) return false;
  onnx::NodeProto f = MakeNode("Flatten", node.input(0), out, node);
  SetIntAttr(f, "axis", 1);
  rewriter_.InsertBefore(i, std::move(f));
  rewriter_.Erase(i);
  stats_.flattens.Add(ctx_);
  ctx_.Remark(&node, i, ref_.path)
      << op << " dropping unit spatial dims of " << AxesText(*dims) << " before "
      << graph_.node(consumers[0]).op_type() << " -> Flatten";
  return true;
}

void GraphLegalizer::RecordNewValues() {
  for (const NewValue& v : new_values_) {
    onnx::ValueInfoProto vi;
    vi.set_name(v.name);
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    const onnx::TypeProto* like = index_.Type(v.like);
    tt->set_elem_type(like != nullptr ? like->tensor_type().elem_type()
                                      : static_cast<int>(onnx::TensorProto::FLOAT));
    auto* shape = tt->mutable_shape();
    for (int64_t d : v.dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) dim->set_dim_value(d);
    }
    rewriter_.AddValueInfo(std::move(vi));
  }
}

absl::StatusOr<bool> LegalizeHailo8Pass::RunOnGraph(GraphRef ref, PassContext& ctx) {
  const LegalizeStatistics stats{kernel_shapes_, reductions_to_global_pool_, flattens_};
  // The main graph's edits are verified where they were made when
  // legalize-hailo8 is the pass the manager runs and no body changed
  // before it (the touched nodes of the main graph would not cover a
  // body's edits); otherwise the model is re-indexed and verified whole.
  const bool keep_index = ref.is_main && !body_changed_ && ctx.current_pass() == Argument();
  const bool changed = GraphLegalizer(ref, ctx, stats).Run(keep_index);
  if (changed && !ref.is_main) body_changed_ = true;
  return changed;
}

}  // namespace

std::unique_ptr<Pass> CreateLegalizeHailo8Pass(const LegalizeHailo8Options& options) {
  return std::make_unique<LegalizeHailo8Pass>(options);
}

}  // namespace h8
