#include "agent/link_stream.h"

#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tminus::agent {

absl::StatusOr<std::shared_ptr<LinkStream>> LinkStream::Open(std::shared_ptr<grpc::Channel> channel,
                                                             Callbacks callbacks) {
  std::shared_ptr<LinkStream> stream(new LinkStream(std::move(channel), std::move(callbacks)));
  try {
    stream->writer_ = std::thread(&LinkStream::WriteLoop, stream.get());
    stream->self_ = stream;
    stream->reader_ = std::thread(&LinkStream::ReadLoop, stream.get());
  } catch (const std::system_error& e) {
    stream->self_.reset();  // the destructor stops the writer, if it started
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start a thread for the stream: ", e.what()));
  }
  return stream;
}

LinkStream::LinkStream(std::shared_ptr<grpc::Channel> channel, Callbacks callbacks)
    : channel_(std::move(channel)),
      stub_(v1::AgentLink::NewStub(channel_)),
      callbacks_(std::move(callbacks)) {}

LinkStream::~LinkStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_writer_ = true;
    changed_.notify_all();
  }
  for (std::thread* thread : {&writer_, &reader_}) {
    if (!thread->joinable()) continue;
    if (thread->get_id() == std::this_thread::get_id()) {
      thread->detach();  // only if an owner broke the rule above; never join oneself
    } else {
      thread->join();
    }
  }
}

void LinkStream::Write(v1::AgentMessage message) {
  std::lock_guard<std::mutex> lock(mutex_);
  outgoing_ = std::move(message);
  writing_ = true;
  changed_.notify_all();
}

void LinkStream::Cancel() { context_.TryCancel(); }

void LinkStream::Release() {
  std::lock_guard<std::mutex> lock(mutex_);
  released_ = true;
  changed_.notify_all();
}

bool LinkStream::WaitDone(std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, bound, [this] { return done_; });
}

void LinkStream::WriteLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stop_writer_ || (opened_ && outgoing_.has_value()); });
    if (stop_writer_) return;
    v1::AgentMessage message = std::move(*outgoing_);
    outgoing_.reset();
    lock.unlock();
    const bool ok = stream_->Write(message);  // blocks while the peer is slow to read
    callbacks_.on_write_done(ok);
    lock.lock();
    writing_ = false;
    changed_.notify_all();
  }
}

void LinkStream::ReadLoop() {
  // Opening the call blocks until the connection is made or fails (a Cancel ends it).
  std::unique_ptr<Stream> stream = stub_->Connect(&context_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stream_ = std::move(stream);
    opened_ = true;
    changed_.notify_all();
  }
  v1::CoordinatorMessage message;
  while (stream_->Read(&message)) {
    callbacks_.on_message(std::move(message));
    message.Clear();
  }
  callbacks_.on_read_end();

  // Finish may not overlap a write: wait for the owner's release and the last write, then
  // stop the writer.
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return released_ && !writing_; });
    stop_writer_ = true;
    changed_.notify_all();
  }
  writer_.join();
  const grpc::Status status = stream_->Finish();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }
  // Nothing of this object is touched after the hand-over: the receiver may destroy it.
  auto on_done = callbacks_.on_done;
  on_done(status, std::move(self_));
}

}  // namespace tminus::agent
