#include "engine/model/step_state.h"

namespace tminus {

const char* StepStateName(StepState state) {
  switch (state) {
    case StepState::kPending:
      return "pending";
    case StepState::kWaiting:
      return "waiting";
    case StepState::kRunning:
      return "running";
    case StepState::kAwaitingSignoff:
      return "awaiting_signoff";
    case StepState::kSucceeded:
      return "succeeded";
    case StepState::kFailed:
      return "failed";
    case StepState::kSkipped:
      return "skipped";
    case StepState::kCancelled:
      return "cancelled";
    case StepState::kUnknown:
      return "unknown";
    case StepState::kRolledBack:
      return "rolled_back";
    case StepState::kRollbackFailed:
      return "rollback_failed";
  }
  return "pending";
}

std::optional<StepState> StepStateFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(StepState::kRollbackFailed); ++i) {
    const auto state = static_cast<StepState>(i);
    if (name == StepStateName(state)) return state;
  }
  return std::nullopt;
}

const char* RunPhaseName(RunPhase phase) {
  switch (phase) {
    case RunPhase::kRunning:
      return "running";
    case RunPhase::kSucceeded:
      return "succeeded";
    case RunPhase::kAborted:
      return "aborted";
    case RunPhase::kRolledBack:
      return "rolled_back";
    case RunPhase::kFailed:
      return "failed";
  }
  return "running";
}

std::optional<RunPhase> RunPhaseFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(RunPhase::kFailed); ++i) {
    const auto phase = static_cast<RunPhase>(i);
    if (name == RunPhaseName(phase)) return phase;
  }
  return std::nullopt;
}

bool IsLegalTransition(StepState from, StepState to) {
  using S = StepState;
  switch (from) {
    case S::kPending:
      return to == S::kWaiting || to == S::kRunning || to == S::kAwaitingSignoff ||
             to == S::kSucceeded || to == S::kSkipped || to == S::kCancelled;
    case S::kWaiting:
      return to == S::kRunning || to == S::kAwaitingSignoff || to == S::kSucceeded ||
             to == S::kSkipped || to == S::kCancelled;
    case S::kRunning:
      return to == S::kSucceeded || to == S::kFailed || to == S::kCancelled ||
             to == S::kUnknown || to == S::kRunning;
    case S::kAwaitingSignoff:
      return to == S::kSucceeded || to == S::kFailed || to == S::kSkipped ||
             to == S::kCancelled;
    case S::kFailed:
      return to == S::kRunning || to == S::kSkipped;
    case S::kUnknown:
      return to == S::kRunning || to == S::kSkipped || to == S::kSucceeded;
    case S::kSucceeded:
      return to == S::kRolledBack || to == S::kRollbackFailed;
    case S::kRollbackFailed:
      return to == S::kRolledBack || to == S::kRollbackFailed;
    case S::kSkipped:
    case S::kCancelled:
    case S::kRolledBack:
      return false;
  }
  return false;
}

bool IsSettled(StepState state) {
  switch (state) {
    case StepState::kSucceeded:
    case StepState::kFailed:
    case StepState::kSkipped:
    case StepState::kCancelled:
    case StepState::kRolledBack:
    case StepState::kRollbackFailed:
      return true;
    case StepState::kPending:
    case StepState::kWaiting:
    case StepState::kRunning:
    case StepState::kAwaitingSignoff:
    case StepState::kUnknown:
      return false;
  }
  return false;
}

}  // namespace tminus
