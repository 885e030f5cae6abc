// One AgentLink.Connect stream, on gRPC's synchronous API with two threads of its own: a
// reader (it opens the call, which can block until the connection is made or fails,
// reads, and finishes the call) and a writer (one message at a time). So nothing here
// blocks the owner's strand, and an idle stream sleeps in the kernel: gRPC 1.51's callback
// API would instead keep threads that poll its completion queue every second.
//
// The owner (AgentLink) hears from the stream through callbacks that run on these
// threads and must only post to its strand. It writes again only after `on_write_done`,
// releases the stream once reading has ended (after which it writes no more), and gets
// the stream's last reference back in `on_done`, so that the stream, its threads and its
// channel are destroyed on the strand, never on a thread of their own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/sync_stream.h>

#include "tminus/v1/agent.grpc.pb.h"

#include "absl/status/statusor.h"

namespace tminus::agent {

class LinkStream {
 public:
  struct Callbacks {
    std::function<void(v1::CoordinatorMessage)> on_message;
    // Nothing more will arrive: the coordinator ended the stream or it broke.
    std::function<void()> on_read_end;
    // The last Write completed; `ok` is false when the stream broke first.
    std::function<void(bool ok)> on_write_done;
    // The call is over (after Release); the last callback. It receives the stream's last
    // reference to itself, to be dropped on the owner's strand.
    std::function<void(const grpc::Status&, std::shared_ptr<LinkStream> self)> on_done;
  };

  // Starts opening the call on `channel` (the stream keeps the channel while it lasts).
  // Fails only when its threads cannot be started.
  static absl::StatusOr<std::shared_ptr<LinkStream>> Open(std::shared_ptr<grpc::Channel> channel,
                                                          Callbacks callbacks);
  // Joins the stream's threads; the call must be over (on_done called).
  ~LinkStream();

  LinkStream(const LinkStream&) = delete;
  LinkStream& operator=(const LinkStream&) = delete;

  // Queues `message` for the writer. Only after the previous write's `on_write_done`, and
  // only before Release().
  void Write(v1::AgentMessage message);
  // Ends the call as soon as possible (pending reads and writes fail). Any thread, any
  // time.
  void Cancel();
  // Lets the call finish once reading has ended and the last write is done; call exactly
  // once, after which Write must not be called.
  void Release();
  // Waits for at most `bound` until the call is over. True when it is.
  bool WaitDone(std::chrono::milliseconds bound);

 private:
  using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::CoordinatorMessage>;

  LinkStream(std::shared_ptr<grpc::Channel> channel, Callbacks callbacks);
  void ReadLoop();
  void WriteLoop();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  Callbacks callbacks_;
  grpc::ClientContext context_;
  std::unique_ptr<Stream> stream_;  // set by the reader once the call exists
  // Keeps the stream alive until the reader hands it to `on_done`.
  std::shared_ptr<LinkStream> self_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool opened_ = false;    // stream_ is set
  bool released_ = false;  // Release() was called
  bool writing_ = false;   // a write is queued or in progress
  bool stop_writer_ = false;
  bool done_ = false;
  std::optional<v1::AgentMessage> outgoing_;

  std::thread writer_;
  std::thread reader_;
};

}  // namespace tminus::agent
