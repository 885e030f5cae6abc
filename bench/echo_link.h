// The baseline link of tminus_bench_dispatch (bench/echo.proto): a bare gRPC
// bidirectional stream with nothing behind it. The coordinator's side is a callback-API
// server like the AgentLink hub; the far side dials it with the synchronous API like the
// agent, and answers each Ping straight from its reading thread, optionally after running
// `true` the way the agent runs it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace tminus::bench {

class EchoServer {
 public:
  // Listens on 127.0.0.1 on a free port.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      std::shared_ptr<grpc::ServerCredentials> credentials);
  ~EchoServer();

  int port() const { return port_; }
  // Waits at most `bound` for the far side's stream; true once it is up.
  bool WaitForPeer(std::chrono::milliseconds bound);
  // Sends a Ping of `ping_payload` bytes asking for `reply_payload` bytes back (after
  // running `true` on the far side when `run_true`), and waits (on the calling thread, as
  // the engine's strand waits for a result) for the Reply. The round trip, or nothing when
  // the stream broke or `bound` passed.
  std::optional<std::chrono::steady_clock::duration> RoundTrip(size_t ping_payload,
                                                               size_t reply_payload, bool run_true,
                                                               std::chrono::milliseconds bound);
  // The serialized size of a Ping and of a Reply with these payloads.
  static size_t PingSize(size_t payload);
  static size_t ReplySize(size_t payload);

  class Stream;  // the one stream (echo_link.cc)

 private:
  class Service;
  EchoServer() = default;

  friend class Stream;
  void Opened(Stream* stream);
  void Answered(uint64_t seq);
  void Closed(Stream* stream);

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  Stream* stream_ = nullptr;
  uint64_t next_seq_ = 1;
  uint64_t answered_ = 0;  // the last seq answered
};

// The far side: dials `address`, opens the stream and answers every Ping until the server
// ends it (running `true` first through a LocalExecutor, the agent's executor, when the
// Ping asks). Returns how it ended.
grpc::Status RunEchoFarSide(const std::string& address,
                            std::shared_ptr<grpc::ChannelCredentials> credentials);

}  // namespace tminus::bench
