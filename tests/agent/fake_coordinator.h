// The coordinator's side of AgentLink, for tests that run the real agent binary: a gRPC
// server on 127.0.0.1 (port 0, or a given port to come back on) where each Connect becomes
// a Session the test reads from and writes to. Every wait is bounded, so a test that goes
// wrong fails instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tminus/v1/agent.grpc.pb.h"

namespace tminus::agent::testing {

// How long a test waits for anything before it fails: generous, never a synchronisation.
constexpr std::chrono::seconds kBound{20};

// One stream from the agent.
class Session {
 public:
  using Stream = grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>;

  Session(grpc::ServerContext* context, Stream* stream) : context_(context), stream_(stream) {}

  // The next message from the agent; nullopt when the stream ended or after `bound`.
  std::optional<v1::AgentMessage> Next(std::chrono::milliseconds bound = kBound) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, bound, [this] { return !inbox_.empty() || ended_; });
    if (inbox_.empty()) return std::nullopt;
    v1::AgentMessage message = std::move(inbox_.front());
    inbox_.pop_front();
    return message;
  }

  // The next message that is not a Heartbeat.
  std::optional<v1::AgentMessage> NextSkippingHeartbeats() {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (std::chrono::steady_clock::now() < until) {
      std::optional<v1::AgentMessage> message =
          Next(std::chrono::duration_cast<std::chrono::milliseconds>(
              until - std::chrono::steady_clock::now()));
      if (!message || !message->has_heartbeat()) return message;
    }
    return std::nullopt;
  }

  // Sends to the agent; false once the stream has ended.
  bool Send(const v1::CoordinatorMessage& message) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (write_closed_) return false;
    return stream_->Write(message);
  }

  bool SendWelcome(uint32_t heartbeat_interval_ms = 1000, uint32_t heartbeat_timeout_ms = 10000) {
    v1::CoordinatorMessage message;
    v1::Welcome& welcome = *message.mutable_welcome();
    welcome.set_coordinator_id("test-coordinator");
    welcome.set_run_id("run-1");
    welcome.set_heartbeat_interval_ms(heartbeat_interval_ms);
    welcome.set_heartbeat_timeout_ms(heartbeat_timeout_ms);
    return Send(message);
  }

  // Ends the stream from the coordinator's side (nothing once it has ended).
  void Drop() {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (!write_closed_) context_->TryCancel();
  }

  // True once the stream has ended (within `bound`).
  bool WaitEnded(std::chrono::milliseconds bound = kBound) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, bound, [this] { return ended_; });
  }

  // For the server's handler.
  void Serve() {
    v1::AgentMessage message;
    while (stream_->Read(&message)) {
      std::lock_guard<std::mutex> lock(mutex_);
      inbox_.push_back(std::move(message));
      message.Clear();
      changed_.notify_all();
    }
    {
      std::lock_guard<std::mutex> lock(write_mutex_);  // no write in progress after this
      write_closed_ = true;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
    changed_.notify_all();
  }

 private:
  grpc::ServerContext* context_;
  Stream* stream_;
  std::mutex write_mutex_;
  bool write_closed_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<v1::AgentMessage> inbox_;
  bool ended_ = false;
};

class FakeCoordinator final : public v1::AgentLink::Service {
 public:
  // Listens on 127.0.0.1:`port` (0: any free port).
  explicit FakeCoordinator(int port = 0) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeCoordinator() override { Shutdown(); }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool listening() const { return server_ != nullptr && port_ > 0; }

  // The next stream the agent opens; nullptr after `bound`.
  std::shared_ptr<Session> NextSession(std::chrono::milliseconds bound = kBound) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, bound, [this] { return !sessions_.empty(); });
    if (sessions_.empty()) return nullptr;
    std::shared_ptr<Session> session = sessions_.front();
    sessions_.pop_front();
    return session;
  }

  // Ends every stream and stops listening.
  void Shutdown() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }

  grpc::Status Connect(grpc::ServerContext* context, Session::Stream* stream) override {
    auto session = std::make_shared<Session>(context, stream);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sessions_.push_back(session);
      changed_.notify_all();
    }
    session->Serve();
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the test coordinator ended the stream");
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Session>> sessions_;
};

}  // namespace tminus::agent::testing
