// The command line sent to SSH hosts, run here by a real POSIX shell (/bin/sh, as sshd
// runs it through the user's shell): hostile arguments must arrive verbatim and run
// nothing.
#include "engine/executors/remote_command.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace tminus {
namespace {

// Runs `line` with /bin/sh -c in `dir`; its stdout.
std::string RunWithShell(const std::string& line, const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) return "<pipe failed>";
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    if (chdir(dir.c_str()) != 0) _exit(126);
    execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

class RemoteCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tminus-remote-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RemoteCommandTest, HostileArgumentsArriveVerbatimAndRunNothing) {
  const std::vector<std::string> hostile = {
      "it's",        "\"double\"",      "; touch PWNED1", "$(touch PWNED2)", "`touch PWNED3`",
      "line\nbreak", "*",               "$HOME",          "back\\slash",     "",
      " padded ",    "&& touch PWNED4", "| touch PWNED5", "'",               "''\\''",
      "> PWNED6",    "tab\there",       "!",              "#not a comment",  "--"};
  ActionRequest request;
  request.argv = {"printf", "[%s]\\n"};
  request.argv.insert(request.argv.end(), hostile.begin(), hostile.end());
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_TRUE(line.ok()) << line.status();
  std::string expected;
  for (const std::string& h : hostile) expected += "[" + h + "]\n";
  EXPECT_EQ(RunWithShell(*line, dir_), expected);
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    ADD_FAILURE() << "the shell created " << entry.path().filename();
  }
}

TEST_F(RemoteCommandTest, EnvironmentValuesAreExportedVerbatim) {
  ActionRequest request;
  request.kind = Action::Kind::kShell;
  request.shell = "printf '%s|%s' \"$GREETING\" \"$OTHER\"";
  request.env = {{"GREETING", "it's $(touch PWNED) `x` ; y"}, {"OTHER", "two\nlines"}};
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(RunWithShell(*line, dir_), "it's $(touch PWNED) `x` ; y|two\nlines");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/PWNED"));
}

TEST_F(RemoteCommandTest, AShellActionIsTheExplicitOptInToShellSyntax) {
  ActionRequest request;
  request.kind = Action::Kind::kShell;
  request.shell = "echo one; echo 'two' | tr a-z A-Z; exit 3";
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(RunWithShell(*line, dir_), "one\nTWO\n");
}

TEST_F(RemoteCommandTest, TheCommandReplacesTheShellSoItsExitStatusIsTheSessions) {
  ActionRequest request;
  request.argv = {"sh", "-c", "exit 7"};
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->rfind("exec ", 0), 0u) << *line;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", line->c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  close(fds[1]);
  int code = 0;
  waitpid(pid, &code, 0);
  EXPECT_EQ(WEXITSTATUS(code), 7);
}

TEST_F(RemoteCommandTest, AProgramNamedLikeAnOptionIsStillTheProgram) {
  ActionRequest request;
  request.argv = {"-n", "x"};
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, "exec -- '-n' 'x'");
}

TEST_F(RemoteCommandTest, AnEnvironmentNameThatIsNotAShellNameIsRefused) {
  ActionRequest request;
  request.argv = {"true"};
  request.env = {{"BAD;NAME", "x"}};
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  ASSERT_FALSE(line.ok());
  EXPECT_NE(std::string(line.status().message()).find("'BAD;NAME' is not a shell name"), std::string::npos);
  request.env.clear();
  request.argv.clear();
  EXPECT_FALSE(RemoteCommandLine(request).ok());
}

}  // namespace
}  // namespace tminus
