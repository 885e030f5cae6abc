// Rollback: undo, in reverse dependency order, every step that succeeded and has a
// rollback. A step's rollback starts only when the rollbacks of every step that needed it
// (transitively) have finished; independent branches run in parallel. Every step of the
// graph takes part: one with nothing to undo completes as soon as its dependants have, so
// the order holds through steps that have no rollback. Linear in steps plus dependencies.
#include "engine/exec/run_engine.h"

namespace tminus {

void RunEngine::StartRollback(const std::string& actor, bool forced, const std::string& reason) {
  if (state_.ended() || state_.rolling_back()) return;
  if (state_.no_return_passed() && !forced) {
    Emit(MakeEvent(EventType::kRollbackRefused, -1,
                   reason + "; the point of no return has passed, so rollback is refused: roll "
                            "forward (retry or skip) or force it (rollback --force)",
                   actor),
         /*sync=*/true);
    return;
  }
  RunEvent started = MakeEvent(EventType::kRollbackStarted, -1, reason, actor);
  started.forced = forced;
  if (!Emit(std::move(started), /*sync=*/true)) return;
  CancelActiveSteps("cancelled for rollback");
  if (!halted_.ok()) return;

  const int n = graph_.size();
  rollback_waiting_.assign(n, 0);
  rollback_complete_.assign(n, 0);
  rollback_ready_.clear();
  rollback_remaining_ = n;
  rollback_running_ = 0;
  for (int i = 0; i < n; ++i) rollback_waiting_[i] = static_cast<int>(graph_.dependants(i).size());
  for (int i = 0; i < n && halted_.ok(); ++i) {
    if (rollback_waiting_[i] == 0) RollbackNodeReady(i);
  }
  MaybeFinishRollback();
}

void RunEngine::RollbackNodeReady(int step) {
  const Step& s = runbook_.steps[step];
  if (state_.step(step).state == StepState::kSucceeded && s.rollback) {
    if (state_.rollback_paused()) {
      rollback_ready_.push_back(step);  // no new rollback action starts while paused
      return;
    }
    ++rollback_running_;
    Dispatch(step, state_.step(step).rollback_attempt + 1, /*rollback=*/true);
    return;
  }
  RollbackNodeComplete(step);
}

void RunEngine::RollbackNodeComplete(int step) {
  if (rollback_complete_[step]) return;
  rollback_complete_[step] = 1;
  --rollback_remaining_;
  for (int need : graph_.needs(step)) {
    if (--rollback_waiting_[need] == 0) RollbackNodeReady(need);
  }
  MaybeFinishRollback();
}

void RunEngine::ResumeRollback() {
  if (state_.rollback_paused()) {
    // Still paused while another rollback action stays failed and unanswered.
    return;
  }
  std::vector<int> ready;
  ready.swap(rollback_ready_);
  for (int step : ready) RollbackNodeReady(step);
  MaybeFinishRollback();
}

void RunEngine::MaybeFinishRollback() {
  if (state_.ended() || !state_.rolling_back() || !halted_.ok()) return;
  if (abort_when_rollback_idle_ && rollback_running_ == 0) {
    EndRun(RunPhase::kFailed, "ended by an operator without completing the rollback");
    return;
  }
  if (rollback_remaining_ > 0) return;
  bool any_failed = false;
  for (const StepStatus& s : state_.steps()) any_failed = any_failed || s.state == StepState::kRollbackFailed;
  EndRun(any_failed ? RunPhase::kFailed : RunPhase::kRolledBack,
         any_failed ? "rollback finished with failed actions" : "rollback complete");
}

}  // namespace tminus
