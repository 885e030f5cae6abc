// The real tminus-agent binary against an in-test coordinator (FakeCoordinator): what it
// says in its Hello, how it runs, times out, cancels and queues attempts, how it
// de-duplicates dispatches, what it keeps across a reconnect, how it comes back after the
// coordinator was away or fell silent, and how it stops.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/agent/agent_fixture.h"
#include "tests/executors/process_test_util.h"

namespace tminus::agent {
namespace {

using testing::AckOf;
using testing::AgentProcess;
using testing::CancelOf;
using testing::Command;
using testing::ExpectAccepted;
using testing::ExpectResult;
using testing::FakeCoordinator;
using testing::Id;
using testing::kBound;
using testing::Lines;
using testing::Session;
using testing::Sh;
using Ms = std::chrono::milliseconds;

class AgentProcessTest : public testing::AgentFixture {};

TEST_F(AgentProcessTest, HelloIntroducesTheAgent) {
  StartAgent(3);
  std::shared_ptr<Session> session = coordinator_.NextSession();
  ASSERT_NE(session, nullptr);
  std::optional<v1::AgentMessage> first = session->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_hello()) << first->ShortDebugString();
  const v1::Hello& hello = first->hello();
  EXPECT_EQ(hello.protocol_version(), 1u);
  EXPECT_EQ(hello.agent_id(), "agent-a");
  EXPECT_EQ(hello.labels().size(), 2);
  EXPECT_EQ(hello.labels().at("role"), "db");
  EXPECT_EQ(hello.labels().at("site"), "dc-a");
  EXPECT_FALSE(hello.version().empty());
  const std::vector<std::string> capabilities(hello.capabilities().begin(),
                                              hello.capabilities().end());
  EXPECT_EQ(capabilities,
            (std::vector<std::string>{"command", "shell", "probe.tcp", "probe.http", "probe.dns"}));
  EXPECT_EQ(hello.max_concurrent(), 3u);
  EXPECT_EQ(hello.known_attempts_size(), 0);
}

TEST_F(AgentProcessTest, ACommandRunsAndItsResultComesBack) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  v1::CoordinatorMessage message = Sh("copy-data", "echo out $TOKEN; echo err >&2; exit 3");
  v1::EnvVar* env = message.mutable_dispatch()->add_env();
  env->set_name("TOKEN");
  env->set_value("s3cret");
  message.mutable_dispatch()->add_redact("s3cret");
  message.mutable_dispatch()->set_expect_exit_code(3);
  ASSERT_TRUE(session->Send(message));

  const v1::Accepted accepted = ExpectAccepted(*session);
  EXPECT_EQ(accepted.id().step_id(), "copy-data");
  EXPECT_FALSE(accepted.duplicate());
  EXPECT_GT(accepted.started_unix_ms(), 0);
  const v1::Result result = ExpectResult(*session);
  EXPECT_EQ(result.id().step_id(), "copy-data");
  EXPECT_EQ(result.id().run_id(), "run-1");
  EXPECT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.exit_code(), 3);
  EXPECT_EQ(result.stdout_tail(), "out ***\n");
  EXPECT_EQ(result.stderr_tail(), "err\n");
  EXPECT_FALSE(result.timed_out());
  EXPECT_FALSE(result.cancelled());
  EXPECT_FALSE(result.redelivered());
  EXPECT_GE(result.finished_unix_ms(), accepted.started_unix_ms());
}

TEST_F(AgentProcessTest, AnUnexpectedExitCodeFailsWithTheReason) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send(Sh("check", "exit 4")));
  ExpectAccepted(*session);
  const v1::Result result = ExpectResult(*session);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code(), 4);
  EXPECT_EQ(result.error(), "exit code 4, expected 0");
}

TEST_F(AgentProcessTest, ATimeoutKillsTheAttempt) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send(Command("slow", {"sleep", "30"}, 300)));
  ExpectAccepted(*session);
  const v1::Result result = ExpectResult(*session);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.timed_out());
  EXPECT_FALSE(result.cancelled());
  EXPECT_EQ(result.exit_code(), -1);
  EXPECT_LT(result.duration_ms(), 10'000u);
}

