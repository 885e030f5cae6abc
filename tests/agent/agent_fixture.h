// What the tests of the real tminus-agent binary share: messages as the coordinator sends
// them, expectations on what the agent sends back, and a fixture with an in-test
// coordinator, a scratch directory and the agent under test.
#pragma once

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/agent/agent_process.h"
#include "tests/agent/fake_coordinator.h"

namespace tminus::agent::testing {

inline v1::DispatchId Id(const std::string& step, uint32_t attempt = 1) {
  v1::DispatchId id;
  id.set_run_id("run-1");
  id.set_step_id(step);
  id.set_attempt(attempt);
  id.set_host("agent-a");
  return id;
}

inline v1::CoordinatorMessage Command(const std::string& step, std::vector<std::string> argv,
                                      uint32_t timeout_ms = 0) {
  v1::CoordinatorMessage message;
  v1::Dispatch& dispatch = *message.mutable_dispatch();
  *dispatch.mutable_id() = Id(step);
  dispatch.mutable_command();  // set, even with no arguments
  for (const std::string& arg : argv) dispatch.mutable_command()->add_argv(arg);
  dispatch.set_timeout_ms(timeout_ms);
  return message;
}

// A command run by /bin/sh -c (as argv, not as a `shell:` action).
inline v1::CoordinatorMessage Sh(const std::string& step, const std::string& script,
                                 uint32_t timeout_ms = 0) {
  return Command(step, {"/bin/sh", "-c", script}, timeout_ms);
}

inline v1::CoordinatorMessage CancelOf(const std::string& step) {
  v1::CoordinatorMessage message;
  *message.mutable_cancel()->mutable_id() = Id(step);
  message.mutable_cancel()->set_reason("the test cancels it");
  return message;
}

inline v1::CoordinatorMessage AckOf(const std::string& step) {
  v1::CoordinatorMessage message;
  *message.mutable_result_ack()->mutable_id() = Id(step);
  return message;
}

// The next message that is not a heartbeat, which must be of the kind asked for.
inline v1::AgentMessage Expect(Session& session, v1::AgentMessage::KindCase kind) {
  std::optional<v1::AgentMessage> message = session.NextSkippingHeartbeats();
  if (!message) {
    ADD_FAILURE() << "nothing from the agent within the bound (expected kind " << kind << ")";
    return {};
  }
  if (message->kind_case() != kind) {
    ADD_FAILURE() << "expected kind " << kind << ", got " << message->ShortDebugString();
  }
  return *message;
}

inline v1::Accepted ExpectAccepted(Session& session) {
  return Expect(session, v1::AgentMessage::kAccepted).accepted();
}
inline v1::Result ExpectResult(Session& session) {
  return Expect(session, v1::AgentMessage::kResult).result();
}

inline std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The steps of the attempts a Hello lists, in its order, with "(finished)" after those
// that hold a result.
inline std::vector<std::string> KnownSteps(const v1::Hello& hello) {
  std::vector<std::string> steps;
  for (const v1::KnownAttempt& known : hello.known_attempts()) {
    steps.push_back(known.id().step_id() + (known.finished() ? " (finished)" : ""));
  }
  return steps;
}

class AgentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(coordinator_.listening());
    char dir[] = "/tmp/tminus-agent-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    agent_.reset();
    const std::string command = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] const int rc = system(command.c_str());
  }

  // The agent's command line: plaintext to `address` as agent-a, then `extra_args_`.
  std::vector<std::string> Args(const std::string& address, int max_concurrent = 4) const {
    std::vector<std::string> args = {"--coordinator",
                                     address,
                                     "--insecure",
                                     "--id",
                                     "agent-a",
                                     "--label",
                                     "role=db",
                                     "--label",
                                     "site=dc-a",
                                     "--max-concurrent",
                                     std::to_string(max_concurrent)};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    return args;
  }
  void StartAgent(const std::string& address, int max_concurrent = 4) {
    agent_ = std::make_unique<AgentProcess>(Args(address, max_concurrent));
  }
  void StartAgent(int max_concurrent = 4) { StartAgent(coordinator_.address(), max_concurrent); }

  // The agent's next stream, past its Hello (kept in last_hello_) and our Welcome.
  std::shared_ptr<Session> Welcomed(FakeCoordinator& coordinator) {
    std::shared_ptr<Session> session = coordinator.NextSession();
    if (session == nullptr) {
      ADD_FAILURE() << "the agent did not connect";
      return nullptr;
    }
    std::optional<v1::AgentMessage> hello = session->Next();
    if (!hello || !hello->has_hello()) {
      ADD_FAILURE() << "the first message is not a Hello";
      return nullptr;
    }
    last_hello_ = hello->hello();
    session->SendWelcome();
    return session;
  }
  std::shared_ptr<Session> Welcomed() { return Welcomed(coordinator_); }

  FakeCoordinator coordinator_;
  std::string dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<AgentProcess> agent_;
  v1::Hello last_hello_;
};

}  // namespace tminus::agent::testing
