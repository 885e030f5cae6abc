// The agent's side of the AgentLink protocol (proto/tminus/v1/agent.proto): it dials the
// coordinator, introduces itself (Hello: id, labels, capabilities, the attempts it still
// knows), waits for the Welcome, then exchanges heartbeats, runs dispatches through the
// executor (at most max_concurrent at once, the rest queued), stops cancelled attempts,
// sends Accepted and Result messages, and forgets a result once it is acknowledged. When
// the stream breaks, or the coordinator falls silent for heartbeat_timeout_ms, it dials
// again after an exponential backoff with jitter, lists its attempts in the new Hello and
// delivers every unacknowledged result again.
//
// With a state directory (StateDir), each attempt that starts, its process group, its
// Result and its acknowledgement are also written to disk (AttemptRecorder), and Restore
// takes back what a previous agent process left there.
//
// Everything here runs on one strand (a Scheduler); the stream's threads and the
// executor's completions only post to it, so nothing here blocks them, nothing blocks the
// strand (beyond the fsyncs of a state directory), and no state is shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/channel.h>
#include <sys/types.h>

#include "tminus/v1/agent.pb.h"

#include "absl/status/status.h"
#include "agent/attempt_recorder.h"
#include "agent/attempt_store.h"
#include "agent/backoff.h"
#include "agent/event_log.h"
#include "agent/link_stream.h"
#include "agent/state_dir.h"
#include "engine/base/scheduler.h"
#include "engine/exec/executor.h"

namespace tminus::agent {

struct AgentLinkOptions {
  std::string coordinator;  // the address dialled, for the log
  std::string agent_id;
  std::map<std::string, std::string> labels;
  std::string version;
  size_t max_concurrent = 4;
  BackoffOptions backoff;
  // How long to wait for the Welcome after dialling before trying again.
  Millis welcome_timeout{10000};
  // Used when the Welcome leaves the heartbeat interval at 0; a timeout left at 0 is
  // three intervals.
  Millis default_heartbeat_interval{5000};
  // A shorter interval from the Welcome is raised to this, so a bad value cannot make the
  // agent spin.
  Millis min_heartbeat_interval{50};
  // Acknowledged ids remembered to recognise dispatches sent again.
  size_t remembered_acks = 4096;
  // Between SIGTERM and SIGKILL to a process group a previous agent process left running.
  Millis orphan_kill_grace{2000};
};

class AgentLink {
 public:
  // A new channel to the coordinator for each connection, so that the agent's backoff is
  // the only one (a reused channel adds its own).
  using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>()>;

  // `strand`, `executor`, `log` and `state` (null: attempts are kept in memory only) must
  // outlive the link. The executor's completions are posted to `strand`.
  AgentLink(AgentLinkOptions options, Scheduler& strand, Executor& executor,
            ChannelFactory channels, Backoff backoff, EventLog& log, StateDir* state = nullptr);
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  // Before Start, while nothing else touches the link: takes back the attempts the state
  // directory holds (see AttemptRecorder::Recover). Fails when it cannot be read.
  absl::Status Restore();
  // On the strand: dials for the first time.
  void Start();
  // On the strand: the child of the attempt with this key exists (its pid leads its
  // process group), as the executor reports it.
  void OnSpawned(const std::string& key, pid_t pid);
  // On the strand: stops reading, cancels the stream and every timer; attempts keep
  // running until the executor is destroyed. Nothing is dialled again.
  void Stop();
  // After the strand has stopped running: waits at most `bound` for the last stream's
  // call to end, so it can be destroyed. True when no call is left.
  bool AwaitStreamEnd(Millis bound);

 private:
  enum class LinkState { kIdle, kWaitingForWelcome, kWelcomed };

  // Stream events, posted by the stream's callbacks; `generation` tells a stale stream's
  // events apart.
  void OnMessage(uint64_t generation, const v1::CoordinatorMessage& message);
  void OnReadEnd(uint64_t generation);
  void OnWriteDone(uint64_t generation, bool ok);
  void OnStreamDone(uint64_t generation, const grpc::Status& status);

  void Connect();
  void OnWelcome(const v1::Welcome& welcome);
  void OnDispatch(const v1::Dispatch& dispatch);
  void OnCancel(const v1::Cancel& cancel);
  void OnResultAck(const v1::ResultAck& ack);
  void OnAttemptDone(const std::string& key, const ActionResult& outcome);

  void StartAttempt(const std::string& key);
  void SendAccepted(const v1::DispatchId& id, bool duplicate, int64_t started_unix_ms);
  void SendResult(const std::string& key);
  void SendHeartbeat();
  void CheckSilence();
  // Ends the current stream (its OnStreamDone then schedules the next dial); `reason`
  // replaces the cancelled status in the log.
  void EndStream(const std::string& reason);
  void CancelTimers();
  void Enqueue(v1::AgentMessage message);
  void WriteNext();

  int64_t NowUnixMs() const { return strand_.Now().count(); }

  const AgentLinkOptions options_;
  Scheduler& strand_;
  Executor& executor_;
  ChannelFactory channels_;
  Backoff backoff_;
  EventLog& log_;
  AttemptStore store_;
  AttemptRecorder recorder_;

  bool stopping_ = false;
  LinkState state_ = LinkState::kIdle;
  uint64_t generation_ = 0;
  std::shared_ptr<LinkStream> stream_;  // until its call is over
  bool released_ = false;               // stream_->Release() was called
  bool write_in_flight_ = false;
  std::deque<v1::AgentMessage> outbox_;
  bool welcomed_ = false;   // the current stream got its Welcome
  std::string end_reason_;  // why the agent ended the current stream, if it did
  Millis heartbeat_interval_{0};
  Millis heartbeat_timeout_{0};
  EngineTime last_heard_{0};

  std::optional<Scheduler::TimerId> welcome_timer_;
  std::optional<Scheduler::TimerId> heartbeat_timer_;
  std::optional<Scheduler::TimerId> silence_timer_;
  std::optional<Scheduler::TimerId> reconnect_timer_;
};

}  // namespace tminus::agent
