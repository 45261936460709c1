//===- ModelIOInternal.h - Helpers shared by the ModelIO files --*- C++ -*-===//
//
// Private to lib/Support: the file-problem mark and the input-mode check
// that ModelIOFiles.cpp, ModelIORead.cpp and ModelIOWrite.cpp share.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_SUPPORT_MODELIOINTERNAL_H
#define H8_LIB_SUPPORT_MODELIOINTERNAL_H

#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace modelio {

inline std::string ErrnoText() { return std::strerror(errno); }

// Marks a file problem so that the driver exits with 2 for it wherever it
// surfaces (a pass reading calibration data, the verifier reading a host
// model), keeping its status code.
inline absl::Status Io(absl::Status s) {
  s.SetPayload(kUsageErrorPayload, absl::Cord("1"));
  return s;
}

// Whether `mode` is acceptable for an input: a regular file, or a pipe when
// `allow_pipe` (process substitution, `cat m | ...`).
absl::Status CheckInputMode(const std::string& path, mode_t mode, bool allow_pipe,
                            absl::string_view noun);

}  // namespace modelio
}  // namespace h8

#endif  // H8_LIB_SUPPORT_MODELIOINTERNAL_H
