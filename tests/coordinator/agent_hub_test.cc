// The AgentLink service as agents see it: a real gRPC server on loopback and a real gRPC
// client stream per test agent.
#include "coordinator/agent_hub.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tminus {
namespace {

using namespace std::chrono_literals;

class Recorder : public AgentListener {
 public:
  void OnAgentConnected(const AgentInfo& agent, const std::vector<v1::KnownAttempt>& known) override {
    std::lock_guard<std::mutex> lock(mutex_);
    connected_.push_back(agent);
    known_count_ += static_cast<int>(known.size());
    changed_.notify_all();
  }
  void OnAgentAccepted(const std::string&, const v1::Accepted&) override {}
  void OnAgentResult(const std::string& agent, const v1::Result& result) override {
    std::lock_guard<std::mutex> lock(mutex_);
    results_.push_back(agent + ":" + result.id().step_id());
    changed_.notify_all();
  }
  void OnAgentLost(const std::string& agent, const std::string& why) override {
    std::lock_guard<std::mutex> lock(mutex_);
    lost_.push_back(agent + ": " + why);
    changed_.notify_all();
  }

  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return pred(); });
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<AgentInfo> connected_;
  int known_count_ = 0;
  std::vector<std::string> results_;
  std::vector<std::string> lost_;
};

class AgentHubTest : public ::testing::Test {
 protected:
  void StartHub(std::chrono::milliseconds heartbeat_timeout = 10s) {
    AgentHubOptions options;
    options.run_id = "run-1";
    options.heartbeat_interval = std::max(50ms, heartbeat_timeout / 5);
    options.heartbeat_timeout = heartbeat_timeout;
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
    hub_ = std::make_unique<AgentHub>(options);
    hub_->SetListener(&recorder_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(hub_->service());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    hub_->Start();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
    stub_ = v1::AgentLink::NewStub(channel_);
  }

  void TearDown() override {
    if (hub_) hub_->Shutdown();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + 2s);
  }

  struct Client {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CoordinatorMessage>> stream;
  };

  std::unique_ptr<Client> Open() {
    auto c = std::make_unique<Client>();
    c->context.set_deadline(std::chrono::system_clock::now() + 20s);
    c->stream = stub_->Connect(&c->context);
    return c;
  }

  static v1::AgentMessage Hello(const std::string& id, uint32_t version = 1) {
    v1::AgentMessage m;
    m.mutable_hello()->set_protocol_version(version);
    m.mutable_hello()->set_agent_id(id);
    (*m.mutable_hello()->mutable_labels())["site"] = "dc-a";
    m.mutable_hello()->set_max_concurrent(4);
    return m;
  }

