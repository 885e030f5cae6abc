#include "engine/executors/local_executor.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/executors/process_test_util.h"

namespace tminus {
namespace {

using testing::ClosedPort;
using testing::CountOpenFds;
using testing::ExitsWithinBound;
using testing::Fifo;
using ::testing::HasSubstr;
using testing::kBound;
using testing::Listener;
using ::testing::Not;
using testing::OpenPidFd;
using testing::PidFdsWork;

using ::testing::StartsWith;

// Collects the `done` call of an attempt. The callback shares the state, so an attempt
// that reports after a failed test gave up waiting writes nothing out of scope.
class Outcome {
 public:
  Executor::Done Callback() {
    return [state = state_](ActionResult result) {
      std::lock_guard<std::mutex> lock(state->mutex);
      ++state->calls;
      state->thread = std::this_thread::get_id();
      state->result = std::move(result);
      state->changed.notify_all();
    };
  }

  // The result, once reported (a failed test after kBound).
  ActionResult Get() {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (!state_->changed.wait_for(lock, kBound, [this] { return state_->calls > 0; })) {
      ADD_FAILURE() << "no result within " << kBound.count() << "s";
      return {};
    }
    return state_->result;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->calls;
  }
  std::thread::id thread() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->thread;
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    int calls = 0;
    std::thread::id thread;
    ActionResult result;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

ActionRequest Command(std::vector<std::string> argv) {
  ActionRequest request;
  request.dispatch_id = "step#1";
  request.step_id = "step";
  request.target = "local";
  request.kind = Action::Kind::kCommand;
  request.argv = std::move(argv);
  return request;
}

ActionRequest Shell(std::string script) {
  ActionRequest request = Command({});
  request.kind = Action::Kind::kShell;
  request.shell = std::move(script);
  return request;
}

ActionResult RunToEnd(LocalExecutor& executor, const ActionRequest& request) {
  Outcome outcome;
  executor.Start(request, outcome.Callback());
  return outcome.Get();
}

ActionResult RunToEnd(const ActionRequest& request, LocalExecutorOptions options = {}) {
  LocalExecutor executor(options);
  return RunToEnd(executor, request);
}

// Starts `request` with $FIFO naming `fifo`; its script writes to the FIFO the pid of a
// child it leaves running. Returns a pidfd for that child (-1 if it has already gone).
int StartAndOpenChild(LocalExecutor& executor, ActionRequest request, Fifo& fifo,
                      Outcome& outcome) {
  request.env = {{"FIFO", fifo.path()}};
  executor.Start(request, outcome.Callback());
  return OpenPidFd(std::stoi(fifo.ReadLine()));
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LocalExecutorTest, ZeroExitIsOk) {
  const ActionResult result = RunToEnd(Command({"true"}));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.error, "");
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.cancelled);
}

TEST(LocalExecutorTest, UnexpectedExitCodeFailsWithBothCodes) {
  const ActionResult result = RunToEnd(Shell("exit 3"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.error, "exit code 3, expected 0");
}

TEST(LocalExecutorTest, ExpectedNonZeroExitIsOk) {
  ActionRequest request = Shell("exit 3");
  request.expect_exit_code = 3;
  const ActionResult result = RunToEnd(request);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.exit_code, 3);

  ActionRequest zero = Command({"true"});
  zero.expect_exit_code = 3;
  EXPECT_EQ(RunToEnd(zero).error, "exit code 0, expected 3");
}

TEST(LocalExecutorTest, StdoutMustContainTheExpectedText) {
  ActionRequest request = Shell("echo 'status: OK'");
  request.expect_stdout_contains = "OK";
  EXPECT_TRUE(RunToEnd(request).ok);

  request.shell = "echo 'status: FAILED'; echo OK >&2";  // stderr does not count
  const ActionResult result = RunToEnd(request);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.error, "stdout does not contain 'OK'");
}

TEST(LocalExecutorTest, ExitCodeIsReportedBeforeMissingStdout) {
  ActionRequest request = Shell("echo nope; exit 4");
  request.expect_stdout_contains = "OK";
  EXPECT_EQ(RunToEnd(request).error, "exit code 4, expected 0");
}

