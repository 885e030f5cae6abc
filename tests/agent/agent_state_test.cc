// The real tminus-agent binary with --state-dir, killed with SIGKILL (as a crash or the OOM
// killer would end it) and started again on the same directory: what it still knows, what
// it delivers again, what it stops, what it never runs twice, what it does with damaged
// files, and that two agents never share a directory.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/agent/agent_fixture.h"
#include "tests/executors/process_test_util.h"
#include "tests/temp_dir.h"

namespace tminus::agent {
namespace {

using testing::AckOf;
using testing::AgentProcess;
using testing::ExpectAccepted;
using testing::ExpectResult;
using ::testing::HasSubstr;
using testing::kBound;
using testing::KnownSteps;
using testing::Lines;
using tminus::testing::Names;
using ::testing::Not;
using testing::Session;
using tminus::testing::ReadText;
using testing::Sh;
using tminus::testing::WriteText;
using Ms = std::chrono::milliseconds;

class AgentStateTest : public testing::AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    state_ = dir_ + "/state";
    extra_args_ = {"--state-dir", state_};
  }

  std::string Attempts() const { return state_ + "/attempts"; }

  // The file that holds `step`'s attempt ("" when there is none).
  std::string AttemptFile(const std::string& step) const {
    for (const std::string& name : Names(Attempts())) {
      if (name.rfind(step + ".", 0) == 0) return Attempts() + "/" + name;
    }
    return "";
  }

