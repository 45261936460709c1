//===- ProcessTest.cpp - PATH lookup, shell quoting, spawning, bools -------===//
#include "h8/Support/Process.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "h8/Support/BoolText.h"

namespace h8 {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ProcessTest, ShellQuoteSurvivesSingleQuotes) {
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  // it's -> 'it'\''s': close, escaped quote, reopen.
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(ProcessTest, FindOnPathNeedsAnExecutableFile) {
  EXPECT_EQ(FindOnPath("sh").empty(),
            !IsExecutableFile("/bin/sh") && !IsExecutableFile("/usr/bin/sh"));
  EXPECT_EQ(FindOnPath("no-such-program-h8-test"), "");
  EXPECT_FALSE(IsExecutableFile("/"));  // a folder is not a program
}

TEST(ProcessTest, RunProcessRedirectsAndReportsExitCodes) {
  const std::string sh = "/bin/sh";
  if (!IsExecutableFile(sh)) GTEST_SKIP() << "no /bin/sh";
  char dir_template[] = "/tmp/h8-process-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string log = dir + "/log.txt";

  SpawnOptions both;
  both.stdout_path = log;
  both.stderr_to_stdout = true;
  SpawnResult r = RunProcess({sh, "-c", "echo out; echo err >&2; exit 3"}, both);
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(ReadFile(log), "out\nerr\n");

  // An unset variable is gone from the child's environment.
  ::setenv("H8_PROCESS_TEST_VAR", "x", 1);
  SpawnOptions scrub;
  scrub.stdout_path = log;
  scrub.unset_env = {"H8_PROCESS_TEST_VAR"};
  r = RunProcess({sh, "-c", "echo \"[${H8_PROCESS_TEST_VAR-unset}]\""}, scrub);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(ReadFile(log), "[unset]\n");
  ::unsetenv("H8_PROCESS_TEST_VAR");

  SpawnOptions slow;
  slow.timeout_s = 1;
  r = RunProcess({sh, "-c", "sleep 30"}, slow);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + 9);  // SIGKILL

  r = RunProcess({dir + "/missing"}, SpawnOptions());
  EXPECT_FALSE(r.started && r.exit_code == 0);

  ::unlink(log.c_str());
  ::rmdir(dir.c_str());
}

TEST(BoolTextTest, AcceptsTrueFalseOneZeroInAnyCase) {
  EXPECT_EQ(ParseBool("true"), true);
  EXPECT_EQ(ParseBool("TRUE"), true);
  EXPECT_EQ(ParseBool("1"), true);
  EXPECT_EQ(ParseBool("False"), false);
  EXPECT_EQ(ParseBool("0"), false);
  EXPECT_EQ(ParseBool(""), std::nullopt);
  EXPECT_EQ(ParseBool("yes"), std::nullopt);
  EXPECT_EQ(ParseBool(" true"), std::nullopt);
}

}  // namespace
}  // namespace h8