TEST(LocalExecutorTest, StdoutIsSearchedBeyondTheKeptTail) {
  // The marker is written first, then 200 KB: far more than the 64 KiB kept.
  ActionRequest request =
      Shell("echo MARKER-AT-THE-START; head -c 200000 /dev/zero | tr '\\0' x; echo");
  request.expect_stdout_contains = "MARKER-AT-THE-START";
  const ActionResult result = RunToEnd(request);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_THAT(result.stdout_tail, Not(HasSubstr("MARKER")));
  EXPECT_THAT(result.stdout_tail, StartsWith("[tminus: "));
  EXPECT_LT(result.stdout_tail.size(), 64 * 1024 + 100u);
}

TEST(LocalExecutorTest, StdoutIsMatchedAcrossReads) {
  // Reads of 3 bytes split the expected text over many reads.
  LocalExecutorOptions options;
  options.read_chunk_bytes = 3;
  ActionRequest request = Shell("head -c 70000 /dev/zero | tr '\\0' y; echo 'ready: yes-all-good'");
  request.expect_stdout_contains = "ready: yes-all-good";
  const ActionResult result = RunToEnd(request, options);
  EXPECT_TRUE(result.ok) << result.error;

  request.expect_stdout_contains = "ready: no";
  EXPECT_EQ(RunToEnd(request, options).error, "stdout does not contain 'ready: no'");
}

TEST(LocalExecutorTest, OutputBufferedAtExitIsNotLost) {
  // The child exits with its whole output still in the pipe; reading it byte by byte
  // outlasts the (zero) drain window, so the rest must be read after the reap.
  LocalExecutorOptions options;
  options.exit_drain = Millis(0);
  options.read_chunk_bytes = 1;
  ActionRequest request = Shell("head -c 60000 /dev/zero | tr '\\0' z; echo END");
  request.expect_stdout_contains = "zEND";
  const ActionResult result = RunToEnd(request, options);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail.size(), 60004u);
}

TEST(LocalExecutorTest, ArgvArrivesVerbatim) {
  const std::vector<std::string> hostile = {"two words",
                                            "'single quotes'",
                                            "\"double quotes\"",
                                            "; rm -rf /tmp/tminus-nothing",
                                            "$(id)",
                                            "`id`",
                                            "line one\nline two",
                                            "",
                                            "*",
                                            "$HOME",
                                            "back\\slash",
                                            "&& echo pwned |",
                                            "-n",
                                            "tab\there",
                                            "caf\xc3\xa9",
                                            "  padded  "};
  std::vector<std::string> argv = {"printf", "%s\\0"};
  argv.insert(argv.end(), hostile.begin(), hostile.end());
  const ActionResult result = RunToEnd(Command(argv));
  ASSERT_TRUE(result.ok) << result.error;
  std::vector<std::string> received;
  std::string current;
  for (char c : result.stdout_tail) {
    if (c == '\0') {
      received.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  EXPECT_EQ(current, "");
  EXPECT_EQ(received, hostile);
}

TEST(LocalExecutorTest, ArgvIsNeverGivenToAShell) {
  const ActionResult result = RunToEnd(Command({"echo", "$(id)", "|", "cat", ";", "exit", "7"}));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "$(id) | cat ; exit 7\n");
}

TEST(LocalExecutorTest, ShellRunsOnlyWhenAskedFor) {
  const ActionResult result = RunToEnd(Shell("echo $((1 + 2)) | tr 3 Z; echo \"$0\""));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "Z\n/bin/sh\n");
}

