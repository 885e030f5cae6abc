// Step and run states, as the runbook format names them, and the transitions between
// step states that the engine may make.
#pragma once

#include <optional>
#include <string_view>

namespace tminus {

enum class StepState {
  kPending,          // not yet ready: some need has not finished
  kWaiting,          // ready, waiting for its not_before
  kRunning,          // an attempt (or a retry delay between attempts) is under way
  kAwaitingSignoff,  // a manual step waiting for sign-off, or a gate waiting for a decision
  kSucceeded,
  kFailed,
  kSkipped,
  kCancelled,
  kUnknown,  // was running when the coordinator stopped; a person must decide
  kRolledBack,
  kRollbackFailed,
};

enum class RunPhase { kRunning, kSucceeded, kAborted, kRolledBack, kFailed };

const char* StepStateName(StepState state);
std::optional<StepState> StepStateFromName(std::string_view name);
const char* RunPhaseName(RunPhase phase);
std::optional<RunPhase> RunPhaseFromName(std::string_view name);

// Whether the engine may move a step from `from` to `to`. A broken transition is a bug.
bool IsLegalTransition(StepState from, StepState to);

// A step that will not change again unless a person intervenes or a rollback undoes it.
bool IsSettled(StepState state);

}  // namespace tminus
