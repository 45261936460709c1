//===- Process.h - Running external programs --------------------*- C++ -*-===//
//
// Finding an executable on PATH, quoting for a POSIX shell, and running a
// program with its standard streams redirected to files (posix_spawn; no
// shell in between), for the tools the driver hands work to (Graphviz
// `dot`, the Hailo DFC).
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_PROCESS_H
#define H8_SUPPORT_PROCESS_H

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace h8 {

/// Whether `path` is a regular file this process may execute.
bool IsExecutableFile(const std::string& path);

/// The first `<dir>/<program>` over $PATH's folders that is executable, or
/// "" when there is none (or PATH is unset).
std::string FindOnPath(absl::string_view program);

/// `s` in single quotes, safe as one word of a POSIX shell command.
std::string ShellQuote(absl::string_view s);

/// Where a spawned program's streams go and what it inherits.
struct SpawnOptions {
  /// File for stdout, created or truncated with `file_mode`; "" is /dev/null.
  std::string stdout_path;
  /// File for stderr (same rules); ignored when stderr_to_stdout.
  std::string stderr_path;
  bool stderr_to_stdout = false;
  int file_mode = 0644;
  /// Environment variables removed from the child's environment.
  std::vector<std::string> unset_env;
  /// Seconds before the child is killed; 0 waits for ever.
  int timeout_s = 0;
};

/// How a spawned program ended.
struct SpawnResult {
  bool started = false;  // false: posix_spawn failed (nothing ran)
  bool timed_out = false;  // killed after SpawnOptions::timeout_s
  /// The exit status, or 128 + the signal that ended the program.
  int exit_code = -1;
};

/// Runs `argv[0]` (a path, not looked up on PATH) with `argv`, stdin from
/// /dev/null and the other streams as `options` say, and waits for it.
SpawnResult RunProcess(const std::vector<std::string>& argv, const SpawnOptions& options);

}  // namespace h8

#endif  // H8_SUPPORT_PROCESS_H
