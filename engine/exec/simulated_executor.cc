#include "engine/exec/simulated_executor.h"

namespace tminus {

void SimulatedExecutor::Start(const ActionRequest& request, Done done) {
  const int index = request.step_index >= 0 ? request.step_index : graph_.Find(request.step_id);
  const Step& step = runbook_.steps[index];
  Seconds duration = request.rollback ? PlannedRollbackDuration(step) : PlannedDuration(step);
  bool fail = false;
  if (request.rollback) {
    auto it = scenario_.rollback.find(request.step_id);
    if (it != scenario_.rollback.end()) {
      fail = it->second.fail;
      if (it->second.duration) duration = *it->second.duration;
    }
  } else {
    auto it = scenario_.steps.find(request.step_id);
    if (it != scenario_.steps.end()) {
      fail = it->second.fail || request.attempt <= it->second.fail_attempts;
      if (it->second.duration) duration = *it->second.duration;
    }
  }
  ActionResult result;
  Millis takes(duration.count() * 1000);
  if (request.timeout.count() > 0 && takes > request.timeout) {
    takes = request.timeout;
    result.timed_out = true;
    result.error = "timed out after " + FormatDuration(Seconds(request.timeout.count() / 1000)) +
                   " (simulated)";
  } else if (fail) {
    result.exit_code = 1;
    result.error = "failed (simulated)";
  } else {
    result.ok = true;
    result.exit_code = 0;
  }
  result.duration = takes;
  const int slot = static_cast<int>(pool_.Acquire());
  Attempt& a = pool_[slot];
  a.step = index;
  a.attempt = request.attempt;
  a.rollback = request.rollback;
  a.done = std::move(done);
  a.result = std::move(result);
  a.timer = scheduler_->At(scheduler_->Now() + takes, [this, slot] { Finish(slot, nullptr); });
  RunningSlot(index, request.rollback) = slot;
}

void SimulatedExecutor::Finish(int slot, const ActionResult* instead) {
  Attempt& a = pool_[slot];
  int& running = RunningSlot(a.step, a.rollback);
  if (running == slot) running = -1;
  Done done = std::move(a.done);
  ActionResult result = instead != nullptr ? *instead : std::move(a.result);
  a = Attempt();
  pool_.Release(slot);
  done(std::move(result));
}

void SimulatedExecutor::Cancel(const std::string& dispatch_id) {
  // "<step>#<attempt>" or "<step>#rollback<attempt>".
  const size_t hash = dispatch_id.rfind('#');
  if (hash == std::string::npos) return;
  const int step = graph_.Find(std::string_view(dispatch_id).substr(0, hash));
  if (step < 0) return;
  std::string_view tail = std::string_view(dispatch_id).substr(hash + 1);
  const bool rollback = tail.substr(0, 8) == "rollback";
  if (rollback) tail.remove_prefix(8);
  const int slot = RunningSlot(step, rollback);
  if (slot < 0 || std::to_string(pool_[slot].attempt) != tail) return;
  scheduler_->Cancel(pool_[slot].timer);
  ActionResult cancelled;
  cancelled.cancelled = true;
  cancelled.error = "cancelled";
  Finish(slot, &cancelled);
}

}  // namespace tminus