  bool Logged(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mutex_);
    for (const std::string& l : log_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  Recorder recorder_;
  std::unique_ptr<AgentHub> hub_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(AgentHubTest, AHelloIsAnsweredWithAWelcomeAndTheListenerLearnsTheAgent) {
  StartHub();
  auto c = Open();
  v1::AgentMessage hello = Hello("agent-a");
  v1::KnownAttempt* known = hello.mutable_hello()->add_known_attempts();
  known->mutable_id()->set_step_id("copy");
  known->mutable_id()->set_attempt(1);
  ASSERT_TRUE(c->stream->Write(hello));
  v1::CoordinatorMessage welcome;
  ASSERT_TRUE(c->stream->Read(&welcome));
  ASSERT_TRUE(welcome.has_welcome());
  EXPECT_EQ(welcome.welcome().run_id(), "run-1");
  EXPECT_EQ(welcome.welcome().heartbeat_timeout_ms(), 10000u);
  ASSERT_TRUE(recorder_.WaitFor([&] { return recorder_.connected_.size() == 1; }));
  EXPECT_EQ(recorder_.connected_[0].id, "agent-a");
  EXPECT_EQ(recorder_.connected_[0].labels.at("site"), "dc-a");
  EXPECT_EQ(recorder_.known_count_, 1);
  EXPECT_EQ(hub_->ConnectedCount(), 1u);

  // What the hub sends reaches the agent; what the agent reports reaches the listener.
  v1::CoordinatorMessage cancel;
  cancel.mutable_cancel()->mutable_id()->set_step_id("copy");
  ASSERT_TRUE(hub_->Send("agent-a", cancel));
  v1::CoordinatorMessage got;
  do {
    ASSERT_TRUE(c->stream->Read(&got));
  } while (got.has_heartbeat());
  EXPECT_EQ(got.cancel().id().step_id(), "copy");
  v1::AgentMessage result;
  result.mutable_result()->mutable_id()->set_step_id("copy");
  ASSERT_TRUE(c->stream->Write(result));
  ASSERT_TRUE(recorder_.WaitFor([&] { return recorder_.results_.size() == 1; }));
  EXPECT_EQ(recorder_.results_[0], "agent-a:copy");
  EXPECT_FALSE(hub_->Send("nobody", cancel));
}

TEST_F(AgentHubTest, MatchingFindsTheConnectedAgentsWithEveryLabelOfTheSelector) {
  StartHub();
  auto a = Open();
  v1::AgentMessage hello_a = Hello("agent-a");
  (*hello_a.mutable_hello()->mutable_labels())["role"] = "db";
  ASSERT_TRUE(a->stream->Write(hello_a));
  auto b = Open();
  v1::AgentMessage hello_b = Hello("agent-b");
  (*hello_b.mutable_hello()->mutable_labels())["role"] = "web";
  ASSERT_TRUE(b->stream->Write(hello_b));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(a->stream->Read(&m));
  ASSERT_TRUE(b->stream->Read(&m));
  ASSERT_TRUE(recorder_.WaitFor([&] { return recorder_.connected_.size() == 2; }));

  using Ids = std::vector<std::string>;
  EXPECT_EQ(hub_->Matching({}), (Ids{"agent-a", "agent-b"}));
  EXPECT_EQ(hub_->Matching({{"site", "dc-a"}}), (Ids{"agent-a", "agent-b"}));
  EXPECT_EQ(hub_->Matching({{"site", "dc-a"}, {"role", "web"}}), (Ids{"agent-b"}));
  EXPECT_EQ(hub_->Matching({{"role", "db"}, {"site", "dc-b"}}), Ids{});
  EXPECT_EQ(hub_->Matching({{"rack", "7"}}), Ids{});

  // A disconnected agent matches nothing, even before it is given up for lost.
  b->context.TryCancel();
  for (int i = 0; i < 1000 && hub_->ConnectedCount() != 1; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(hub_->Matching({{"role", "web"}}), Ids{});
  EXPECT_EQ(hub_->Matching({{"site", "dc-a"}}), Ids{"agent-a"});
}

// Messages queued before the hub shuts down (the last ResultAcks of a run) reach the
// agent, in order, before its stream ends.
TEST_F(AgentHubTest, WhatWasSentBeforeShutdownIsDeliveredBeforeTheStreamEnds) {
  StartHub();
  auto c = Open();
  ASSERT_TRUE(c->stream->Write(Hello("agent-a")));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(c->stream->Read(&m));
  ASSERT_TRUE(recorder_.WaitFor([&] { return recorder_.connected_.size() == 1; }));
  for (int i = 0; i < 50; ++i) {
    v1::CoordinatorMessage ack;
    ack.mutable_result_ack()->mutable_id()->set_attempt(static_cast<uint32_t>(i));
    ASSERT_TRUE(hub_->Send("agent-a", ack));
  }
  hub_->Shutdown();
  int next = 0;
  while (c->stream->Read(&m)) {
    if (!m.has_result_ack()) continue;
    EXPECT_EQ(m.result_ack().id().attempt(), static_cast<uint32_t>(next));
    ++next;
  }
  EXPECT_EQ(next, 50);
  EXPECT_EQ(c->stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(hub_->Send("agent-a", m));
}

TEST_F(AgentHubTest, AnotherProtocolVersionIsRefusedWithTheReason) {
  StartHub();
  auto c = Open();
  ASSERT_TRUE(c->stream->Write(Hello("agent-a", 2)));
  c->stream->WritesDone();
  v1::CoordinatorMessage m;
  EXPECT_FALSE(c->stream->Read(&m));
  grpc::Status status = c->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("protocol version 1"), std::string::npos) << status.error_message();
  EXPECT_TRUE(Logged("refused agent 'agent-a'"));
}

TEST_F(AgentHubTest, AFirstMessageThatIsNotAHelloIsRefused) {
  StartHub();
  auto c = Open();
  v1::AgentMessage beat;
  beat.mutable_heartbeat()->set_running(1);
  ASSERT_TRUE(c->stream->Write(beat));
  c->stream->WritesDone();
  v1::CoordinatorMessage m;
  EXPECT_FALSE(c->stream->Read(&m));
  grpc::Status status = c->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(recorder_.connected_.empty());
}

TEST_F(AgentHubTest, ASecondLiveConnectionWithTheSameIdIsRefused) {
  StartHub();
  auto first = Open();
  ASSERT_TRUE(first->stream->Write(Hello("agent-a")));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(first->stream->Read(&m));
  auto second = Open();
  ASSERT_TRUE(second->stream->Write(Hello("agent-a")));
  second->stream->WritesDone();
  EXPECT_FALSE(second->stream->Read(&m));
  grpc::Status status = second->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("already connected"), std::string::npos);
  EXPECT_EQ(hub_->ConnectedCount(), 1u);
}

TEST_F(AgentHubTest, ASilentAgentIsLostAndItsStreamEnded) {
  StartHub(300ms);
  auto c = Open();
  ASSERT_TRUE(c->stream->Write(Hello("quiet")));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(c->stream->Read(&m));
  // Say nothing more: the hub gives the agent up after the timeout.
  ASSERT_TRUE(recorder_.WaitFor([&] { return !recorder_.lost_.empty(); }));
  EXPECT_NE(recorder_.lost_[0].find("quiet: nothing heard from it"), std::string::npos)
      << recorder_.lost_[0];
  while (c->stream->Read(&m)) {
  }
  // UNAVAILABLE, or CANCELLED when a heartbeat to it was still being written: a peer that
  // may not read is not waited for.
  const grpc::StatusCode code = c->stream->Finish().error_code();
  EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::CANCELLED) << code;
  EXPECT_EQ(hub_->ConnectedCount(), 0u);
}

TEST_F(AgentHubTest, AnAgentThatReconnectsWithinTheTimeoutIsNotLost) {
  StartHub(1500ms);
  {
    auto c = Open();
    ASSERT_TRUE(c->stream->Write(Hello("flaky")));
    v1::CoordinatorMessage m;
    ASSERT_TRUE(c->stream->Read(&m));
    c->context.TryCancel();  // the connection breaks
  }
  for (int i = 0; i < 1000 && hub_->ConnectedCount() != 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(hub_->ConnectedCount(), 0u);
  auto again = Open();
  ASSERT_TRUE(again->stream->Write(Hello("flaky")));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(again->stream->Read(&m));
  ASSERT_TRUE(m.has_welcome());
  // Keep talking past the first connection's timeout.
  for (int i = 0; i < 8; ++i) {
    v1::AgentMessage beat;
    beat.mutable_heartbeat();
    ASSERT_TRUE(again->stream->Write(beat));
    std::this_thread::sleep_for(250ms);
  }
  std::lock_guard<std::mutex> lock(recorder_.mutex_);
  EXPECT_TRUE(recorder_.lost_.empty());
  EXPECT_EQ(recorder_.connected_.size(), 2u);
}

}  // namespace
}  // namespace tminus