TEST_F(AgentProcessTest, ACancelStopsTheAttempt) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send(Command("slow", {"sleep", "30"})));
  ExpectAccepted(*session);
  ASSERT_TRUE(session->Send(CancelOf("slow")));
  const v1::Result result = ExpectResult(*session);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.cancelled());
  EXPECT_FALSE(result.timed_out());
  EXPECT_LT(result.duration_ms(), 10'000u);
}

TEST_F(AgentProcessTest, TcpProbesRunFromTheAgent) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  tminus::testing::Listener listener;
  v1::CoordinatorMessage open;
  *open.mutable_dispatch()->mutable_id() = Id("db-port-open");
  open.mutable_dispatch()->mutable_probe()->mutable_tcp()->set_address(listener.address());
  open.mutable_dispatch()->set_timeout_ms(5000);
  ASSERT_TRUE(session->Send(open));
  ExpectAccepted(*session);
  v1::Result result = ExpectResult(*session);
  EXPECT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.exit_code(), -1);

  v1::CoordinatorMessage closed = open;
  *closed.mutable_dispatch()->mutable_id() = Id("closed-port");
  closed.mutable_dispatch()->mutable_probe()->mutable_tcp()->set_address(
      "127.0.0.1:" + std::to_string(tminus::testing::ClosedPort()));
  ASSERT_TRUE(session->Send(closed));
  ExpectAccepted(*session);
  result = ExpectResult(*session);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.error().empty());
}

TEST_F(AgentProcessTest, TheConcurrencyLimitQueuesTheThirdDispatch) {
  StartAgent(2);
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  const std::string log = dir_ + "/order";
  for (const char* step : {"a", "b", "c"}) {
    ASSERT_TRUE(session->Send(Sh(step, std::string("echo start ") + step + " >> " + log +
                                           "; sleep 0.4; echo end " + step + " >> " + log)));
  }
  const v1::Accepted a = ExpectAccepted(*session);
  const v1::Accepted b = ExpectAccepted(*session);
  const v1::Accepted c = ExpectAccepted(*session);
  EXPECT_GT(a.started_unix_ms(), 0);
  EXPECT_GT(b.started_unix_ms(), 0);
  EXPECT_EQ(c.id().step_id(), "c");
  EXPECT_EQ(c.started_unix_ms(), 0) << "the third waits in the queue";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ExpectResult(*session).ok());

  const std::vector<std::string> lines = Lines(log);
  ASSERT_EQ(lines.size(), 6u);
  const auto start_c = std::find(lines.begin(), lines.end(), "start c");
  ASSERT_NE(start_c, lines.end());
  const bool one_ended_first = std::find(lines.begin(), start_c, "end a") != start_c ||
                               std::find(lines.begin(), start_c, "end b") != start_c;
  EXPECT_TRUE(one_ended_first) << "c started while a and b both ran";
}

TEST_F(AgentProcessTest, ADispatchSentAgainRunsOnce) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  const std::string runs = dir_ + "/runs";
  const v1::CoordinatorMessage dispatch = Sh("migrate", "echo run >> " + runs + "; sleep 0.2");
  ASSERT_TRUE(session->Send(dispatch));
  ASSERT_TRUE(session->Send(dispatch));  // while it runs
  const v1::Accepted first = ExpectAccepted(*session);
  const v1::Accepted second = ExpectAccepted(*session);
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.started_unix_ms(), first.started_unix_ms());
  EXPECT_TRUE(ExpectResult(*session).ok());

  ASSERT_TRUE(session->Send(dispatch));  // finished, not yet acknowledged
  EXPECT_TRUE(ExpectAccepted(*session).duplicate());
  ASSERT_TRUE(session->Send(AckOf("migrate")));
  ASSERT_TRUE(session->Send(dispatch));  // acknowledged and forgotten, still recognised
  EXPECT_TRUE(ExpectAccepted(*session).duplicate());

  // Everything sent before this one has been handled once it is accepted.
  ASSERT_TRUE(session->Send(Sh("sentinel", "true")));
  const v1::Accepted sentinel = ExpectAccepted(*session);
  EXPECT_EQ(sentinel.id().step_id(), "sentinel");
  const v1::Result result = ExpectResult(*session);
  EXPECT_EQ(result.id().step_id(), "sentinel") << "no second result for the duplicate";
  EXPECT_EQ(Lines(runs), std::vector<std::string>{"run"});
}