  // Waits until `step`'s file holds `text`.
  bool WaitForRecord(const std::string& step, const std::string& text) const {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (std::chrono::steady_clock::now() < until) {
      const std::string file = AttemptFile(step);
      if (!file.empty() && ReadText(file).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(Ms(20));
    }
    return false;
  }

  // SIGKILL, then a new agent process on the same state directory.
  void KillAndRestart() {
    ASSERT_TRUE(agent_->Kill());
    agent_.reset();
    StartAgent();
  }

  std::string state_;
};

TEST_F(AgentStateTest, AnUnacknowledgedResultSurvivesSigkillAndIsDeliveredAgain) {
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();
  ASSERT_NE(first, nullptr);
  const std::string runs = dir_ + "/runs";
  v1::CoordinatorMessage dispatch =
      Sh("report", "echo run >> " + runs + "; echo out $TOKEN; echo err >&2; exit 3");
  v1::EnvVar* env = dispatch.mutable_dispatch()->add_env();
  env->set_name("TOKEN");
  env->set_value("s3cret");
  dispatch.mutable_dispatch()->add_redact("s3cret");
  dispatch.mutable_dispatch()->set_expect_exit_code(3);
  ASSERT_TRUE(first->Send(dispatch));
  ExpectAccepted(*first);
  const v1::Result original = ExpectResult(*first);
  ASSERT_TRUE(original.ok()) << original.error();
  ASSERT_EQ(original.stdout_tail(), "out ***\n");

  // On disk before it was sent, without the secret, the environment or the script.
  const std::string file = AttemptFile("report");
  ASSERT_FALSE(file.empty()) << "no file for the attempt in " << Attempts();
  const std::string record = ReadText(file);
  EXPECT_THAT(record, HasSubstr("step_id: \"report\""));
  EXPECT_THAT(record, HasSubstr("command /bin/sh with 2 arguments"));
  EXPECT_THAT(record, Not(HasSubstr("s3cret")));
  EXPECT_THAT(record, Not(HasSubstr("TOKEN")));
  EXPECT_THAT(record, Not(HasSubstr("echo")));

  KillAndRestart();
  std::shared_ptr<Session> second = Welcomed();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(KnownSteps(last_hello_), std::vector<std::string>{"report (finished)"});
  v1::Result again = ExpectResult(*second);
  EXPECT_TRUE(again.redelivered());
  again.clear_redelivered();
  EXPECT_EQ(again.SerializeAsString(), original.SerializeAsString())
      << again.ShortDebugString() << "\n  vs " << original.ShortDebugString();

  // Still known: the same dispatch is a duplicate and does not run again.
  ASSERT_TRUE(second->Send(dispatch));
  EXPECT_TRUE(ExpectAccepted(*second).duplicate());

  ASSERT_TRUE(second->Send(AckOf("report")));
  ASSERT_TRUE(second->Send(Sh("sentinel", "true")));
  EXPECT_EQ(ExpectAccepted(*second).id().step_id(), "sentinel");  // the ack was handled
  EXPECT_EQ(ExpectResult(*second).id().step_id(), "sentinel");
  EXPECT_EQ(AttemptFile("report"), "") << "acknowledged: gone from disk";
  EXPECT_NE(AttemptFile("sentinel"), "");

  // And forgotten by the next process too.
  KillAndRestart();
  std::shared_ptr<Session> third = Welcomed();
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(KnownSteps(last_hello_), std::vector<std::string>{"sentinel (finished)"});
  EXPECT_EQ(Lines(runs), std::vector<std::string>{"run"});
}

// Makes this test process the reaper of orphans below it, so that an attempt's process
// outliving the killed agent becomes its child and its end can be observed with waitpid.
class SubreaperScope {
 public:
  SubreaperScope() { EXPECT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  ~SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

// Kills and reaps our child `pid` at the end of a test unless released: a failed test
// leaves nothing running.
class KillAtExit {
 public:
  explicit KillAtExit(pid_t pid) : pid_(pid) {}
  ~KillAtExit() {
    if (pid_ > 0 && kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
  }
  void Release() { pid_ = -1; }

 private:
  pid_t pid_;
};

// The status of our child `pid` once it has ended, or nullopt after the bound.
std::optional<int> WaitChild(pid_t pid) {
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    const pid_t reaped = waitpid(pid, &status, WNOHANG);
    if (reaped == pid) return status;
    if (reaped < 0) return std::nullopt;
    std::this_thread::sleep_for(Ms(20));
  }
  return std::nullopt;
}

TEST_F(AgentStateTest, AnAttemptRunningWhenTheAgentWasKilledIsStoppedAndReportedFailed) {
  SubreaperScope reaper;
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();
  ASSERT_NE(first, nullptr);
  tminus::testing::Fifo fifo;
  ASSERT_TRUE(first->Send(Sh("long", "echo $$ > " + fifo.path() + "; exec sleep 60")));
  ExpectAccepted(*first);
  const pid_t child = static_cast<pid_t>(std::stoi(fifo.ReadLine()));
  ASSERT_GT(child, 0);
  KillAtExit cleanup(child);
  // The shell leads the attempt's own process group; the record names it once known.
  ASSERT_TRUE(WaitForRecord("long", "pgid: " + std::to_string(child)));

  ASSERT_TRUE(agent_->Kill());
  ASSERT_EQ(kill(child, 0), 0) << "the attempt should outlive the killed agent";
  agent_.reset();
  StartAgent();
  std::shared_ptr<Session> second = Welcomed();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(KnownSteps(last_hello_), std::vector<std::string>{"long (finished)"});
  const v1::Result result = ExpectResult(*second);
  EXPECT_EQ(result.id().step_id(), "long");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code(), -1) << "no exit status";
  EXPECT_FALSE(result.redelivered());
  EXPECT_THAT(result.error(),
              HasSubstr("the agent restarted while this attempt ran, so its outcome is unknown"));
  EXPECT_THAT(result.error(), HasSubstr("process group " + std::to_string(child) +
                                        " was still running and has been killed"));

  // Stopped by the new agent before it connected: we reap it, as its reaper.
  const std::optional<int> status = WaitChild(child);
  ASSERT_TRUE(status.has_value()) << "the orphaned attempt is still running";
  cleanup.Release();  // reaped: the pid is no longer ours to signal
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
}

TEST_F(AgentStateTest, AnAcknowledgedDispatchSentAgainAfterARestartDoesNotRun) {
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();
  ASSERT_NE(first, nullptr);
  const std::string runs = dir_ + "/runs";
  const v1::CoordinatorMessage dispatch = Sh("migrate", "echo run >> " + runs);
  ASSERT_TRUE(first->Send(dispatch));
  ExpectAccepted(*first);
  ASSERT_TRUE(ExpectResult(*first).ok());
  ASSERT_TRUE(first->Send(AckOf("migrate")));
  ASSERT_TRUE(first->Send(Sh("sentinel", "true")));
  EXPECT_EQ(ExpectAccepted(*first).id().step_id(), "sentinel");  // the ack was handled
  EXPECT_EQ(ExpectResult(*first).id().step_id(), "sentinel");    // and its result is on disk
  EXPECT_EQ(AttemptFile("migrate"), "");

  KillAndRestart();
  std::shared_ptr<Session> second = Welcomed();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(KnownSteps(last_hello_), std::vector<std::string>{"sentinel (finished)"});
  EXPECT_EQ(ExpectResult(*second).id().step_id(), "sentinel");
  ASSERT_TRUE(second->Send(dispatch));
  const v1::Accepted accepted = ExpectAccepted(*second);
  EXPECT_EQ(accepted.id().step_id(), "migrate");
  EXPECT_TRUE(accepted.duplicate());
  ASSERT_TRUE(second->Send(Sh("after", "true")));
  EXPECT_EQ(ExpectAccepted(*second).id().step_id(), "after");
  EXPECT_EQ(ExpectResult(*second).id().step_id(), "after") << "no result for the duplicate";
  EXPECT_EQ(Lines(runs), std::vector<std::string>{"run"});
}

TEST_F(AgentStateTest, DamagedStateFilesAreMovedAsideAndTheAgentStarts) {
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Send(Sh("kept", "echo kept")));
  ExpectAccepted(*first);
  ASSERT_TRUE(ExpectResult(*first).ok());
  ASSERT_TRUE(agent_->Kill());
  agent_.reset();