TEST(LocalExecutorTest, OnSpawnReportsTheChildThatLeadsItsGroup) {
  std::mutex mutex;
  std::vector<std::pair<std::string, pid_t>> spawned;
  LocalExecutorOptions options;
  options.on_spawn = [&](const std::string& dispatch_id, pid_t pid) {
    std::lock_guard<std::mutex> lock(mutex);
    spawned.emplace_back(dispatch_id, pid);
  };
  // The shell prints its own pid and its process group id (field 5 of /proc/self/stat,
  // read by the shell itself through $$).
  const ActionResult result = RunToEnd(Shell("echo $$; cut -d' ' -f5 /proc/$$/stat"), options);
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<std::string> lines = Lines(result.stdout_tail);
  ASSERT_EQ(lines.size(), 2u) << result.stdout_tail;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(spawned.size(), 1u);
    EXPECT_EQ(spawned[0].first, "step#1");
    EXPECT_EQ(std::to_string(spawned[0].second), lines[0]);
    EXPECT_EQ(lines[1], lines[0]) << "the child leads its own process group";
    spawned.clear();
  }
  Listener listener;
  ActionRequest probe = Command({});
  probe.kind = Action::Kind::kProbe;
  probe.probe.kind = Probe::Kind::kTcp;
  probe.probe.address.value = listener.address();
  EXPECT_TRUE(RunToEnd(probe, options).ok);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_TRUE(spawned.empty()) << "a probe starts no process";
}

TEST(LocalExecutorTest, EnvironmentIsInheritedPlusTheRequest) {
  ActionRequest request = Command({"env"});
  request.env = {{"TMINUS_TEST_VALUE", "a b; $(c)"}, {"HOME", "/tmp/overridden"}};
  const ActionResult result = RunToEnd(request);
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<std::string> lines = Lines(result.stdout_tail);
  const auto has = [&lines](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has("TMINUS_TEST_VALUE=a b; $(c)")) << result.stdout_tail;
  EXPECT_TRUE(has("HOME=/tmp/overridden")) << result.stdout_tail;
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) { return line.rfind("HOME=", 0) == 0; }),
            1);
  const char* path = getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_TRUE(has(std::string("PATH=") + path));
}

TEST(LocalExecutorTest, InvalidEnvironmentNameIsRejected) {
  ActionRequest request = Command({"true"});
  request.env = {{"A=B", "x"}};
  EXPECT_EQ(RunToEnd(request).error, "environment variable name 'A=B' is invalid");
}

TEST(LocalExecutorTest, StdinIsEmpty) {
  const ActionResult result = RunToEnd(Command({"cat"}));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "");
}

TEST(LocalExecutorTest, ChildSeesOnlyItsStandardDescriptors) {
  // Neither the pipes, pidfds and eventfds of attempts running at the same time nor a
  // descriptor the coordinator opened without O_CLOEXEC reach the child.
  const int not_cloexec = open("/dev/null", O_RDONLY);
  ASSERT_GE(not_cloexec, 0);
  LocalExecutor executor;
  Fifo fifo;
  Outcome other;
  ActionRequest busy = Shell("echo up > \"$FIFO\"; exec sleep 100");
  busy.dispatch_id = "busy#1";
  busy.env = {{"FIFO", fifo.path()}};
  executor.Start(busy, other.Callback());
  ASSERT_EQ(fifo.ReadLine(), "up");

  // ls reads the directory through descriptor 3.
  const ActionResult result = RunToEnd(executor, Command({"ls", "/proc/self/fd"}));
  close(not_cloexec);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(Lines(result.stdout_tail), (std::vector<std::string>{"0", "1", "2", "3"}));
  executor.Cancel("busy#1");
  EXPECT_TRUE(other.Get().cancelled);
}

TEST(LocalExecutorTest, TimeoutKillsTheWholeProcessGroup) {
  if (!PidFdsWork()) GTEST_SKIP() << "pidfd_open is not available (valgrind?)";
  LocalExecutor executor;
  Fifo fifo;
  Outcome outcome;
  // The grandchild (sleep) reports its pid, then the shell waits for it.
  ActionRequest request = Shell("sleep 100 & echo $! > \"$FIFO\"; wait");
  // Long enough for the shell to start and report before it fires: starting a process
  // took up to 0.6 s on a loaded test machine.
  request.timeout = Millis(3000);
  const int grandchild = StartAndOpenChild(executor, request, fifo, outcome);
  ASSERT_GE(grandchild, 0) << "the grandchild should still run";

  const ActionResult result = outcome.Get();
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.cancelled);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.error, "timed out after 3s");
  EXPECT_GE(result.duration, Millis(3000));
  EXPECT_TRUE(ExitsWithinBound(grandchild)) << "the grandchild survived the timeout";
}

