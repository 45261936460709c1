//===- Npy.cpp - NumPy .npy files ----------------------------------------===//
#include "h8/Support/Npy.h"

#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> <f4 (raw text
// up to the next top-level comma or closing brace).
bool HeaderValue(absl::string_view header, absl::string_view key, std::string& out) {
  std::string quoted = absl::StrCat("'", key, "'");
  size_t at = header.find(quoted);
  if (at == absl::string_view::npos) return false;
  size_t colon = header.find(':', at + quoted.size());
  if (colon == absl::string_view::npos) return false;
  size_t begin = colon + 1, end = begin;
  int depth = 0;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  out = std::string(absl::StripAsciiWhitespace(header.substr(begin, end - begin)));
  return true;
}

}  // namespace

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& what) {
  // An unusable input file: exit 2 (UsageStatus), like any other I/O problem.
  auto bad = [&](absl::string_view why) {
    return UsageStatus(absl::StrCat(what, ": not a usable .npy file: ", why));
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return bad("missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = 0;
    for (int k = 0; k < 4; ++k)
      header_len |= size_t{static_cast<unsigned char>(bytes[8 + k])} << (8 * k);
    offset = 12;
  } else {
    return bad(absl::StrCat("format version ", major, " is not supported"));
  }
  if (offset + header_len > bytes.size()) return bad("truncated header");
  absl::string_view header(bytes.data() + offset, header_len);
  std::string descr, order, shape;
  if (!HeaderValue(header, "descr", descr) || !HeaderValue(header, "fortran_order", order) ||
      !HeaderValue(header, "shape", shape))
    return bad("header lacks descr, fortran_order or shape");
  if (descr != "'<f4'")
    return bad(absl::StrCat("dtype ", descr, " is not little-endian float32 ('<f4')"));
  if (order != "False") return bad("Fortran order is not supported; save with C order");
  NpyArray array;
  absl::string_view dims = absl::StripAsciiWhitespace(shape);
  if (!absl::ConsumePrefix(&dims, "(") || !absl::ConsumeSuffix(&dims, ")"))
    return bad("malformed shape");
  int64_t count = 1;
  for (absl::string_view d : absl::StrSplit(dims, ',', absl::SkipWhitespace())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(d), &v) || v < 0)
      return bad("malformed shape");
    if (v > 0 && count > std::numeric_limits<int64_t>::max() / v) return bad("shape overflows");
    count *= v;
    array.shape.push_back(v);
  }
  // Compared in elements, not bytes: count * 4 may wrap.
  const size_t data_at = offset + header_len;
  const size_t data_bytes = bytes.size() - data_at;
  if (data_bytes % 4 != 0 || data_bytes / 4 != static_cast<uint64_t>(count))
    return bad(absl::StrCat("holds ", data_bytes / 4, " floats, its shape needs ", count));
  array.data.resize(count);
  if (count > 0) std::memcpy(array.data.data(), bytes.data() + data_at, count * 4);
  return array;
}

absl::StatusOr<NpyArray> ReadNpyFile(const std::string& path) {
  std::string bytes;
  if (absl::Status s = ReadFileToString(path, bytes, "a .npy file"); !s.ok()) return s;
  return ParseNpy(bytes, path);
}

std::string SerializeNpy(const NpyArray& array) {
  std::string dims;
  for (int64_t d : array.shape) absl::StrAppend(&dims, d, array.shape.size() == 1 ? "," : ", ");
  if (array.shape.size() > 1) dims.resize(dims.size() - 2);
  std::string header =
      absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (", dims, "), }");
  // Pad with spaces so the data starts at a multiple of 64, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(array.data.data()), array.data.size() * 4);
  return out;
}

NpyArray NchwToNhwc(const NpyArray& in) {
  const int64_t n = in.shape[0], c = in.shape[1], h = in.shape[2], w = in.shape[3];
  NpyArray out;
  out.shape = {n, h, w, c};
  out.data.resize(in.data.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          out.data[((a * h + y) * w + x) * c + ch] = in.data[((a * c + ch) * h + y) * w + x];
  return out;
}

}  // namespace h8
