// Process groups left behind by a dead agent, on real processes: how one is described when
// its child starts, that a group still running is stopped (SIGTERM, then SIGKILL), and that
// a group whose recorded identity does not match what /proc shows is never signalled.
#include "agent/process_group.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/executors/process_test_util.h"

extern char** environ;

namespace tminus::agent {
namespace {

using ::testing::HasSubstr;
using Outcome = OrphanStop::Outcome;

// `/bin/sh -c script` in a process group of its own, as the executor starts attempts;
// killed and reaped at the end of the test if it is still there.
class Child {
 public:
  explicit Child(const std::string& script) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    std::string sh = "/bin/sh", c = "-c", text = script;
    char* argv[] = {sh.data(), c.data(), text.data(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, &attr, argv, environ) != 0) {
      ADD_FAILURE() << "cannot start /bin/sh";
      pid_ = -1;
    }
    posix_spawnattr_destroy(&attr);
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  pid_t pid() const { return pid_; }
  // True while it has not ended (an ended child is reaped here).
  bool Running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
  }
  // How it ended (it must end within the bound).
  int Wait() {
    int status = -1;
    const auto until = std::chrono::steady_clock::now() + tminus::testing::kBound;
    while (std::chrono::steady_clock::now() < until) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      usleep(10'000);
    }
    ADD_FAILURE() << "the child did not end";
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

TEST(ProcessGroupTest, AGroupIsDescribedByItsLeader) {
  Child child("exec sleep 30");
  ASSERT_GT(child.pid(), 0);
  std::optional<v1::ProcessGroup> group = DescribeProcessGroup(child.pid());
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(group->pgid(), child.pid());
  EXPECT_EQ(group->session_id(), getsid(0));
  EXPECT_GT(group->leader_start_ticks(), 0u);
  EXPECT_FALSE(group->boot_id().empty());
  EXPECT_EQ(group->boot_id(), CurrentBootId());
  EXPECT_FALSE(DescribeProcessGroup(999'999'999).has_value()) << "no such process";
}

TEST(ProcessGroupTest, AGroupStillRunningIsStoppedWholeWithSigterm) {
  tminus::testing::Fifo fifo;
  // A background job in the same group: it must end too.
  Child child("sleep 30 & echo $! > " + fifo.path() + "; exec sleep 30");
  const pid_t job = static_cast<pid_t>(std::stoi(fifo.ReadLine()));
  std::optional<v1::ProcessGroup> group = DescribeProcessGroup(child.pid());
  ASSERT_TRUE(group.has_value());

  const OrphanStop stopped = StopOrphanedGroup(*group, std::chrono::milliseconds(5000));
  EXPECT_EQ(stopped.outcome, Outcome::kKilled) << stopped.text;
  EXPECT_EQ(stopped.text, "its process group " + std::to_string(child.pid()) +
                              " was still running and has been killed (SIGTERM)");
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  // The job was the shell's child; it is gone or a zombie waiting for its reaper.
  std::ifstream in("/proc/" + std::to_string(job) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << stat;

  const OrphanStop again = StopOrphanedGroup(*group, std::chrono::milliseconds(5000));
  EXPECT_EQ(again.outcome, Outcome::kGone) << again.text;
  EXPECT_THAT(again.text, HasSubstr("had already ended"));
}

TEST(ProcessGroupTest, AGroupThatIgnoresSigtermGetsSigkill) {
  tminus::testing::Fifo fifo;
  Child child("trap '' TERM; echo ready > " + fifo.path() + "; exec sleep 30");
  ASSERT_EQ(fifo.ReadLine(), "ready");
  std::optional<v1::ProcessGroup> group = DescribeProcessGroup(child.pid());
  ASSERT_TRUE(group.has_value());
  const OrphanStop stopped = StopOrphanedGroup(*group, std::chrono::milliseconds(200));
  EXPECT_EQ(stopped.outcome, Outcome::kKilled) << stopped.text;
  EXPECT_THAT(stopped.text, HasSubstr("(SIGKILL after SIGTERM was ignored for 0.2s)"));
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ProcessGroupTest, AGroupThatIsNotTheRecordedOneIsLeftAlone) {
  Child child("exec sleep 30");
  std::optional<v1::ProcessGroup> group = DescribeProcessGroup(child.pid());
  ASSERT_TRUE(group.has_value());

  v1::ProcessGroup newer_leader = *group;  // the number was reused by a later process
  newer_leader.set_leader_start_ticks(group->leader_start_ticks() - 1);
  OrphanStop stopped = StopOrphanedGroup(newer_leader, std::chrono::milliseconds(200));
  EXPECT_EQ(stopped.outcome, Outcome::kNotOurs) << stopped.text;
  EXPECT_THAT(stopped.text, HasSubstr("was left alone"));
  EXPECT_TRUE(child.Running());

  v1::ProcessGroup other_session = *group;
  other_session.set_session_id(group->session_id() + 1);
  stopped = StopOrphanedGroup(other_session, std::chrono::milliseconds(200));
  EXPECT_EQ(stopped.outcome, Outcome::kNotOurs) << stopped.text;
  EXPECT_TRUE(child.Running());

  v1::ProcessGroup other_boot = *group;
  other_boot.set_boot_id("00000000-0000-0000-0000-000000000000");
  stopped = StopOrphanedGroup(other_boot, std::chrono::milliseconds(200));
  EXPECT_EQ(stopped.outcome, Outcome::kOtherBoot) << stopped.text;
  EXPECT_THAT(stopped.text, HasSubstr("the host has restarted since it started"));
  EXPECT_TRUE(child.Running());

  // The recorded identity itself: stopped.
  stopped = StopOrphanedGroup(*group, std::chrono::milliseconds(2000));
  EXPECT_EQ(stopped.outcome, Outcome::kKilled) << stopped.text;
  EXPECT_FALSE(child.Running());
}

}  // namespace
}  // namespace tminus::agent