TEST(LocalExecutorTest, StopEscalatesToSigkillAfterTheGrace) {
  if (!PidFdsWork()) GTEST_SKIP() << "pidfd_open is not available (valgrind?)";
  LocalExecutorOptions options;
  options.kill_grace = Millis(300);
  LocalExecutor executor(options);
  Fifo fifo;
  Outcome outcome;
  // Both the shell and its background child ignore SIGTERM.
  ActionRequest request = Shell("trap '' TERM; sleep 100 & echo $! > \"$FIFO\"; wait; wait");
  // Long enough for the shell to set its trap and report before it fires (see above).
  request.timeout = Millis(3000);
  const int grandchild = StartAndOpenChild(executor, request, fifo, outcome);
  ASSERT_GE(grandchild, 0) << "the grandchild should still run";

  const ActionResult result = outcome.Get();
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.error, "timed out after 3s");
  EXPECT_GE(result.duration, Millis(3300));
  EXPECT_TRUE(ExitsWithinBound(grandchild));
}

TEST(LocalExecutorTest, CancelStopsARunningAttempt) {
  LocalExecutor executor;
  Fifo fifo;
  Outcome outcome;
  ActionRequest request = Shell("echo running > \"$FIFO\"; exec sleep 100");
  request.dispatch_id = "migrate#2";
  request.env = {{"FIFO", fifo.path()}};
  executor.Start(request, outcome.Callback());
  ASSERT_EQ(fifo.ReadLine(), "running");
  executor.Cancel("other#1");  // unknown ids are ignored
  EXPECT_EQ(executor.RunningCount(), 1u);
  executor.Cancel("migrate#2");

  const ActionResult result = outcome.Get();
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.error, "cancelled");
  EXPECT_LT(result.duration, Millis(30'000));
  EXPECT_EQ(outcome.calls(), 1);
}

TEST(LocalExecutorTest, CancelRightAfterStartIsReportedOnce) {
  LocalExecutor executor;
  Outcome outcome;
  executor.Start(Command({"sleep", "100"}), outcome.Callback());
  executor.Cancel("step#1");
  const ActionResult result = outcome.Get();
  EXPECT_TRUE(result.cancelled);
  EXPECT_THAT(result.error, StartsWith("cancelled"));
  executor.Cancel("step#1");  // after the end: ignored
  EXPECT_EQ(outcome.calls(), 1);
}

TEST(LocalExecutorTest, DestructionStopsAndReportsRunningAttempts) {
  if (!PidFdsWork()) GTEST_SKIP() << "pidfd_open is not available (valgrind?)";
  Fifo fifo;
  Outcome outcome;
  int grandchild = -1;
  {
    LocalExecutor executor;
    grandchild =
        StartAndOpenChild(executor, Shell("sleep 100 & echo $! > \"$FIFO\"; wait"), fifo, outcome);
    ASSERT_GE(grandchild, 0);
  }
  EXPECT_EQ(outcome.calls(), 1);
  const ActionResult result = outcome.Get();
  EXPECT_TRUE(result.cancelled);
  EXPECT_EQ(result.error, "cancelled: the executor shut down");
  EXPECT_TRUE(ExitsWithinBound(grandchild));
}

TEST(LocalExecutorTest, BackgroundJobsEndWithTheAttempt) {
  if (!PidFdsWork()) GTEST_SKIP() << "pidfd_open is not available (valgrind?)";
  LocalExecutorOptions options;
  options.exit_drain = Millis(2000);  // time for the test to open the pidfd
  LocalExecutor executor(options);
  Fifo fifo;
  Outcome outcome;
  const int background = StartAndOpenChild(
      executor, Shell("sleep 100 & echo $! > \"$FIFO\"; echo started"), fifo, outcome);
  ASSERT_GE(background, 0) << "the background job should still run";
  const ActionResult result = outcome.Get();
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "started\n");
  EXPECT_TRUE(ExitsWithinBound(background));
}

