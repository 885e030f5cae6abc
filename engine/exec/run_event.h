// The events of a run. The engine decides, records an event, then acts; the run's state is
// the fold of its events (RunState::Apply), so the journal alone reconstructs a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/scheduler.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"
#include "engine/model/step_state.h"

namespace tminus {

enum class EventType {
  kRunStarted,       // runbook text and hash, T0, mode
  kStepState,        // a step moved to `state` (attempt, paused, reason)
  kDispatch,         // an attempt of a run or rollback action was sent to an executor
  kPlaced,           // the agents an attempt was sent to, durable before it is sent
  kResult,           // an attempt's outcome
  kSignOff,          // a person signed off a manual step
  kDecision,         // a person (or the engine) decided go or no-go on a gate
  kOperator,         // an operator command (retry, skip, mark_done, abort, rollback)
  kRejected,         // a sign-off, decision or command that was refused, and why
  kDeadlineMissed,   // a step had not ended by its deadline
  kNoReturn,         // the point of no return was passed
  kRollbackStarted,  // a rollback began (reason, forced)
  kRollbackRefused,  // a rollback was refused past the point of no return: the run pauses
  kRollbackPaused,   // a rollback action failed: the rollback stops for an operator
  kRunEnded,         // the run's end state
  kRunResumed,       // a restarted coordinator took the run over from its journal
};

const char* EventTypeName(EventType type);

struct RunEvent {
  EventType type = EventType::kStepState;
  EngineTime time{0};
  std::string actor = "engine";
  int step = -1;  // index into the runbook's steps, -1 when none

  // kStepState
  StepState state = StepState::kPending;
  bool paused = false;   // kStepState failed: waiting for an operator
  bool decided = false;  // kStepState of a gate that was decided: `decision` holds it
  bool rerun = false;    // kStepState(running): an idempotent step runs again because its
                         // attempt was lost in a coordinator restart; uses none of its retries
  // kDispatch, kPlaced, kResult, kStepState(running)
  int attempt = 0;
  bool rollback = false;  // the attempt is of the rollback action
  std::string dispatch_id;
  std::string target;  // kDispatch: the action's `on:`. Its journal record also holds the
                       // action as written (secrets never substituted), from the runbook.
  std::vector<std::string> hosts;  // kPlaced: the agent ids, in the order they were chosen
  // kResult
  bool ok = false;
  int exit_code = -1;
  bool timed_out = false;
  bool cancelled = false;
  bool late = false;  // arrived for an attempt that was already over: recorded, ignored
  bool unrecovered = false;  // the attempt was lost in a coordinator restart: no outcome
  int64_t duration_ms = 0;
  std::string error;
  std::string stdout_tail;
  std::string stderr_tail;
  // kSignOff, kDecision, kOperator, kRejected: actor is the person
  std::string as;  // kSignOff/kDecision: the role or name the person acted as
  Decision decision = Decision::kGo;
  bool override_ = false;
  bool forced = false;
  std::string command_name;  // kOperator/kRejected: retry, skip, signoff, decide, ...
  std::string reason;        // comment, reason, or why a step moved
  // kRunStarted
  std::string runbook_text;
  std::string runbook_sha256;
  int64_t t0_ms = 0;
  bool t0_known = false;
  std::string mode;  // "simulate", "run", "rehearsal"
  std::string run_id;  // live runs: the id agents see in every dispatch ("" in simulate)
  // kRunEnded
  RunPhase phase = RunPhase::kRunning;
  std::string chain_head;
  // kRunResumed
  int64_t events_before = 0;  // how many events the journal held when the run was resumed
  std::string in_flight;      // the dispatch ids then in flight, space-separated
};

// An event of `type` about `step` (-1: none), with the reason and the actor; the caller
// fills in what else the type carries.
RunEvent MakeEvent(EventType type, int step = -1, std::string reason = "",
                   std::string actor = "engine");

// Journal form: type name and canonical JSON payload.
std::string EncodePayload(const RunEvent& event, const Runbook& runbook);
// Back from the journal; fails on a payload that does not fit the runbook.
absl::StatusOr<RunEvent> DecodeEvent(const std::string& type, const std::string& actor,
                                     const std::string& payload, const Runbook& runbook,
                                     const StepGraph& graph);

}  // namespace tminus
