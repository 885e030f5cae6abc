#include "bench/echo_link.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "echo.grpc.pb.h"  // generated from bench/echo.proto
#include "engine/executors/local_executor.h"
#include "net/link_args.h"

namespace tminus::bench {

// The far side's stream. It sends one Ping at a time: RoundTrip waits for the previous
// write to complete before it starts the next (outside the time it measures).
class EchoServer::Stream : public grpc::ServerBidiReactor<Reply, Ping> {
 public:
  explicit Stream(EchoServer* owner) : owner_(owner) { StartRead(&in_); }

  void Send(Ping ping) {
    out_ = std::move(ping);
    StartWrite(&out_);
  }

  // Ends the call once, whoever asks first: the far side closing, or the server going.
  void End() {
    {
      std::lock_guard<std::mutex> lock(owner_->mutex_);
      if (ended_) return;
      ended_ = true;
    }
    Finish(grpc::Status::OK);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      owner_->Closed(this);
      End();
      return;
    }
    if (!opened_) {
      opened_ = true;
      owner_->Opened(this);
    } else {
      owner_->Answered(in_.seq());
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(owner_->mutex_);
    writing_ = false;
    owner_->changed_.notify_all();
  }

  void OnDone() override {}  // EchoServer owns and deletes the stream

 private:
  friend class EchoServer;
  EchoServer* const owner_;
  Reply in_;
  Ping out_;
  bool opened_ = false;  // the first Reply (the far side's hello) came
  bool writing_ = false;  // guarded by owner_->mutex_
  bool ended_ = false;    // guarded by owner_->mutex_
};

class EchoServer::Service : public EchoLink::CallbackService {
 public:
  explicit Service(EchoServer* owner) : owner_(owner) {}
  grpc::ServerBidiReactor<Reply, Ping>* Connect(grpc::CallbackServerContext*) override {
    auto stream = std::make_unique<Stream>(owner_);
    Stream* raw = stream.get();
    std::lock_guard<std::mutex> lock(mutex_);
    streams_.push_back(std::move(stream));
    return raw;
  }

 private:
  EchoServer* const owner_;
  std::mutex mutex_;
  // Reactors live until the server is gone (a reactor must outlive its OnDone).
  std::vector<std::unique_ptr<Stream>> streams_;
};

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  std::unique_ptr<EchoServer> server(new EchoServer());
  server->service_ = std::make_unique<Service>(server.get());
  grpc::ServerBuilder builder;
  net::ConfigureAgentLinkServer(builder);  // as the coordinator's server
  builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError("the echo server cannot listen on 127.0.0.1");
  }
  return server;
}

EchoServer::~EchoServer() {
  // End the far side's stream first: the server's shutdown would otherwise wait out its
  // deadline for a call the far side keeps open.
  // Its last Ping's write is let finish first, as the hub does before it finishes a stream.
  Stream* stream = nullptr;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(2),
                      [this] { return stream_ == nullptr || !stream_->writing_; });
    stream = stream_;
  }
  if (stream != nullptr) stream->End();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  server_.reset();
  service_.reset();
}

void EchoServer::Opened(Stream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  stream_ = stream;
  changed_.notify_all();
}

void EchoServer::Answered(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  answered_ = seq;
  changed_.notify_all();
}

void EchoServer::Closed(Stream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream_ == stream) stream_ = nullptr;
  changed_.notify_all();
}

bool EchoServer::WaitForPeer(std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, bound, [this] { return stream_ != nullptr; });
}

std::optional<std::chrono::steady_clock::duration> EchoServer::RoundTrip(
    size_t ping_payload, size_t reply_payload, bool run_true, std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, bound,
                         [this] { return stream_ == nullptr || !stream_->writing_; }) ||
      stream_ == nullptr) {
    return std::nullopt;
  }
  Ping ping;
  const uint64_t seq = next_seq_++;
  ping.set_seq(seq);
  ping.set_reply_bytes(static_cast<uint32_t>(reply_payload));
  ping.mutable_payload()->assign(ping_payload, 'p');
  ping.set_run_true(run_true);
  Stream* stream = stream_;
  stream->writing_ = true;
  lock.unlock();

  // Not under the lock: gRPC may run OnWriteDone inline, and it takes the lock.
  const auto start = std::chrono::steady_clock::now();
  stream->Send(std::move(ping));
  lock.lock();
  if (!changed_.wait_for(lock, bound,
                         [this, seq] { return answered_ >= seq || stream_ == nullptr; }) ||
      answered_ < seq) {
    return std::nullopt;
  }
  return std::chrono::steady_clock::now() - start;
}

size_t EchoServer::PingSize(size_t payload) {
  Ping ping;
  ping.set_seq(1000);
  ping.set_reply_bytes(100);
  ping.mutable_payload()->assign(payload, 'p');
  return ping.ByteSizeLong();
}

size_t EchoServer::ReplySize(size_t payload) {
  Reply reply;
  reply.set_seq(1000);
  reply.mutable_payload()->assign(payload, 'r');
  return reply.ByteSizeLong();
}

grpc::Status RunEchoFarSide(const std::string& address,
                            std::shared_ptr<grpc::ChannelCredentials> credentials) {
  // The agent's channel arguments, so both links dial alike.
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(address, std::move(credentials), net::AgentChannelArguments());
  std::unique_ptr<EchoLink::Stub> stub = EchoLink::NewStub(channel);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<Reply, Ping>> stream = stub->Connect(&context);
  LocalExecutor executor;
  std::mutex mutex;
  std::condition_variable done_cv;
  Reply reply;
  if (stream->Write(reply)) {
    Ping ping;
    while (stream->Read(&ping)) {
      if (ping.run_true()) {
        ActionRequest request;
        request.dispatch_id = "true#" + std::to_string(ping.seq());
        request.argv = {"true"};
        bool done = false;
        executor.Start(request, [&](ActionResult) {
          std::lock_guard<std::mutex> lock(mutex);
          done = true;
          done_cv.notify_all();
        });
        std::unique_lock<std::mutex> lock(mutex);
        done_cv.wait(lock, [&done] { return done; });
      }
      reply.set_seq(ping.seq());
      reply.mutable_payload()->assign(ping.reply_bytes(), 'r');
      if (!stream->Write(reply)) break;
    }
  }
  stream->WritesDone();
  return stream->Finish();
}

}  // namespace tminus::bench