TEST(LocalExecutorTest, SignalDeathIsReported) {
  const ActionResult result = RunToEnd(Shell("kill -9 $$"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_THAT(result.error, StartsWith("killed by signal 9"));
  EXPECT_FALSE(result.timed_out);
}

TEST(LocalExecutorTest, OutputCapKeepsTheTail) {
  LocalExecutorOptions options;
  options.output_cap_bytes = 1024;
  const ActionResult result = RunToEnd(Shell("seq 1 100000; seq 1 50000 >&2"), options);
  ASSERT_TRUE(result.ok) << result.error;
  for (const std::string* tail : {&result.stdout_tail, &result.stderr_tail}) {
    EXPECT_THAT(*tail, StartsWith("[tminus: "));
    const size_t marker_end = tail->find("]\n");
    ASSERT_NE(marker_end, std::string::npos);
    EXPECT_THAT(tail->substr(0, marker_end), HasSubstr("earlier bytes not kept"));
    EXPECT_EQ(tail->size() - (marker_end + 2), 1024u);
  }
  EXPECT_THAT(result.stdout_tail, ::testing::EndsWith("\n99999\n100000\n"));
  EXPECT_THAT(result.stderr_tail, ::testing::EndsWith("\n49999\n50000\n"));
}

TEST(LocalExecutorTest, ShortOutputIsKeptWhole) {
  const ActionResult result = RunToEnd(Shell("echo out; echo err >&2"));
  EXPECT_EQ(result.stdout_tail, "out\n");
  EXPECT_EQ(result.stderr_tail, "err\n");
}

TEST(LocalExecutorTest, SecretsAreRedactedEverywhere) {
  LocalExecutorOptions options;
  options.read_chunk_bytes = 3;  // every secret straddles reads
  ActionRequest request =
      Shell("echo 'password=hunter2-xyz'; echo 'token hunter2-xyz end' >&2; echo s3cr3t");
  request.secret_values = {"hunter2-xyz", "s3cr3t", ""};
  request.expect_stdout_contains = "password=hunter2-xyz";  // matched on the real stream
  ActionResult result = RunToEnd(request, options);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "password=***\n***\n");
  EXPECT_EQ(result.stderr_tail, "token *** end\n");

  request.expect_stdout_contains = "user=hunter2-xyz";
  result = RunToEnd(request, options);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "stdout does not contain 'user=***'");
}

TEST(LocalExecutorTest, SecretCutByTheStartOfTheTailIsMasked) {
  LocalExecutorOptions options;
  options.output_cap_bytes = 16;
  ActionRequest request = Shell("printf 'xxxxhunter2yyyyyyyyyyyy'");
  request.secret_values = {"hunter2"};
  const ActionResult result = RunToEnd(request, options);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, "[tminus: 7 earlier bytes not kept]\n***yyyyyyyyyyyy");
}

TEST(LocalExecutorTest, SecretsNeverReachTheError) {
  ActionRequest request = Command({"/no/such/dir/hunter2"});
  request.secret_values = {"hunter2"};
  const ActionResult result = RunToEnd(request);
  EXPECT_EQ(result.error, "cannot start '/no/such/dir/***': No such file or directory");
}

TEST(LocalExecutorTest, MissingProgramIsAClearError) {
  LocalExecutor executor;
  Outcome outcome;
  executor.Start(Command({"/no/such"}), outcome.Callback());
  const ActionResult result = outcome.Get();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.error, "cannot start '/no/such': No such file or directory");
  EXPECT_NE(outcome.thread(), std::this_thread::get_id());

  EXPECT_EQ(RunToEnd(executor, Command({"tminus-no-such-program"})).error,
            "cannot start 'tminus-no-such-program': No such file or directory");
  EXPECT_EQ(RunToEnd(executor, Command({"/etc/passwd"})).error,
            "cannot start '/etc/passwd': Permission denied");
  EXPECT_EQ(RunToEnd(executor, Command({})).error, "the command is empty");
}