  const std::string kept = AttemptFile("kept");
  ASSERT_NE(kept, "");
  const std::string record = ReadText(kept);
  const std::string garbage =
      "\x7f"
      "ELF" +
      std::string(3, '\0') + " not a state file";
  WriteText(Attempts() + "/garbage.attempt", garbage);
  WriteText(Attempts() + "/truncated.attempt", record.substr(0, record.size() / 2));
  std::string newer = record;
  newer.replace(newer.find("tminus-agent-state 1 "), 21, "tminus-agent-state 2 ");
  WriteText(Attempts() + "/newer.attempt", newer);
  WriteText(state_ + "/acknowledged", "tminus-agent-state 9 acknowledged\n");

  StartAgent();
  std::shared_ptr<Session> second = Welcomed();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(KnownSteps(last_hello_), std::vector<std::string>{"kept (finished)"});
  const v1::Result again = ExpectResult(*second);
  EXPECT_EQ(again.stdout_tail(), "kept\n");
  EXPECT_EQ(Names(state_ + "/damaged"),
            (std::vector<std::string>{"acknowledged", "garbage.attempt", "newer.attempt",
                                      "truncated.attempt"}));
  EXPECT_EQ(ReadText(state_ + "/damaged/garbage.attempt"), garbage) << "moved, not changed";
  EXPECT_EQ(Names(Attempts()), std::vector<std::string>{kept.substr(Attempts().size() + 1)});

  ASSERT_TRUE(second->Send(Sh("after", "true")));
  ExpectAccepted(*second);
  EXPECT_TRUE(ExpectResult(*second).ok());
}

TEST_F(AgentStateTest, ASecondAgentOnTheSameStateDirIsRefused) {
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();  // it has locked the directory by now
  ASSERT_NE(first, nullptr);

  AgentProcess second(Args(coordinator_.address()));
  EXPECT_EQ(second.WaitExit(Ms(kBound)), 2);
  EXPECT_THAT(second.Log(), HasSubstr("error: the state directory " + state_ +
                                      " is in use by another tminus-agent (PID " +
                                      std::to_string(agent_->pid()) + ")"));

  WriteText(dir_ + "/a-file", "");
  extra_args_ = {"--state-dir", dir_ + "/a-file"};
  AgentProcess not_a_dir(Args(coordinator_.address()));
  EXPECT_EQ(not_a_dir.WaitExit(Ms(kBound)), 2);
  EXPECT_THAT(not_a_dir.Log(), HasSubstr(dir_ + "/a-file is not a directory"));

  // The first one carries on.
  ASSERT_TRUE(first->Send(Sh("still-there", "true")));
  ExpectAccepted(*first);
  EXPECT_TRUE(ExpectResult(*first).ok());
}

TEST_F(AgentStateTest, WithoutAStateDirTheAgentSaysItKeepsNothing) {
  extra_args_.clear();
  StartAgent();
  ASSERT_NE(Welcomed(), nullptr);
  const std::string log = agent_->Log();
  const std::string note = "no --state-dir: attempts and results are kept in memory only";
  ASSERT_THAT(log, HasSubstr(note));
  EXPECT_EQ(log.find(note), log.rfind(note)) << "said once";
}

}  // namespace
}  // namespace tminus::agent
