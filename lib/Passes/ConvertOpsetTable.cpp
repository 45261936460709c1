//===- ConvertOpsetTable.cpp - What changed in each ai.onnx op version ----===//
//
// convert-opset's table (see ConvertOpset.cpp for how each kind of change is
// converted): every ai.onnx op of opsets 1..23 with the opset it appeared
// in and its versions from 11 on, from the ONNX operator changelog.
//
//===----------------------------------------------------------------------===//
#include "ConvertOpset.h"

namespace h8 {
namespace convert_opset {
namespace {

Change T(int v, const char* added = "") { return {v, Kind::kTypes, added}; }
Change N(int v) { return {v, Kind::kNeutral}; }
Change A(int v, const char* attr) { return {v, Kind::kAttr, attr}; }
Change Neg(const char* attr) { return {11, Kind::kNegAxis, attr}; }
Change F(int v) { return {v, Kind::kForm}; }
Change R(int v, const char* why) { return {v, Kind::kRefuse, why}; }

constexpr const char* kSmallInts = "int8,int16,uint8,uint16";

}  // namespace

const absl::flat_hash_map<std::string, OpHistory>& OpTable() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, OpHistory>();
    auto add = [&](const char* op, int since, std::vector<Change> changes = {}) {
      (*t)[op] = {since, std::move(changes)};
    };
    // Element-wise math and activations.
    for (const char* op : {"Abs",
                           "Ceil",
                           "Exp",
                           "Floor",
                           "Log",
                           "Neg",
                           "Reciprocal",
                           "Sigmoid",
                           "Sqrt",
                           "Tanh",
                           "Erf",
                           "Sign",
                           "Mean",
                           "Sum",
                           "MatMul",
                           "Expand",
                           "Tile",
                           "LRN",
                           "IsNaN",
                           "Mod",
                           "SpaceToDepth",
                           "NonZero",
                           "MeanVarianceNormalization",
                           "Greater",
                           "Less"}) {
      add(op, 1, {T(13)});
    }
    (*t)["Erf"].since = (*t)["Sign"].since = (*t)["IsNaN"].since = 9;
    (*t)["NonZero"].since = (*t)["MeanVarianceNormalization"].since = 9;
    (*t)["Mod"].since = 10;
    (*t)["Expand"].since = 8;
    (*t)["Tile"].since = 6;
    (*t)["IsNaN"].changes.push_back(T(20));
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) add(op, 1, {T(13), T(14, kSmallInts)});
    add("Relu", 1, {T(13), T(14, "int8,int16,int32,int64")});
    add("Pow", 1, {T(12, "int32,int64"), T(13), T(15, "bfloat16")});
    for (const char* op : {"Max", "Min"})
      add(op, 1, {T(12, "int8,int16,int32,int64,uint8,uint16,uint32,uint64"), T(13)});
    for (const char* op : {"Acos", "Asin", "Atan", "Cos", "Sin", "Tan", "Multinomial"})
      add(op, 7, {T(22)});
    for (const char* op : {"Acosh", "Asinh", "Atanh", "Cosh", "Sinh", "EyeLike"})
      add(op, 9, {T(22)});
    for (const char* op :
         {"Elu", "HardSigmoid", "Selu", "Softplus", "Softsign", "InstanceNormalization",
          "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "LpNormalization", "MaxRoiPool",
          "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"})
      add(op, 1, {T(22)});
    add("ThresholdedRelu", 10, {T(22)});
    add("HardSwish", 14, {T(22)});
    add("Mish", 18, {T(22)});
    add("Gelu", 20);
    add("Celu", 12);
    add("LeakyRelu", 1, {T(16, "bfloat16")});
    add("PRelu", 1, {T(16, "bfloat16")});
    add("Where", 9, {T(16, "bfloat16")});
    for (const char* op : {"And", "Or", "Xor", "Not"}) add(op, 1);
    add("Equal", 1,
        {T(11, "float,double,float16,int8,int16,uint8,uint16,uint32,uint64"), T(13),
         T(19, "string")});
    add("GreaterOrEqual", 12, {T(16, "bfloat16")});
    add("LessOrEqual", 12, {T(16, "bfloat16")});
    add("BitShift", 11);
    for (const char* op : {"BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor"}) add(op, 18);
    add("IsInf", 10, {T(20)});
    add("Round", 11, {T(22)});
    add("Det", 11, {T(22)});
    add("Shrink", 9);
    add("Einsum", 12);
    add("CumSum", 11, {T(14, "bfloat16")});
    add("Range", 11);
    add("Trilu", 14);
    // Convolution, pooling, normalization, recurrent.
    add("Conv", 1, {N(11), T(22)});
    add("ConvTranspose", 1, {N(11), T(22)});
    add("DeformConv", 19, {T(22)});
    add("AveragePool", 1, {N(11), A(19, "dilations=1*"), T(22)});
    add("MaxPool", 1, {N(11), T(12, "int8,uint8"), T(22)});
    add("LpPool", 2, {N(11), A(18, "ceil_mode=0"), A(18, "dilations=1*"), T(22)});
    add("MaxUnpool", 9, {N(11), T(22)});
    add("BatchNormalization", 1, {A(14, "training_mode=0"), T(15, "bfloat16")});
    add("LayerNormalization", 17);
    add("GroupNormalization", 18,
        {R(21, "GroupNormalization-21 takes per-channel scale/bias, -18 per-group")});
    add("RMSNormalization", 23);
    add("Attention", 23);
    add("RotaryEmbedding", 23);
    for (const char* op : {"LSTM", "GRU", "RNN"}) add(op, 1, {A(14, "layout=0"), T(22)});
    add("Dropout", 1, {R(12, "Dropout-12 takes ratio as an input"), T(13), T(22)});
    // Tensor plumbing.
    add("Identity", 1, {T(13), T(14), T(16), T(19), T(21), T(23)});
    add("Cast", 1, {T(13), A(19, "saturate=1"), T(21), T(23)});
    add("CastLike", 15, {A(19, "saturate=1"), T(21), T(23)});
    add("Constant", 1, {A(11, "sparse_value=-"), F(12), T(13), T(19), T(21), T(23)});
    add("ConstantOfShape", 9, {T(20, "bfloat16,int4,uint4"), T(21), T(23)});
    add("Reshape", 5, {T(13), F(14), T(19), T(21), T(23)});
    add("Shape", 1, {T(13), F(15), T(19), T(21), T(23)});
    add("Size", 1, {T(13), T(19), T(21), T(23)});
    add("Flatten", 1, {Neg("axis"), T(13), T(21), T(23)});
    add("Transpose", 1, {T(13), T(21), T(23)});
    add("Squeeze", 1, {Neg("axes"), F(13), T(21), T(23)});
    add("Unsqueeze", 1, {Neg("axes"), F(13), T(21), T(23)});
    add("Concat", 1, {Neg("axis"), T(13)});
    add("Split", 2, {Neg("axis"), F(13), F(18)});
    add("Slice", 10, {R(11, "Slice-11 allows negative axes and changed clamping"), T(13)});
    add("Gather", 1, {Neg("axis"), F(11), T(13)});
    add("GatherElements", 11, {T(13)});
    add("GatherND", 11, {A(12, "batch_dims=0"), T(13)});
    add("ScatterElements", 11,
        {T(13), A(16, "reduction=none"), R(18, "reduction min/max need ScatterElements-18")});
    add("ScatterND", 11,
        {T(13), A(16, "reduction=none"), R(18, "reduction min/max need ScatterND-18")});
    add("Scatter", 9, {R(11, "Scatter is deprecated from opset 11 (use ScatterElements)")});
    add("Compress", 9, {Neg("axis")});
    add("OneHot", 9, {Neg("axis")});
    add("DepthToSpace", 1, {A(11, "mode=DCR"), T(13)});
    add("Pad", 2, {F(11), T(13), F(18), F(19), T(21), T(23)});
    add("Clip", 1, {F(11), T(12, "int8,int16,int32,int64,uint8,uint16,uint32,uint64"), T(13)});
    add("Resize", 10,
        {R(11, "Resize-10 and -11 compute coordinates differently"), F(13), F(18), F(19)});
    add("Upsample", 7, {R(10, "Upsample is deprecated from opset 10")});
    add("TopK", 1, {Neg("axis"), A(11, "largest=1"), A(11, "sorted=1")});
    add("ArgMax", 1, {Neg("axis"), A(12, "select_last_index=0"), T(13)});
    add("ArgMin", 1, {Neg("axis"), A(12, "select_last_index=0"), T(13)});
    add("Hardmax", 1, {Neg("axis"), F(13)});
    add("Softmax", 1, {Neg("axis"), F(13)});
    add("LogSoftmax", 1, {Neg("axis"), F(13)});
    add("Gemm", 1, {F(11), T(13)});
    add("Einsum", 12);
    add("GridSample", 16, {R(20, "GridSample-20 renamed its modes and went N-D"), T(22)});
    add("AffineGrid", 20);
    add("RoiAlign", 10, {R(16, "RoiAlign-16 changed the default coordinate mode"), T(22)});
    add("NonMaxSuppression", 10, {N(11)});
    add("ReverseSequence", 10);
    add("Unique", 11);
    add("CenterCropPad", 18);
    add("Col2Im", 18);
    // Reductions: negative axes from 11, axes as an input from 18 (13 for
    // ReduceSum).
    for (const char* op : {"ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                           "ReduceLogSumExp", "ReduceSumSquare"})
      add(op, 1, {Neg("axes"), T(13), F(18)});
    for (const char* op : {"ReduceMax", "ReduceMin"})
      add(op, 1, {Neg("axes"), T(12, "int8,uint8"), T(13), F(18), T(20, "bool")});
    add("ReduceSum", 1, {Neg("axes"), F(13)});
    // Control flow (bodies are converted separately).
    add("If", 1, {N(11), T(13), T(16), T(19), T(21), T(23)});
    add("Loop", 1, {N(11), T(13), T(16), T(19), T(21), T(23)});
    add("Scan", 8, {N(11), T(16), T(19), T(21), T(23)});
    // Quantization.
    add("QuantizeLinear", 10,
        {R(13, "QuantizeLinear-13 added per-axis scales"), A(19, "saturate=1"),
         R(21, "QuantizeLinear-21 added blocks"), T(23)});
    add("DequantizeLinear", 10,
        {R(13, "DequantizeLinear-13 added per-axis scales"), T(19),
         R(21, "DequantizeLinear-21 added blocks"), T(23)});
    add("DynamicQuantizeLinear", 11);
    for (const char* op : {"ConvInteger", "MatMulInteger", "QLinearConv"}) add(op, 10);
    add("QLinearMatMul", 10, {T(21)});
    // Sequences, optionals, signal, strings, training.
    for (const char* op :
         {"SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert",
          "SequenceLength", "SplitToSequence", "ConcatFromSequence"})
      add(op, 11);
    add("SequenceMap", 17);
    add("Optional", 15);
    add("OptionalGetElement", 15, {T(18)});
    add("OptionalHasElement", 15, {T(18)});
    for (const char* op :
         {"STFT", "BlackmanWindow", "HammingWindow", "HannWindow", "MelWeightMatrix"})
      add(op, 17);
    add("DFT", 17, {R(20, "DFT-20 takes the axis as an input")});
    add("StringNormalizer", 10);
    add("TfIdfVectorizer", 9);
    for (const char* op : {"StringConcat", "StringSplit", "RegexFullMatch", "ImageDecoder"})
      add(op, 20);
    add("Bernoulli", 15, {T(22)});
    add("NegativeLogLikelihoodLoss", 12, {T(13), T(22)});
    add("SoftmaxCrossEntropyLoss", 12, {T(13)});
    return t;
  }();
  return *table;
}

// ir_version each opset pairs with (onnx/helper.py VERSION_TABLE).
int64_t IrVersionFor(int64_t opset) {
  if (opset <= 10) return 5;
  if (opset == 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

// Opset from which an element type exists for ops at all; 0 for classic
// types. bfloat16 is accepted by most ops from 13 (per-op additions up to
// 22 are checked by the `types` versions).
int64_t TypeSince(int32_t type) {
  switch (type) {
    case onnx::TensorProto::BFLOAT16: return 13;
    case 17:
    case 18:
    case 19:
    case 20: return 19;  // float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz
    case 21:
    case 22: return 21;  // uint4, int4
    case 23: return 23;  // float4e2m1
    default: return 0;
  }
}

}  // namespace convert_opset
}  // namespace h8