TEST(LocalExecutorTest, DurationIsMeasured) {
  const ActionResult result = RunToEnd(Command({"sleep", "0.2"}));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_GE(result.duration, Millis(200));
  EXPECT_LT(result.duration, Millis(30'000));
}

TEST(LocalExecutorTest, ManyChildrenRunAtOnce) {
  constexpr int kChildren = 64;
  const int fds_before = CountOpenFds();
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<std::string, std::vector<ActionResult>> results;
  {
    LocalExecutor executor;
    for (int i = 0; i < kChildren; ++i) {
      ActionRequest request = Shell("printf '%s' \"$N\"; head -c 100000 /dev/zero | wc -c >&2");
      request.dispatch_id = "step-" + std::to_string(i) + "#1";
      request.env = {{"N", std::to_string(i)}};
      executor.Start(request, [&, id = request.dispatch_id](ActionResult result) {
        std::lock_guard<std::mutex> lock(mutex);
        results[id].push_back(std::move(result));
        all_done.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, kBound,
                                  [&] { return static_cast<int>(results.size()) == kChildren; }));
  }
  ASSERT_EQ(static_cast<int>(results.size()), kChildren);
  for (int i = 0; i < kChildren; ++i) {
    const std::vector<ActionResult>& reported = results["step-" + std::to_string(i) + "#1"];
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_TRUE(reported[0].ok) << reported[0].error;
    EXPECT_EQ(reported[0].stdout_tail, std::to_string(i));
    EXPECT_EQ(reported[0].stderr_tail, "100000\n");
  }
  // Every child was reaped and every descriptor closed.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(CountOpenFds(), fds_before);
}

TEST(LocalExecutorTest, NoDescriptorsLeakOnAnyPath) {
  Listener listener;  // opened before counting
  const int fds_before = CountOpenFds();
  {
    Fifo fifo;
    LocalExecutor executor;
    EXPECT_TRUE(RunToEnd(executor, Command({"true"})).ok);
    EXPECT_FALSE(RunToEnd(executor, Shell("exit 1")).ok);
    EXPECT_FALSE(RunToEnd(executor, Command({"/no/such"})).ok);
    ActionRequest slow = Command({"sleep", "100"});
    slow.timeout = Millis(100);
    EXPECT_TRUE(RunToEnd(executor, slow).timed_out);
    ActionRequest probe = Command({});
    probe.kind = Action::Kind::kProbe;
    probe.probe.kind = Probe::Kind::kTcp;
    probe.probe.address.value = listener.address();
    EXPECT_TRUE(RunToEnd(executor, probe).ok);
    probe.probe.address.value = "127.0.0.1:" + std::to_string(ClosedPort());
    EXPECT_FALSE(RunToEnd(executor, probe).ok);

    Outcome cancelled;
    ActionRequest running = Shell("echo up > \"$FIFO\"; exec sleep 100");
    running.env = {{"FIFO", fifo.path()}};
    executor.Start(running, cancelled.Callback());
    ASSERT_EQ(fifo.ReadLine(), "up");
    executor.Cancel("step#1");
    EXPECT_TRUE(cancelled.Get().cancelled);
  }
  EXPECT_EQ(CountOpenFds(), fds_before);
}

TEST(LocalExecutorTest, ProbesRunOnTheWorkerThread) {
  Listener listener;
  LocalExecutor executor;
  Outcome outcome;
  ActionRequest request = Command({});
  request.kind = Action::Kind::kProbe;
  request.probe.kind = Probe::Kind::kTcp;
  request.probe.address.value = listener.address();
  executor.Start(request, outcome.Callback());
  const ActionResult result = outcome.Get();
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.stdout_tail,
            "connected to 127.0.0.1 port " + std::to_string(listener.port()) + "\n");
  EXPECT_NE(outcome.thread(), std::this_thread::get_id());
}

TEST(LocalExecutorTest, ProbeTimeoutAndCancel) {
  Listener silent;  // accepts connections (backlog) but never answers
  LocalExecutor executor;
  ActionRequest request = Command({});
  request.kind = Action::Kind::kProbe;
  request.probe.kind = Probe::Kind::kHttp;
  request.probe.url.value = "http://" + silent.address() + "/health";
  request.timeout = Millis(300);
  ActionResult result = RunToEnd(executor, request);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.timed_out);
  EXPECT_THAT(result.error, HasSubstr("timed out after 300ms"));
  EXPECT_THAT(result.error, HasSubstr("127.0.0.1"));

  request.timeout = Millis(60'000);
  Outcome outcome;
  executor.Start(request, outcome.Callback());
  executor.Cancel("step#1");
  result = outcome.Get();
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.timed_out);
  EXPECT_LT(result.duration, Millis(30'000));
}

}  // namespace
}  // namespace tminus
