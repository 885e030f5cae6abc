// The SSH executor against a real OpenSSH server on loopback: one session reused for every
// command to a host, the per-target limit on commands at once, a cancel and a shutdown
// that stop remote commands, a fan-out where one host is unreachable, and probes refused.
#include "coordinator/ssh_executor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/ssh/sshd_suite.h"

namespace tminus {
namespace {

using namespace std::chrono_literals;

class SshExecutorTest : public tminus::testing::SshdSuite {
 protected:
  void SetUp() override {
    SshdSuite::SetUp();
    if (HasFatalFailure()) return;
    runbook_.targets.clear();
    Target web;
    web.name.value = "web";
    web.kind = Target::Kind::kSsh;
    web.ssh.hosts.push_back(SourcedString{"127.0.0.1", {}});
    web.ssh.port.value = sshd_->port();
    web.ssh.user.value = sshd_->user();
    web.ssh.identity.value = sshd_->user_key();
    web.ssh.known_hosts.value = sshd_->known_hosts();
    runbook_.targets.push_back(web);
    Target two = web;
    two.name.value = "two";
    two.ssh.hosts.push_back(SourcedString{"127.0.0.3", {}});  // nothing listens there
    runbook_.targets.push_back(two);
  }

  static ActionRequest Command(const std::string& id, const std::string& target, const std::string& script) {
    ActionRequest r;
    r.dispatch_id = id;
    r.step_id = id;
    r.target = target;
    r.argv = {"sh", "-c", script};
    return r;
  }

  // Starts `request` and returns a future for its result.
  static std::future<ActionResult> Start(SshExecutor& executor, const ActionRequest& request) {
    auto promise = std::make_shared<std::promise<ActionResult>>();
    std::future<ActionResult> f = promise->get_future();
    executor.Start(request, [promise](ActionResult r) { promise->set_value(std::move(r)); });
    return f;
  }

  static ActionResult Await(std::future<ActionResult>& f) {
    EXPECT_EQ(f.wait_for(60s), std::future_status::ready);
    return f.valid() && f.wait_for(0s) == std::future_status::ready ? f.get() : ActionResult();
  }

  Runbook runbook_;
};

TEST_F(SshExecutorTest, EveryCommandToAHostUsesTheSameSession) {
  SshExecutor executor(runbook_);
  std::set<std::string> connections;
  for (int i = 0; i < 4; ++i) {
    auto f = Start(executor, Command("c" + std::to_string(i), "web", "echo \"$SSH_CONNECTION\""));
    ActionResult r = Await(f);
    ASSERT_TRUE(r.ok) << r.error;
    connections.insert(r.stdout_tail);
  }
  // SSH_CONNECTION names the client's port: one TCP connection served all four.
  EXPECT_EQ(connections.size(), 1u);
}

TEST_F(SshExecutorTest, NoMoreHostsOfATargetRunAtOnceThanItsLimit) {
  SshExecutorOptions options;
  options.max_per_target = 2;
  SshExecutor executor(runbook_, options);
  const std::string dir = *dir_ + "/scratch/limit";
  std::filesystem::create_directory(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::all);
  // Each command counts the others running beside it.
  const std::string script = "touch " + dir + "/$$; ls " + dir + " | wc -l; sleep 0.4; rm " + dir + "/$$";
  std::vector<std::future<ActionResult>> results;
  for (int i = 0; i < 6; ++i) results.push_back(Start(executor, Command("l" + std::to_string(i), "web", script)));
  int most = 0;
  for (auto& f : results) {
    ActionResult r = Await(f);
    ASSERT_TRUE(r.ok) << r.error;
    most = std::max(most, std::stoi(r.stdout_tail));
  }
  EXPECT_EQ(most, 2);
}

TEST_F(SshExecutorTest, ACancelStopsTheRemoteCommand) {
  SshExecutor executor(runbook_);
  const std::string pidfile = *dir_ + "/scratch/cancel.pid";
  auto f = Start(executor, Command("slow", "web", "echo $$ > " + pidfile + "; exec sleep 60"));
  for (int i = 0; i < 200 && !std::filesystem::exists(pidfile); ++i) std::this_thread::sleep_for(50ms);
  executor.Cancel("slow");
  ActionResult r = Await(f);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.error, "cancelled");
  std::ifstream in(pidfile);
  int pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid))) << "the remote command still runs";
}

TEST_F(SshExecutorTest, ShuttingDownReportsWhatRanAsCancelled) {
  std::future<ActionResult> f;
  {
    SshExecutor executor(runbook_);
    f = Start(executor, Command("left", "web", "exec sleep 60"));
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
  ActionResult r = f.get();
  EXPECT_TRUE(r.cancelled);
}

TEST_F(SshExecutorTest, AnUnreachableHostFailsTheFanOutAndIsNamed) {
  SshExecutorOptions options;
  options.connect_timeout = 3s;
  SshExecutor executor(runbook_, options);
  auto f = Start(executor, Command("fan", "two", "echo hi"));
  ActionResult r = Await(f);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("127.0.0.3:" + std::to_string(sshd_->port()) + ": cannot connect"), std::string::npos)
      << r.error;
  EXPECT_NE(r.stdout_tail.find("== 127.0.0.1:" + std::to_string(sshd_->port()) + " ==\nhi\n"), std::string::npos)
      << r.stdout_tail;
}

TEST_F(SshExecutorTest, ProbesAndUnknownTargetsAreRefused) {
  SshExecutor executor(runbook_);
  ActionRequest probe = Command("p", "web", "true");
  probe.kind = Action::Kind::kProbe;
  auto f = Start(executor, probe);
  ActionResult r = Await(f);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not over SSH"), std::string::npos) << r.error;
  auto g = Start(executor, Command("q", "nowhere", "true"));
  r = Await(g);
  EXPECT_NE(r.error.find("'nowhere' is not reached over SSH"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tminus
