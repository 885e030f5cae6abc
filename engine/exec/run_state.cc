#include "engine/exec/run_state.h"

namespace tminus {

void RunState::Apply(const RunEvent& e) {
  ++events_;
  StepStatus* s = e.step >= 0 && e.step < static_cast<int>(steps_.size()) ? &steps_[e.step] : nullptr;
  switch (e.type) {
    case EventType::kRunStarted:
      started_ = true;
      started_at_ = e.time;
      t0_ = EngineTime(e.t0_ms);
      t0_known_ = e.t0_known;
      mode_ = e.mode;
      break;
    case EventType::kStepState: {
      if (!s) break;
      const StepState to = e.state;
      s->state = to;
      s->paused = e.paused;
      if (e.decided) {
        s->decision = e.decision;
        s->decided_by_override = e.override_;
      }
      switch (to) {
        case StepState::kWaiting:
        case StepState::kRunning:
        case StepState::kAwaitingSignoff:
          // A re-run replaces a lost attempt, so the series keeps its count of attempts.
          if (to == StepState::kRunning && e.rerun) ++s->series_start;
          if (!s->ready_at) s->ready_at = e.time;
          if (to != StepState::kWaiting && !s->started_at) s->started_at = e.time;
          break;
        case StepState::kSucceeded:
          if (!s->ready_at) s->ready_at = e.time;
          if (!s->started_at) s->started_at = e.time;
          s->ended_at = e.time;
          break;
        case StepState::kFailed:
        case StepState::kSkipped:
        case StepState::kCancelled:
          s->ended_at = e.time;
          s->dispatch_id.clear();
          break;
        case StepState::kRolledBack:
        case StepState::kRollbackFailed:
          s->rollback_ended_at = e.time;
          s->rollback_running = false;
          s->rollback_dispatch_id.clear();
          break;
        case StepState::kUnknown:
          s->dispatch_id.clear();  // the attempt is over as far as the run knows
          break;
        case StepState::kPending:
          break;
      }
      break;
    }
    case EventType::kDispatch:
      if (!s) break;
      if (e.rollback) {
        s->rollback_attempt = e.attempt;
        s->rollback_dispatch_id = e.dispatch_id;
        s->rollback_running = true;
        if (!s->rollback_started_at) s->rollback_started_at = e.time;
      } else {
        s->attempt = e.attempt;
        s->dispatch_id = e.dispatch_id;
      }
      break;
    case EventType::kResult:
      if (!s || e.late) break;
      if (e.rollback) {
        s->rollback_running = false;
        s->rollback_dispatch_id.clear();
      } else {
        s->dispatch_id.clear();
      }
      s->last_error = e.ok ? "" : e.error;
      break;
    case EventType::kSignOff:
      if (s) s->signoffs.push_back({e.actor, e.as, e.reason, e.time, std::nullopt});
      break;
    case EventType::kDecision:
      if (s) s->signoffs.push_back({e.actor, e.as, e.reason, e.time, e.decision});
      break;
    case EventType::kOperator:
      // Rolling forward (retry, skip, mark done) answers a refused rollback.
      if (e.command_name == "retry" || e.command_name == "skip" || e.command_name == "mark_done") {
        rollback_refused_ = false;
      }
      if (e.command_name == "retry" && s) {
        s->paused = false;
        s->series_start = s->attempt + 1;
      } else if (e.command_name == "retry_rollback") {
        rollback_paused_ = false;
      } else if (e.command_name == "skip_rollback") {
        rollback_paused_ = false;
      }
      break;
    case EventType::kDeadlineMissed:
      if (s) s->deadline_missed = true;
      break;
    case EventType::kNoReturn:
      no_return_passed_ = true;
      break;
    case EventType::kRollbackStarted:
      rolling_back_ = true;
      rollback_refused_ = false;
      rollback_paused_ = false;
      rollback_forced_ = e.forced;
      break;
    case EventType::kRollbackRefused:
      rollback_refused_ = true;
      break;
    case EventType::kRollbackPaused:
      rollback_paused_ = true;
      break;
    case EventType::kRejected:
      break;
    case EventType::kRunEnded:
      phase_ = e.phase;
      ended_at_ = e.time;
      break;
    case EventType::kRunResumed:
      ++resumes_;
      break;
    case EventType::kPlaced:  // where an attempt runs changes no state
      break;
  }
}

namespace {

std::string Opt(const std::optional<EngineTime>& t) {
  return t ? std::to_string(t->count()) : "null";
}

}  // namespace

std::string RunState::Diff(const RunState& o) const {
  if (steps_.size() != o.steps_.size()) return "step count differs";
  if (phase_ != o.phase_) return std::string("phase ") + RunPhaseName(phase_) + " vs " + RunPhaseName(o.phase_);
  if (started_ != o.started_ || started_at_ != o.started_at_) return "run start differs";
  if (ended_at_ != o.ended_at_) return "run end time " + Opt(ended_at_) + " vs " + Opt(o.ended_at_);
  if (t0_ != o.t0_ || t0_known_ != o.t0_known_ || mode_ != o.mode_) return "t0 or mode differs";
  if (no_return_passed_ != o.no_return_passed_) return "no_return_passed differs";
  if (rolling_back_ != o.rolling_back_ || rollback_paused_ != o.rollback_paused_ ||
      rollback_refused_ != o.rollback_refused_ || rollback_forced_ != o.rollback_forced_) {
    return "rollback flags differ";
  }
  if (resumes_ != o.resumes_) return "resume count differs";
  if (events_ != o.events_) return "event count " + std::to_string(events_) + " vs " + std::to_string(o.events_);
  for (size_t i = 0; i < steps_.size(); ++i) {
    const StepStatus& a = steps_[i];
    const StepStatus& b = o.steps_[i];
    const std::string at = "step #" + std::to_string(i) + ": ";
    if (a.state != b.state) return at + StepStateName(a.state) + " vs " + StepStateName(b.state);
    if (a.paused != b.paused) return at + "paused differs";
    if (a.attempt != b.attempt || a.series_start != b.series_start) return at + "attempts differ";
    if (a.dispatch_id != b.dispatch_id) return at + "dispatch differs";
    if (a.ready_at != b.ready_at || a.started_at != b.started_at || a.ended_at != b.ended_at) {
      return at + "times differ (" + Opt(a.started_at) + "," + Opt(a.ended_at) + " vs " +
             Opt(b.started_at) + "," + Opt(b.ended_at) + ")";
    }
    if (a.decision != b.decision || a.decided_by_override != b.decided_by_override) return at + "decision differs";
    if (a.signoffs.size() != b.signoffs.size()) return at + "sign-off count differs";
    for (size_t k = 0; k < a.signoffs.size(); ++k) {
      const SignOffRecord& x = a.signoffs[k];
      const SignOffRecord& y = b.signoffs[k];
      if (x.person != y.person || x.as != y.as || x.comment != y.comment || x.time != y.time ||
          x.vote != y.vote) {
        return at + "sign-off differs";
      }
    }
    if (a.deadline_missed != b.deadline_missed) return at + "deadline differs";
    if (a.rollback_attempt != b.rollback_attempt || a.rollback_dispatch_id != b.rollback_dispatch_id ||
        a.rollback_running != b.rollback_running || a.rollback_started_at != b.rollback_started_at ||
        a.rollback_ended_at != b.rollback_ended_at) {
      return at + "rollback differs";
    }
    if (a.last_error != b.last_error) return at + "last error differs";
  }
  return "";
}

bool RunState::operator==(const RunState& other) const { return Diff(other).empty(); }

}  // namespace tminus
