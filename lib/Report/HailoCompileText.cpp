//===- HailoCompileText.cpp - The Hailo hand-off as text ------------------===//
//
// The lines the driver's hailo-compile stage prints while the DFC runs,
// made from its HailoCompileRecord, so the report shows the same text from
// the same data instead of capturing what was printed.
//
//===----------------------------------------------------------------------===//
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "h8/Report/Report.h"

namespace h8 {

std::string FormatHailoCompileSplitNote(const HailoCompileRecord& record) {
  if (record.host_part.empty()) return "";
  return absl::StrCat("hailo-compile: compiling the Hailo-8 part of the split; the host part is ",
                      record.host_part, "\n");
}

std::string FormatHailoCompileStepStart(const HailoCompileRecord& record, size_t step) {
  return absl::StrCat("hailo-compile: [", step + 1, "/", record.planned_steps, "] hailo ",
                      record.steps[step].name, " ...\n");
}

std::string FormatHailoCompileStepEnd(const HailoCompileRecord& record, size_t step) {
  const HailoCompileRecord::Step& s = record.steps[step];
  return absl::StrCat("hailo-compile: [", step + 1, "/", record.planned_steps, "] hailo ", s.name,
                      s.exit_code == 0 ? " done in " : " FAILED after ",
                      absl::StrFormat("%.2f", s.seconds), " s\n");
}

std::string FormatHailoCompileBuilt(const HailoCompileRecord& record) {
  if (!record.built) return "";
  std::string out = absl::StrCat("hailo-compile: built ", record.dir, "/", record.net_name,
                                 ".hef for ", record.hw_arch, "\n");
  absl::StrAppendFormat(&out, "  %-9s %9s  %s\n", "step", "time", "output");
  for (const HailoCompileRecord::Step& s : record.steps) {
    const std::string size =
        s.output_bytes >= 0 ? absl::StrCat(s.output_bytes, " bytes") : "missing";
    absl::StrAppendFormat(&out, "  %-9s %8.2fs  %s (%s)\n", s.name, s.seconds, s.output, size);
  }
  return out;
}

std::string FormatHailoCompile(const HailoCompileRecord& record) {
  std::string out = FormatHailoCompileSplitNote(record);
  for (size_t k = 0; k < record.steps.size(); ++k)
    absl::StrAppend(&out, FormatHailoCompileStepStart(record, k),
                    FormatHailoCompileStepEnd(record, k));
  absl::StrAppend(&out, FormatHailoCompileBuilt(record));
  return out;
}

}  // namespace h8
