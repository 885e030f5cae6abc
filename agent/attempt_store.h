// What the agent knows about its attempts, by DispatchId: queued (waiting for a free
// slot), running, or finished with a Result kept until the coordinator acknowledges it.
// It decides which attempt runs when (at most `max_concurrent` at once, the rest in FIFO
// order) and recognises a dispatch it has already seen, including one acknowledged not
// long ago, so that no attempt runs twice. It runs nothing itself and reads no clock: the
// caller starts what it is told to start and passes the time in. Not thread-safe: one
// strand owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tminus/v1/agent.pb.h"

#include "engine/exec/executor.h"

namespace tminus::agent {

struct AttemptStoreOptions {
  // Attempts running at once (at least 1).
  size_t max_concurrent = 4;
  // Acknowledged ids remembered (the oldest is forgotten first), so that a dispatch sent
  // again after its result was journaled is still recognised.
  size_t remembered_acks = 4096;
};

class AttemptStore {
 public:
  enum class Phase { kQueued, kRunning, kFinished };

  struct Attempt {
    std::string key;  // AttemptKey(id)
    v1::DispatchId id;
    Phase phase = Phase::kQueued;
    ActionRequest request;        // kept until it starts
    size_t output_cap_bytes = 0;  // the dispatch's cap (0: the agent's)
    int64_t started_unix_ms = 0;  // 0 while queued, and for dispatches that never ran
    v1::Result result;            // kFinished
    bool result_sent = false;     // given to some stream at least once
    uint64_t admit_order = 0;
    uint64_t finish_order = 0;
  };

  // How a dispatch was taken in.
  struct Admission {
    bool duplicate = false;       // already known (or acknowledged recently): nothing to do
    bool start_now = false;       // the caller starts it at once (see Start)
    int64_t started_unix_ms = 0;  // what Accepted reports
  };

  explicit AttemptStore(AttemptStoreOptions options);

  // A new dispatch: runs at once when a slot is free (the caller then calls the executor
  // with Get(key)->request), otherwise waits in the queue. A known id is a duplicate and
  // changes nothing.
  Admission Admit(const v1::DispatchId& id, ActionRequest request, size_t output_cap_bytes,
                  int64_t now_unix_ms);
  // A dispatch that cannot run (it is malformed): kept as finished with `result` at once,
  // taking no slot, so that it is reported, redelivered and de-duplicated like any other.
  Admission AdmitFinished(const v1::DispatchId& id, v1::Result result);

  // A running attempt ended. Returns the keys of queued attempts that now start, oldest
  // first (the caller starts each). An attempt that is not running is left alone.
  std::vector<std::string> Finish(const std::string& key, v1::Result result, int64_t now_unix_ms);
  // Ends a queued attempt without running it (a Cancel). False when it is not queued.
  bool FinishQueued(const std::string& key, v1::Result result);

  // The coordinator journaled the result: forget the attempt, remember its id. False
  // when the attempt has not finished (it is kept) or is unknown.
  bool Acknowledge(const std::string& key);

  // Marks a finished attempt's result as handed to a stream.
  void MarkSent(const std::string& key);

  // An id acknowledged before the agent restarted (from its state directory), remembered
  // like one acknowledged now. Call in the order they were acknowledged.
  void RememberAcknowledged(const std::string& key) { Remember(key); }

  const Attempt* Get(const std::string& key) const;
  // True for ids acknowledged recently (and so forgotten).
  bool WasAcknowledged(const std::string& key) const;

  // Every attempt held, queued and running first (oldest first), then finished ones in the
  // order they finished: what Hello.known_attempts lists.
  std::vector<const Attempt*> Known() const;
  // Finished attempts whose results wait for an acknowledgement, in the order they
  // finished.
  std::vector<const Attempt*> Unacknowledged() const;

  size_t running() const { return running_; }
  size_t queued() const { return queue_.size(); }
  size_t size() const { return attempts_.size(); }

 private:
  // A new entry for `id`, or nullptr (with `admission` saying duplicate) when it is known.
  Attempt* Insert(const v1::DispatchId& id, Admission* admission);
  std::vector<std::string> StartQueued(int64_t now_unix_ms);
  void Remember(const std::string& key);

  const AttemptStoreOptions options_;
  std::map<std::string, Attempt> attempts_;
  std::deque<std::string> queue_;  // keys, oldest first
  size_t running_ = 0;
  uint64_t next_finish_order_ = 1;
  uint64_t next_admit_order_ = 1;
  std::deque<std::string> acknowledged_order_;
  std::unordered_set<std::string> acknowledged_;
};

}  // namespace tminus::agent
