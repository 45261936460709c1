//===- Status.h - absl::Status helpers --------------------------*- C++ -*-===//
//
// Abseil 20220623 has no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these are the
// project's versions. Every fallible function returns absl::Status or
// absl::StatusOr<T>; no exceptions cross a function boundary.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_STATUS_H
#define H8_SUPPORT_STATUS_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace h8 {

/// Payload URL marking a status as a usage error: the user's request (a
/// flag, an option against this model) is wrong, not the model. The driver
/// exits with 2 for these and with 1 for other pass failures.
inline constexpr absl::string_view kUsageErrorPayload = "h8/usage-error";

/// InvalidArgument with the usage-error mark.
inline absl::Status UsageStatus(absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsageErrorPayload, absl::Cord("1"));
  return s;
}

inline bool IsUsageError(const absl::Status& s) {
  return s.GetPayload(kUsageErrorPayload).has_value();
}

/// Payload URL marking a failure of the external Hailo toolchain (missing
/// or failed): the driver exits with 3.
inline constexpr absl::string_view kToolchainErrorPayload = "h8/toolchain-error";

inline absl::Status ToolchainStatus(absl::string_view message) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kToolchainErrorPayload, absl::Cord("1"));
  return s;
}

inline bool IsToolchainError(const absl::Status& s) {
  return s.GetPayload(kToolchainErrorPayload).has_value();
}

/// Payload URL marking a failure whose diagnostics were already emitted:
/// the pass manager prints no second line for it.
inline constexpr absl::string_view kReportedPayload = "h8/reported";

inline bool IsReported(const absl::Status& s) { return s.GetPayload(kReportedPayload).has_value(); }

/// `s` with the reported mark.
inline absl::Status MarkReported(absl::Status s) {
  s.SetPayload(kReportedPayload, absl::Cord("1"));
  return s;
}

/// Payload URL marking a lint's verdict "the model has errors" (its
/// findings, already emitted as diagnostics). A later pass that consumes
/// the findings (Pass::ConsumesLintFindings) lets the pipeline go on.
inline constexpr absl::string_view kLintFindingsPayload = "h8/lint-findings";

/// FailedPrecondition with the lint-findings and reported marks.
inline absl::Status LintFindingsStatus(absl::string_view message) {
  absl::Status s = absl::FailedPreconditionError(message);
  s.SetPayload(kLintFindingsPayload, absl::Cord("1"));
  return MarkReported(std::move(s));
}

inline bool IsLintFindings(const absl::Status& s) {
  return s.GetPayload(kLintFindingsPayload).has_value();
}

}  // namespace h8

#define H8_STATUS_CONCAT_INNER(a, b) a##b
#define H8_STATUS_CONCAT(a, b) H8_STATUS_CONCAT_INNER(a, b)

/// Returns the status from the enclosing function when `expr` is not OK.
#define H8_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status h8_status_ = (expr);      \
    if (!h8_status_.ok()) return h8_status_; \
  } while (0)

/// `H8_ASSIGN_OR_RETURN(auto x, F())` unwraps a StatusOr or returns its error.
#define H8_ASSIGN_OR_RETURN(lhs, expr) \
  H8_ASSIGN_OR_RETURN_IMPL(H8_STATUS_CONCAT(h8_statusor_, __LINE__), lhs, expr)
#define H8_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#endif  // H8_SUPPORT_STATUS_H
