// The write side of a gRPC callback stream, which allows one write in flight: messages
// queue in order, each starts when the one before is done, and an end waits for what was
// queued before it. Decisions are taken under a lock and returned as an Action for the
// reactor to carry out outside it (gRPC may run reactions inline from StartWrite/Finish).
// Used by the agents' streams (coordinator/agent_hub.cc) and the control API's watchers.
#pragma once

#include <grpcpp/grpcpp.h>

#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace tminus::net {

template <typename Message>
class OrderedWrites {
 public:
  // Start writing `write`, or finish the stream with `finish`, or nothing.
  struct Action {
    const Message* write = nullptr;
    std::optional<grpc::Status> finish;
    // End(): the end waits for a write in flight (the caller may cancel it).
    bool waiting = false;
  };

  // Carries `action` out on `reactor` (a gRPC server reactor writing Messages), outside
  // any lock.
  template <typename Reactor>
  static void Apply(Reactor* reactor, const Action& action) {
    if (action.write != nullptr) {
      reactor->StartWrite(action.write);
    } else if (action.finish) {
      reactor->Finish(*action.finish);
    }
  }

  // Queues `message`; false once the stream is ending (it is dropped).
  bool Push(Message message, Action* action) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ending_) return false;
    queue_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      action->write = &queue_.front();
    }
    return true;
  }

  // Messages queued, the one being written included.
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

  // Ends the stream with `status` once what is queued is written; with `drop_queued`, only
  // the write in flight is waited for. Nothing to do when it is ending already.
  Action End(grpc::Status status, bool drop_queued = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    Action action;
    if (ending_) return action;
    ending_ = true;
    if (drop_queued) queue_.resize(writing_ ? 1 : 0);
    if (writing_) {
      finish_ = std::move(status);
      action.waiting = true;
    } else {
      action.finish = std::move(status);
    }
    return action;
  }

  // The write in flight is done (`ok` false: the stream is broken or cancelled, and
  // nothing more goes out).
  Action WriteDone(bool ok) {
    std::lock_guard<std::mutex> lock(mutex_);
    Action action;
    queue_.pop_front();
    writing_ = false;
    if (!ok) queue_.clear();
    if (!queue_.empty()) {
      writing_ = true;
      action.write = &queue_.front();
    } else if (finish_) {
      action.finish = std::move(finish_);
      finish_.reset();
    }
    return action;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Message> queue_;  // front is being written while writing_
  bool writing_ = false;
  bool ending_ = false;
  std::optional<grpc::Status> finish_;  // End() while a write was in flight
};

}  // namespace tminus::net
