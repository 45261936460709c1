//===- Compare.cpp - Tensor comparison and tensor file I/O ----------------===//
//
// Statistics are accumulated in double so the report reflects the tensors,
// not float32 round-off in the comparison itself. Random tensors map raw
// mt19937_64 output to values by hand because std::uniform_real_distribution
// is not specified bit-exactly and differs between standard libraries.
//
//===----------------------------------------------------------------------===//

#include "h8/Eval/Compare.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "Ops.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "h8/Support/ModelIO.h"

namespace h8 {

absl::Status CompareAccumulator::Add(const Tensor& expected, const Tensor& actual) {
  if (expected.dims != actual.dims) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shape mismatch: expected ", DimsString(expected.dims), ", got ", DimsString(actual.dims)));
  }
  const int64_t n = expected.NumElements();
  auto size_of = [](const Tensor& t) {
    return static_cast<int64_t>(t.IsFloat() ? t.f.size() : t.i.size());
  };
  if (size_of(expected) != n || size_of(actual) != n) {
    return absl::InvalidArgumentError("tensor storage does not match its shape");
  }
  for (int64_t k = 0; k < n; ++k) {
    const double e = eval::ElementAsDouble(expected, k);
    const double a = eval::ElementAsDouble(actual, k);
    if (!std::isfinite(e) || !std::isfinite(a)) {
      // Same NaN-ness and same infinity agree; anything else is a mismatch.
      if (!(std::isnan(e) && std::isnan(a)) && e != a) {
        ++nonfinite_;
        ++outside_;
      }
      continue;
    }
    const double d = e - a;
    dot_ += e * a;
    ee_ += e * e;
    aa_ += a * a;
    sq_ += d * d;
    max_ = std::max(max_, std::fabs(d));
    if (std::fabs(d) > tol_.atol + tol_.rtol * std::fabs(e)) ++outside_;
    ++finite_;
  }
  count_ += n;
  return absl::OkStatus();
}

CompareStats CompareAccumulator::Stats() const {
  CompareStats stats;
  if (ee_ == 0 && aa_ == 0) {
    stats.cosine = 1.0;
  } else if (ee_ == 0 || aa_ == 0) {
    stats.cosine = 0.0;
  } else {
    stats.cosine = dot_ / (std::sqrt(ee_) * std::sqrt(aa_));
  }
  stats.mse = finite_ > 0 ? sq_ / static_cast<double>(finite_) : 0.0;
  stats.max_abs_diff = max_;
  stats.count = count_;
  stats.outside_tolerance = outside_;
  stats.nonfinite_mismatches = nonfinite_;
  return stats;
}

bool StatsPass(const CompareStats& stats, double min_cosine) {
  return stats.cosine >= min_cosine && stats.outside_tolerance == 0;
}

std::string FormatStats(const std::string& name, const CompareStats& stats,
                        const std::vector<int64_t>& dims) {
  std::string line =
      absl::StrFormat("%s: cos %.6f  mse %.1e  max|d| %.1e  (%s)", name, stats.cosine, stats.mse,
                      stats.max_abs_diff, absl::StrJoin(dims, ","));
  if (stats.outside_tolerance > 0) {
    absl::StrAppend(&line, "  outside tol ", stats.outside_tolerance, "/", stats.count);
  }
  if (stats.nonfinite_mismatches > 0) {
    absl::StrAppend(&line, "  nan/inf mismatches ", stats.nonfinite_mismatches);
  }
  return line;
}

namespace {

/// Whether `bytes` has the top-level wire layout of a SequenceProto or an
/// OptionalProto: an elem_type varint (field 2) and otherwise only the
/// length-delimited fields 1 (name) and 3-7 (the values). ONNX writes these
/// for sequence and optional test data; parsed as a TensorProto they give
/// garbage (the name read as packed dims, the values as a segment).
bool LooksLikeSequenceOrOptional(const std::string& bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  bool elem_type = false;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire = WireFormatLite::GetTagWireType(tag);
    if (field == 2) {
      if (wire != WireFormatLite::WIRETYPE_VARINT) return false;
      elem_type = true;
    } else if (field < 1 || field > 7 || wire != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      return false;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return false;
  }
  return elem_type && in.ConsumedEntireMessage();
}

}  // namespace

absl::StatusOr<Tensor> ReadTensorFile(const std::string& path) {
  // A directory, FIFO or device named like a tensor file is an I/O error
  // saying what it is; the size is capped like a model's.
  std::string bytes;
  H8_RETURN_IF_ERROR(ReadFileToString(path, bytes, "a tensor file"));
  onnx::TensorProto proto;
  const bool parsed = proto.ParseFromString(bytes);
  absl::StatusOr<Tensor> t = parsed ? TensorFromProto(proto)
                                    : absl::InvalidArgumentError(absl::StrCat(
                                          "'", path, "' is not a serialized TensorProto"));
  // Checked only for files that are not a usable tensor (and for segmented
  // ones, which no writer of test data produces), so a real tensor is never
  // refused.
  if ((!t.ok() || proto.has_segment()) && LooksLikeSequenceOrOptional(bytes)) {
    return UsageStatus(
        absl::StrCat(path, ": holds a sequence/optional, not a tensor; not supported"));
  }
  if (!parsed) return t.status();
  if (!t.ok()) {
    return absl::Status(t.status().code(), absl::StrCat(path, ": ", t.status().message()));
  }
  return t;
}

Tensor RandomTensor(int32_t dtype, const std::vector<int64_t>& dims, uint64_t seed) {
  Tensor t = eval::AllocateTensor(dtype, dims);
  std::mt19937_64 gen(seed);
  if (t.IsFloat()) {
    // 24 random bits -> k / 2^23 - 1: exact in float32 and strictly below 1.
    for (float& v : t.f) {
      const uint64_t bits = gen() >> 40;
      v = eval::RoundToFloatDtype(static_cast<float>(static_cast<double>(bits) / 8388608.0 - 1.0),
                                  dtype);
    }
  } else {
    const int shift = dtype == onnx::TensorProto::BOOL ? 63 : 62;
    for (int64_t& v : t.i) v = static_cast<int64_t>(gen() >> shift);
  }
  return t;
}

}  // namespace h8