TEST_F(AgentProcessTest, AnInvalidDispatchFailsAndTheAgentCarriesOn) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send(Command("broken", {})));
  EXPECT_FALSE(ExpectAccepted(*session).duplicate());
  const v1::Result broken = ExpectResult(*session);
  EXPECT_FALSE(broken.ok());
  EXPECT_EQ(broken.exit_code(), -1);
  EXPECT_NE(broken.error().find("argv is empty"), std::string::npos) << broken.error();

  ASSERT_TRUE(session->Send(Command("fine", {"true"})));
  ExpectAccepted(*session);
  EXPECT_TRUE(ExpectResult(*session).ok());
}

TEST_F(AgentProcessTest, AfterAReconnectResultsAreRedeliveredUntilAcknowledged) {
  StartAgent();
  std::shared_ptr<Session> first = Welcomed();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Send(Sh("done-before", "echo done")));
  ExpectAccepted(*first);
  const v1::Result original = ExpectResult(*first);
  EXPECT_FALSE(original.redelivered());
  ASSERT_TRUE(first->Send(Sh("still-running", "sleep 1.5; echo late")));
  ExpectAccepted(*first);
  first->Drop();  // neither result acknowledged

  std::shared_ptr<Session> second = Welcomed();
  ASSERT_NE(second, nullptr);
  std::vector<std::string> known;
  bool done_before_finished = false;
  for (const v1::KnownAttempt& attempt : last_hello_.known_attempts()) {
    known.push_back(attempt.id().step_id());
    if (attempt.id().step_id() == "done-before") done_before_finished = attempt.finished();
  }
  std::sort(known.begin(), known.end());
  EXPECT_EQ(known, (std::vector<std::string>{"done-before", "still-running"}));
  EXPECT_TRUE(done_before_finished);

  const v1::Result again = ExpectResult(*second);
  EXPECT_EQ(again.id().step_id(), "done-before");
  EXPECT_TRUE(again.redelivered());
  EXPECT_EQ(again.stdout_tail(), "done\n");
  EXPECT_EQ(again.finished_unix_ms(), original.finished_unix_ms());
  const v1::Result late = ExpectResult(*second);
  EXPECT_EQ(late.id().step_id(), "still-running");
  EXPECT_TRUE(late.ok());
  EXPECT_EQ(late.stdout_tail(), "late\n");
  ASSERT_TRUE(second->Send(AckOf("done-before")));
  ASSERT_TRUE(second->Send(AckOf("still-running")));
  ASSERT_TRUE(second->Send(Sh("unacknowledged", "true")));
  ExpectAccepted(*second);  // so the acknowledgements sent before it have been handled
  second->Drop();

  // Acknowledged attempts are forgotten; the other one's result comes first after the
  // Welcome (whether or not the dropped stream carried it), and nothing else does.
  std::shared_ptr<Session> third = Welcomed();
  ASSERT_NE(third, nullptr);
  ASSERT_EQ(last_hello_.known_attempts_size(), 1);
  EXPECT_EQ(last_hello_.known_attempts(0).id().step_id(), "unacknowledged");
  const v1::Result unacknowledged = ExpectResult(*third);
  EXPECT_EQ(unacknowledged.id().step_id(), "unacknowledged");
  ASSERT_TRUE(third->Send(AckOf("unacknowledged")));
  ASSERT_TRUE(third->Send(Sh("sentinel", "true")));
  EXPECT_EQ(ExpectAccepted(*third).id().step_id(), "sentinel");
  EXPECT_EQ(ExpectResult(*third).id().step_id(), "sentinel");
}

