//===- OpTraits.cpp - The op-traits table ---------------------------------===//
#include "h8/IR/OpTraits.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"

namespace h8 {
namespace {

enum Bits : unsigned {
  kSame = 1,
  kBroadcast = 2,
  kBool = 4,
  kReduce = 8,
  kWindow = 16,
  kRandom = 32,
  kDataShape = 64,
};

const absl::flat_hash_map<std::string, unsigned>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, unsigned>{
      // Element-wise unary ops and activations.
      {"Relu", kSame},
      {"LeakyRelu", kSame},
      {"Sigmoid", kSame},
      {"Tanh", kSame},
      {"Elu", kSame},
      {"Selu", kSame},
      {"Celu", kSame},
      {"HardSigmoid", kSame},
      {"HardSwish", kSame},
      {"Softplus", kSame},
      {"Softsign", kSame},
      {"Mish", kSame},
      {"Gelu", kSame},
      {"ThresholdedRelu", kSame},
      {"Shrink", kSame},
      {"Abs", kSame},
      {"Neg", kSame},
      {"Exp", kSame},
      {"Log", kSame},
      {"Sqrt", kSame},
      {"Erf", kSame},
      {"Reciprocal", kSame},
      {"Floor", kSame},
      {"Ceil", kSame},
      {"Round", kSame},
      {"Sign", kSame},
      {"Sin", kSame},
      {"Cos", kSame},
      {"Tan", kSame},
      {"Asin", kSame},
      {"Acos", kSame},
      {"Atan", kSame},
      {"Sinh", kSame},
      {"Cosh", kSame},
      {"Asinh", kSame},
      {"Acosh", kSame},
      {"Atanh", kSame},
      {"Identity", kSame},
      {"Dropout", kSame},
      {"Cast", kSame},
      {"CastLike", kSame},
      {"Clip", kSame},
      {"Not", kSame | kBool},
      {"IsNaN", kSame | kBool},
      {"IsInf", kSame | kBool},
      {"BitwiseNot", kSame},
      {"QuantizeLinear", kSame},
      {"DequantizeLinear", kSame},
      {"EyeLike", kSame},
      {"Trilu", kSame},
      {"CumSum", kSame},
      // Normalizations and softmax-like ops (output 0).
      {"BatchNormalization", kSame},
      {"InstanceNormalization", kSame},
      {"LRN", kSame},
      {"LpNormalization", kSame},
      {"GroupNormalization", kSame},
      {"RMSNormalization", kSame},
      {"MeanVarianceNormalization", kSame},
      {"Softmax", kSame},
      {"LogSoftmax", kSame},
      {"Hardmax", kSame},
      // Indexing ops whose output has the data's (or the indices') shape.
      {"ScatterElements", kSame},
      {"ScatterND", kSame},
      {"Scatter", kSame},
      // Broadcasting ops.
      {"Add", kBroadcast},
      {"Sub", kBroadcast},
      {"Mul", kBroadcast},
      {"Div", kBroadcast},
      {"Pow", kBroadcast},
      {"Mod", kBroadcast},
      {"Max", kBroadcast},
      {"Min", kBroadcast},
      {"Sum", kBroadcast},
      {"Mean", kBroadcast},
      {"PRelu", kBroadcast},
      {"BitShift", kBroadcast},
      {"BitwiseAnd", kBroadcast},
      {"BitwiseOr", kBroadcast},
      {"BitwiseXor", kBroadcast},
      {"Where", kBroadcast},
      {"Equal", kBroadcast | kBool},
      {"Less", kBroadcast | kBool},
      {"Greater", kBroadcast | kBool},
      {"LessOrEqual", kBroadcast | kBool},
      {"GreaterOrEqual", kBroadcast | kBool},
      {"And", kBroadcast | kBool},
      {"Or", kBroadcast | kBool},
      {"Xor", kBroadcast | kBool},
      // Windows.
      {"Conv", kWindow},
      {"ConvTranspose", kWindow},
      {"MaxPool", kWindow},
      {"AveragePool", kWindow},
      {"LpPool", kWindow},
      // Reductions.
      {"ArgMax", kReduce},
      {"ArgMin", kReduce},
      // Randomness.
      {"RandomNormal", kRandom},
      {"RandomUniform", kRandom},
      {"RandomNormalLike", kRandom},
      {"RandomUniformLike", kRandom},
      {"Multinomial", kRandom},
      {"Bernoulli", kRandom},
      // Data-dependent output shapes.
      {"NonZero", kDataShape},
      {"Unique", kDataShape},
      {"NonMaxSuppression", kDataShape},
      {"Compress", kDataShape},
  };
  return *table;
}

}  // namespace

OpTraits GetOpTraits(absl::string_view op_type) {
  OpTraits t;
  unsigned bits = 0;
  if (auto it = Table().find(op_type); it != Table().end()) bits = it->second;
  if (absl::StartsWith(op_type, "Reduce")) bits |= kReduce;
  t.same_shape = bits & kSame;
  t.broadcast = bits & kBroadcast;
  t.bool_result = bits & kBool;
  t.reduction = bits & kReduce;
  t.window = bits & kWindow;
  t.random = bits & kRandom;
  t.data_dependent_shape = bits & kDataShape;
  return t;
}

}  // namespace h8
