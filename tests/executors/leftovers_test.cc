#include "engine/executors/leftovers.h"

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/executors/local_executor.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr auto kLeftoverBound = std::chrono::seconds(10);

// A run id of this test process alone: tests run in parallel, each in its own process, and
// must not find (or stop) each other's trees.
std::string RunId(const std::string& name) { return name + "-" + std::to_string(getpid()); }

// Running, not ended or a zombie.
bool Running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
         stat[close + 2] != 'X';
}

// A process tree like one an attempt leaves when its coordinator dies: a shell in its own
// process group (or its own session, as a daemon) running `script`, with the marks.
class Tree {
 public:
  Tree(const std::string& run, const std::string& dispatch, bool own_session,
       const std::string& script = "sleep 60 & exec sleep 60") {
    const std::string run_mark = std::string(kRunIdVariable) + "=" + run;
    const std::string dispatch_mark = std::string(kDispatchIdVariable) + "=" + dispatch;
    pid_ = fork();
    if (pid_ == 0) {
      if (own_session) {
        setsid();
      } else {
        setpgid(0, 0);
      }
      char* const env[] = {const_cast<char*>("PATH=/usr/bin:/bin"),
                           const_cast<char*>(run_mark.c_str()),
                           const_cast<char*>(dispatch_mark.c_str()), nullptr};
      execle("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr), env);
      _exit(127);
    }
  }
  ~Tree() {
    if (pid_ > 0) {
      killpg(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// FindLeftovers once it sees `count` processes (the shell needs a moment to start them).
std::vector<Leftover> FindAtLeast(const std::string& run, const std::string& dispatch,
                                  size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + kLeftoverBound;
  std::vector<Leftover> found;
  while (std::chrono::steady_clock::now() < deadline) {
    found = FindLeftovers(run, dispatch);
    if (found.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return found;
}

std::vector<pid_t> Pids(const std::vector<Leftover>& leftovers) {
  std::vector<pid_t> pids;
  for (const Leftover& l : leftovers) pids.push_back(l.pid);
  return pids;
}

TEST(LeftoversTest, FindsAndStopsTheWholeGroupOfTheAttempt) {
  Tree tree(RunId("run-1"), "copy#1", /*own_session=*/false);
  const std::vector<Leftover> found = FindAtLeast(RunId("run-1"), "copy#1", 2);
  ASSERT_EQ(found.size(), 2u);
  for (const Leftover& l : found) EXPECT_EQ(l.pgid, tree.pid());
  const std::vector<pid_t> stopped = StopLeftovers(found, Millis(2000));
  EXPECT_EQ(stopped, Pids(found));
  for (pid_t pid : stopped) EXPECT_FALSE(Running(pid)) << pid;
}

TEST(LeftoversTest, LeavesOtherRunsAttemptsAndDaemonsAlone) {
  Tree other_run(RunId("run-2"), "copy#1", /*own_session=*/false);
  Tree other_attempt(RunId("run-1"), "copy#2", /*own_session=*/false);
  Tree daemon(RunId("run-1"), "copy#1", /*own_session=*/true);
  Tree mine(RunId("run-1"), "copy#1", /*own_session=*/false, "exec sleep 60");
  // Every tree has started once the other attempt's two processes are visible.
  ASSERT_EQ(FindAtLeast(RunId("run-2"), "copy#1", 2).size(), 2u);
  ASSERT_EQ(FindAtLeast(RunId("run-1"), "copy#2", 2).size(), 2u);
  const std::vector<Leftover> found = FindAtLeast(RunId("run-1"), "copy#1", 1);
  EXPECT_THAT(Pids(found), UnorderedElementsAre(mine.pid()));
  EXPECT_TRUE(FindLeftovers("", "copy#1").empty());
  EXPECT_TRUE(FindLeftovers(RunId("run-1"), "").empty());
  StopLeftovers(found, Millis(2000));
  EXPECT_FALSE(Running(mine.pid()));
  EXPECT_TRUE(Running(daemon.pid()));
  EXPECT_TRUE(Running(other_run.pid()));
  EXPECT_TRUE(Running(other_attempt.pid()));
}

ActionRequest Request(const std::string& run, const std::string& dispatch) {
  ActionRequest request;
  request.run_id = run;
  request.dispatch_id = dispatch;
  request.step_id = "copy";
  request.attempt = 3;
  request.kind = Action::Kind::kShell;
  return request;
}

ActionResult Wait(std::future<ActionResult>& future) {
  if (future.wait_for(kLeftoverBound) != std::future_status::ready) {
    ADD_FAILURE() << "no result within the bound";
    return {};
  }
  return future.get();
}

TEST(LeftoversTest, EveryCommandCarriesItsMarksAndTheActionCannotOverrideThem) {
  LocalExecutor executor;
  ActionRequest request = Request(RunId("run-9"), "copy#3");
  request.shell = "echo \"$TMINUS_RUN_ID $TMINUS_DISPATCH_ID $TMINUS_STEP_ID $TMINUS_ATTEMPT\"";
  request.env = {{"TMINUS_RUN_ID", "forged"}, {"OTHER", "x"}};
  std::promise<ActionResult> promise;
  std::future<ActionResult> future = promise.get_future();
  executor.Start(request, [&promise](ActionResult r) { promise.set_value(std::move(r)); });
  const ActionResult result = Wait(future);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.stdout_tail, RunId("run-9") + " copy#3 copy 3\n");
}

TEST(LeftoversTest, RecoverStopsTheProcessesTheAttemptLeftAndSaysWhich) {
  Tree tree(RunId("run-1"), "copy#1", /*own_session=*/false);
  ASSERT_EQ(FindAtLeast(RunId("run-1"), "copy#1", 2).size(), 2u);
  LocalExecutor executor;
  std::promise<ActionResult> promise;
  std::future<ActionResult> future = promise.get_future();
  executor.Recover(Request(RunId("run-1"), "copy#1"), Millis(0),
                   [&promise](ActionResult r) { promise.set_value(std::move(r)); });
  const ActionResult result = Wait(future);
  EXPECT_TRUE(result.unrecovered);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("stopped: pid " + std::to_string(tree.pid())));
  EXPECT_FALSE(Running(tree.pid()));
  EXPECT_TRUE(FindLeftovers(RunId("run-1"), "copy#1").empty());
}

TEST(LeftoversTest, RecoverWithNothingLeftSaysSo) {
  LocalExecutor executor;
  std::promise<ActionResult> promise;
  std::future<ActionResult> future = promise.get_future();
  executor.Recover(Request(RunId("run-1"), "gone#1"), Millis(0),
                   [&promise](ActionResult r) { promise.set_value(std::move(r)); });
  const ActionResult result = Wait(future);
  EXPECT_TRUE(result.unrecovered);
  EXPECT_THAT(result.error, HasSubstr("none of its processes was still running"));
}

}  // namespace
}  // namespace tminus
