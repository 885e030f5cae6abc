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
  const std::string id = request.dispatch_id;
  const Scheduler::TimerId timer = scheduler_->At(scheduler_->Now() + takes, [this, id, result] {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    Done d = std::move(it->second.second);
    running_.erase(it);
    d(result);
  });
  running_[id] = {timer, std::move(done)};
}

void SimulatedExecutor::Cancel(const std::string& dispatch_id) {
  auto it = running_.find(dispatch_id);
  if (it == running_.end()) return;
  scheduler_->Cancel(it->second.first);
  Done d = std::move(it->second.second);
  running_.erase(it);
  ActionResult result;
  result.cancelled = true;
  result.error = "cancelled";
  d(result);
}

}  // namespace tminus
