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
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override;

 private:
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

absl::StatusOr<bool> LegalizeHailo8Pass::RunOnGraph(GraphRef ref, PassContext& ctx) {
  onnx::GraphProto& graph = *ref.graph;
  const int64_t opset = ref.opset;
  const std::shared_ptr<const GraphIndex> index_ptr = ctx.analyses().Index(graph);
  const GraphIndex& index = *index_ptr;
  // Asked for on first use: most graphs have nothing to legalize. The
  // first direct edit below (step 0) reads the shapes before it writes.
  hailo8::ShapeFacts shapes(std::function<std::shared_ptr<const ShapeAnalysis>()>(
      [&ctx, &graph, opset] { return ctx.analyses().Shapes(graph, opset); }));

  NameUniquer names(graph);
  GraphRewriter rewriter(graph);
  // New values and their dims, recorded as value_info after the commit.
  struct NewValue {
    std::string name;
    std::vector<int64_t> dims;
    std::string like;  // value whose element type it has
  };
  std::vector<NewValue> new_values;
  auto squeeze_node = [&](const std::string& in, const std::string& out, int64_t axis) {
    std::string axes_name;
    if (AxesAreInputs(opset)) {
      axes_name = names.Unique(absl::StrCat(out, "_axes"));
      rewriter.AddInitializer(MakeInt64Tensor(axes_name, {axis}));
    }
    return MakeAxesNode("Squeeze", in, out, {axis}, opset, axes_name);
  };
  // A node replacing (part of) `origin`: named after it, with its metadata.
  auto make_node = [&](const std::string& op, const std::string& in, const std::string& out,
                       const onnx::NodeProto& origin) {
    onnx::NodeProto node;
    node.set_op_type(op);
    node.add_input(in);
    node.add_output(out);
    if (!origin.name().empty()) node.set_name(names.Unique(absl::StrCat(origin.name(), "_", op)));
    CopyNodeMetadata(origin, node);
    return node;
  };
  bool changed = false;

  // 0: Conv/ConvTranspose without kernel_shape get it from the weight's
  // static spatial dims (W is [M,C/g,k...] for Conv, [C,M/g,k...] for
  // ConvTranspose: the kernel dims are from 2 on either way).
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto& node = *graph.mutable_node(i);
    const std::string& op = node.op_type();
    if (!IsOnnxDomain(node) || (op != "Conv" && op != "ConvTranspose") || node.input_size() < 2 ||
        GetIntsAttr(node, "kernel_shape"))
      continue;
    const std::vector<int64_t>* w = shapes.Dims(node.input(1));
    std::vector<int64_t> kernel;
    if (w != nullptr && w->size() >= 3) kernel.assign(w->begin() + 2, w->end());
    bool known = !kernel.empty();
    for (int64_t k : kernel) known &= k >= 1;
    if (!known) {
      ctx.Remark(&node, i, ref.path) << "kernel_shape not written: the spatial dims of the weight '"
                                     << node.input(1) << "' are not static";
      continue;
    }
    SetIntsAttr(node, "kernel_shape", kernel);
    changed = true;
    kernel_shapes_.Add(ctx);
    ctx.Remark(&node, i, ref.path)
        << op << " without kernel_shape -> kernel_shape = " << AxesText(kernel)
        << " (from the weight '" << node.input(1) << "')";
  }

  // 1 and 2: spatial reductions.
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::string& op = node.op_type();
    if (!IsOnnxDomain(node) || (op != "ReduceMean" && op != "ReduceMax") || node.input_size() < 1 ||
        node.output_size() != 1)
      continue;
    const std::string& in = node.input(0);
    const std::string& out = node.output(0);
    const std::vector<int64_t>* dims = shapes.Dims(in);
    if (dims == nullptr) {
      ctx.Remark(&node, i, ref.path)
          << "not rewritten: the shape of '" << in << "' is unknown (run infer-shapes first)";
      continue;
    }
    const int rank = static_cast<int>(dims->size());
    auto axes = hailo8::ReduceAxes(node, index, rank);
    if (!axes || axes->empty()) continue;
    const bool keepdims = GetIntAttr(node, "keepdims", 1) == 1;
    // The 4-D tensor the pool reads and the axes it reduces there.
    std::string x4 = in;
    std::vector<int64_t> dims4 = *dims;
    std::vector<int64_t> axes4 = *axes;
    std::string via;
    if (rank == 3) {
      const onnx::NodeProto* sq = index.Producer(in);
      if (sq == nullptr || sq->op_type() != "Squeeze" || !IsOnnxDomain(*sq)) continue;
      const std::vector<int64_t>* d4 = shapes.Dims(sq->input(0));
      if (d4 == nullptr || d4->size() != 4) continue;
      auto sq_axes = SqueezeAxes(*sq, index, 4);
      if (!sq_axes || *sq_axes != std::vector<int64_t>{2}) continue;
      if (*axes != std::vector<int64_t>{2}) continue;  // the time axis of [N,C,T]
      x4 = sq->input(0);
      dims4 = *d4;
      axes4 = {3};
      via = absl::StrCat(" (reading the 4-D input of Squeeze '",
                         NodeRef(*sq, index.ProducerIndex(in)), "')");
    } else if (rank != 4) {
      continue;
    }
    // Every spatial axis is reduced or has size 1; channel and batch are not.
    bool ok = true;
    for (int64_t a : axes4) ok &= a >= 2;
    for (int a = 2; a < 4; ++a)
      if (std::find(axes4.begin(), axes4.end(), a) == axes4.end()) ok &= dims4[a] == 1;
    if (!ok) {
      ctx.Remark(&node, i, ref.path) << "not rewritten: " << op << " over axes " << AxesText(*axes)
                                     << " of a tensor with dims " << AxesText(*dims)
                                     << " is not a reduction over all non-unit spatial axes";
      continue;
    }
    const std::string pool = op == "ReduceMean" ? "GlobalAveragePool" : "GlobalMaxPool";
    // Output rank of the original node decides the tail.
    const int out_rank = keepdims ? rank : rank - static_cast<int>(axes->size());
    std::vector<int64_t> pooled = {dims4[0], dims4[1], 1, 1};
    std::string tail;
    if (out_rank == 4) {
      onnx::NodeProto g = make_node(pool, x4, out, node);
      rewriter.InsertBefore(i, std::move(g));
    } else {
      std::string tmp = names.Unique(absl::StrCat(out, "_gap"));
      rewriter.InsertBefore(i, make_node(pool, x4, tmp, node));
      new_values.push_back({tmp, pooled, x4});
      if (out_rank == 2) {
        onnx::NodeProto f = make_node("Flatten", tmp, out, node);
        SetIntAttr(f, "axis", 1);
        rewriter.InsertBefore(i, std::move(f));
        tail = " + Flatten";
      } else if (out_rank == 3) {
        onnx::NodeProto sq = squeeze_node(tmp, out, 3);
        CopyNodeMetadata(node, sq);
        rewriter.InsertBefore(i, std::move(sq));
        tail = " + Squeeze";
      } else {
        continue;  // unreachable for the shapes accepted above
      }
    }
    rewriter.Erase(i);
    changed = true;
    reductions_to_global_pool_.Add(ctx);
    ctx.Remark(&node, i, ref.path)
        << op << " over spatial axes " << AxesText(*axes) << via << " -> " << pool << tail;
  }

  // 3: unit-dim Squeeze/Reshape in front of Gemm/MatMul.
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::string& op = node.op_type();
    if (!IsOnnxDomain(node) || (op != "Squeeze" && op != "Reshape") || node.input_size() < 1 ||
        node.output_size() != 1)
      continue;
    const std::string& out = node.output(0);
    const auto& consumers = index.Consumers(out);
    if (consumers.empty()) continue;
    bool dense = true;
    for (int c : consumers) {
      const std::string& cop = graph.node(c).op_type();
      dense &= cop == "Gemm" || cop == "MatMul";
    }
    if (!dense) continue;
    const std::vector<int64_t>* dims = shapes.Dims(node.input(0));
    if (dims == nullptr || dims->size() < 3) continue;
    const int rank = static_cast<int>(dims->size());
    bool exact = false;
    if (op == "Squeeze") {
      auto axes = SqueezeAxes(node, index, rank);
      std::vector<int64_t> spatial;
      for (int a = 2; a < rank; ++a) spatial.push_back(a);
      exact = axes && *axes == spatial;  // Squeeze itself guarantees they are 1
    } else {
      bool unit = true;
      for (int a = 2; a < rank; ++a) unit &= (*dims)[a] == 1;
      auto s = node.input_size() > 1 ? ConstantInts(index, node.input(1)) : std::nullopt;
      if (unit && s && s->size() == 2 && GetIntAttr(node, "allowzero", 0) == 0) {
        int64_t n = (*dims)[0], c = (*dims)[1];
        int64_t s0 = (*s)[0] == 0 ? n : (*s)[0];
        int64_t s1 = (*s)[1] == 0 ? c : (*s)[1];
        bool n_ok = (*s)[0] == 0 || (n >= 0 && s0 == n);
        bool c_ok = (*s)[1] == 0 || (c >= 0 && s1 == c);
        exact = (n_ok && c_ok) || (n_ok && s1 == -1) || (s0 == -1 && c_ok);
      }
    }
    if (!exact) continue;
    onnx::NodeProto f = make_node("Flatten", node.input(0), out, node);
    SetIntAttr(f, "axis", 1);
    rewriter.InsertBefore(i, std::move(f));
    rewriter.Erase(i);
    changed = true;
    flattens_.Add(ctx);
    ctx.Remark(&node, i, ref.path)
        << op << " dropping unit spatial dims of " << AxesText(*dims) << " before "
        << graph.node(consumers[0]).op_type() << " -> Flatten";
  }

  if (!changed) return false;
  rewriter.Commit();
  for (const NewValue& v : new_values) {
    auto* vi = graph.add_value_info();
    vi->set_name(v.name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    const onnx::TypeProto* like = index.Type(v.like);
    tt->set_elem_type(like != nullptr ? like->tensor_type().elem_type()
                                      : static_cast<int>(onnx::TensorProto::FLOAT));
    auto* shape = tt->mutable_shape();
    for (int64_t d : v.dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) dim->set_dim_value(d);
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateLegalizeHailo8Pass(const LegalizeHailo8Options& options) {
  return std::make_unique<LegalizeHailo8Pass>(options);
}

}  // namespace h8
