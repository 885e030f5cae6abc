// Keeps the agent's state directory in step with its AttemptStore, so that what the store
// holds in memory outlives the process: an attempt is recorded before its process starts,
// its process group once known, its Result before the Result is sent, and it is forgotten
// (its id remembered as acknowledged) on ResultAck. At start it restores what the previous
// process left: finished results to deliver again, and attempts that were running when it
// died, which are finished as failed after any process group they left is stopped.
//
// The process group is recorded a moment after the child starts (the executor reports the
// pid from its worker thread): an agent killed within that moment leaves a record without
// one, reported like any other interrupted attempt, whose processes the next agent cannot
// find to stop.
//
// Without a state directory (no --state-dir) every call does nothing: the agent keeps its
// attempts in memory only, as before. Runs on the agent's strand; file writes block it for
// the few milliseconds an fsync takes, a handful of times per attempt.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <sys/types.h>

#include "tminus/v1/agent_state.pb.h"

#include "absl/status/status.h"
#include "agent/attempt_store.h"
#include "agent/event_log.h"
#include "agent/state_dir.h"
#include "engine/exec/executor.h"

namespace tminus::agent {

// What an attempt runs, for the state directory: the program of a command and how many
// arguments follow it, a shell script's size, a probe's target. Never an argument, the
// script, an env value or a secret (a program path holding a secret value shows as ***).
std::string DescribeAction(const ActionRequest& request);

// The error of an attempt that was running when the agent process ended. `what_became`
// says what was found of its process group.
std::string RestartedError(const std::string& what_became);

class AttemptRecorder {
 public:
  // `state` (may be null: nothing is recorded) and `log` must outlive the recorder.
  AttemptRecorder(StateDir* state, EventLog& log, std::chrono::milliseconds kill_grace);

  // Restores into `store` (which must be empty) what the state directory holds, stopping
  // the process groups of attempts that were running. Logs what it finds. Fails only when
  // the directory cannot be read at all.
  absl::Status Recover(AttemptStore& store, int64_t now_unix_ms);

  // Before the attempt's process starts. An error means it must not start: the agent
  // could lose track of it.
  absl::Status Started(const AttemptStore::Attempt& attempt);
  // The attempt's child exists (pid, which leads its process group).
  void Spawned(const std::string& key, pid_t pid);
  // The attempt has finished (or was refused, or cancelled before it ran): its Result is
  // recorded before it is sent. A failure is logged; the result stays in memory.
  void Finished(const AttemptStore::Attempt& attempt);
  // The coordinator journaled the attempt's result.
  void Acknowledged(const v1::DispatchId& id);

 private:
  StateDir* const state_;
  EventLog& log_;
  const std::chrono::milliseconds kill_grace_;
  std::map<std::string, v1::AttemptRecord> running_;  // by AttemptKey
};

}  // namespace tminus::agent