TEST_F(AgentProcessTest, TheAgentComesBackAfterTheCoordinatorWasAway) {
  // Nothing but a socket that hangs up listens at first: every dial the agent makes is
  // one accepted connection, so the test sees it back off and retry without a clock.
  tminus::testing::Listener refuser;
  const int port = refuser.port();
  StartAgent(refuser.address());
  for (int dial = 0; dial < 3; ++dial) {
    pollfd p{refuser.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, static_cast<int>(Ms(kBound).count())), 1) << "dial " << dial;
    const int connection = accept(refuser.fd(), nullptr, nullptr);
    ASSERT_GE(connection, 0);
    // A reset, not a close: no TIME_WAIT is left to keep the coordinator off the port.
    const linger reset{1, 0};
    setsockopt(connection, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    close(connection);
  }
  refuser.Close();

  FakeCoordinator later(port);
  ASSERT_TRUE(later.listening());
  std::shared_ptr<Session> session = Welcomed(later);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(last_hello_.agent_id(), "agent-a");
  ASSERT_TRUE(session->Send(Command("after", {"true"})));
  ExpectAccepted(*session);
  EXPECT_TRUE(ExpectResult(*session).ok());

  // The coordinator goes away and comes back on the same port.
  later.Shutdown();
  FakeCoordinator again(port);
  ASSERT_TRUE(again.listening());
  std::shared_ptr<Session> back = Welcomed(again);
  ASSERT_NE(back, nullptr);
  ASSERT_EQ(last_hello_.known_attempts_size(), 1) << "the unacknowledged result";
  const v1::Result redelivered = ExpectResult(*back);
  EXPECT_EQ(redelivered.id().step_id(), "after");
  EXPECT_TRUE(redelivered.redelivered());
}

TEST_F(AgentProcessTest, ASilentCoordinatorIsTreatedAsGone) {
  StartAgent();
  std::shared_ptr<Session> session = coordinator_.NextSession();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Next().has_value());  // Hello
  ASSERT_TRUE(session->SendWelcome(100, 1000));
  // The test never answers: the agent sends heartbeats, then gives up on the stream.
  int heartbeats = 0;
  while (std::optional<v1::AgentMessage> message = session->Next()) {
    ASSERT_TRUE(message->has_heartbeat()) << message->ShortDebugString();
    EXPECT_GT(message->heartbeat().sent_unix_ms(), 0);
    EXPECT_EQ(message->heartbeat().running(), 0u);
    EXPECT_EQ(message->heartbeat().queued(), 0u);
    ++heartbeats;
  }
  EXPECT_GT(heartbeats, 0);
  EXPECT_TRUE(session->WaitEnded());
  // And dials again.
  EXPECT_NE(coordinator_.NextSession(), nullptr);
}

TEST_F(AgentProcessTest, SigtermStopsRunningAttemptsAndExitsZero) {
  StartAgent();
  std::shared_ptr<Session> session = Welcomed();
  ASSERT_NE(session, nullptr);
  tminus::testing::Fifo fifo;
  ASSERT_TRUE(session->Send(Sh("long", "echo $$ > " + fifo.path() + "; exec sleep 30")));
  ExpectAccepted(*session);
  const pid_t child = static_cast<pid_t>(std::stoi(fifo.ReadLine()));
  ASSERT_GT(child, 0);
  EXPECT_EQ(agent_->Terminate(Ms(kBound)), 0);
  EXPECT_EQ(kill(child, 0), -1) << "the attempt outlived the agent";
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(session->WaitEnded());
}

TEST(AgentCommandLineTest, BadFlagsExitWithTheUsageCode) {
  const std::vector<std::vector<std::string>> cases = {
      {"--coordinator", "10.0.0.1:7000", "--insecure", "--id", "a"},
      {"--coordinator", "127.0.0.1:7000", "--insecure", "--id", "a", "--label", "role"},
      {"--coordinator", "127.0.0.1:7000", "--insecure"},
      {"--coordinator", "127.0.0.1:7000", "--id", "a"},
      {"--insecure", "--id", "a"},
      {"--coordinator", "127.0.0.1:7000", "--insecure", "--id", "a", "--max-concurrent", "x"},
  };
  for (const std::vector<std::string>& args : cases) {
    AgentProcess agent(args);
    EXPECT_EQ(agent.WaitExit(Ms(kBound)), 2) << args[0] << " " << args[1] << " ...";
  }
}

}  // namespace
}  // namespace tminus::agent
