// The run engine's core: readiness, waits, dispatch, results, retries, failure policies,
// deadlines and the end of the run. Gates and people are in run_engine_people.cc, rollback
// in run_engine_rollback.cc.
#include "engine/exec/run_engine.h"

#include <cstdio>
#include <cstdlib>

#include "engine/exec/action_builder.h"

namespace tminus {

RunEngine::RunEngine(const Runbook& runbook, const StepGraph& graph, RunOptions options,
                     Scheduler* scheduler, ExecutorFor executors, EventSink* sink)
    : runbook_(runbook),
      graph_(graph),
      options_(std::move(options)),
      scheduler_(scheduler),
      executors_(std::move(executors)),
      sink_(sink),
      state_(runbook.steps.size()),
      done_(runbook.steps.size(), 0),
      run_in_flight_(runbook.steps.size(), 0),
      rollback_in_flight_(runbook.steps.size(), 0) {}

RunEngine::~RunEngine() = default;

bool RunEngine::Emit(RunEvent event, bool sync) {
  if (!halted_.ok()) return false;
  event.time = scheduler_->Now();
  absl::Status status = sink_->Record(event, sync && options_.sync_decisions);
  if (!status.ok()) {
    halted_ = status;
    return false;
  }
  state_.Apply(event);
  NotifyObservers(event);
  return true;
}

void RunEngine::NotifyObservers(const RunEvent& event) {
  for (RunObserver* o : observers_) o->OnEvent(event, state_);
}

absl::Status RunEngine::Flush() {
  if (!halted_.ok()) return halted_;
  absl::Status status = sink_->Flush();
  if (!status.ok()) halted_ = status;
  return status;
}

bool RunEngine::SetState(int step, StepState to, bool sync, const std::string& reason,
                         bool paused) {
  const StepState from = state_.step(step).state;
  if (!IsLegalTransition(from, to)) {
    std::fprintf(stderr, "tminus: internal error: step '%s' cannot go from %s to %s\n",
                 runbook_.steps[step].id.value.c_str(), StepStateName(from), StepStateName(to));
    std::abort();
  }
  RunEvent e = MakeEvent(EventType::kStepState, step, reason);
  e.state = to;
  e.paused = paused;
  if (to == StepState::kRunning) e.attempt = state_.step(step).attempt + 1;
  return Emit(std::move(e), sync);
}

std::optional<EngineTime> RunEngine::InstantTime(const Sourced<Instant>& instant) const {
  if (!instant.present()) return std::nullopt;
  if (instant.value.relative()) return t0_ + Millis(instant.value.offset.count() * 1000);
  return EngineTime(instant.value.unix_seconds * 1000);
}

absl::Status RunEngine::Start() {
  if (state_.started()) return absl::FailedPreconditionError("the run has already started");
  t0_ = options_.t0.value_or(scheduler_->Now());
  RunEvent e;
  e.type = EventType::kRunStarted;
  e.runbook_text = options_.runbook_text;
  e.runbook_sha256 = options_.runbook_sha256;
  e.t0_ms = t0_.count();
  e.t0_known = options_.t0_known;
  e.mode = options_.mode;
  e.run_id = options_.run_id;
  if (!Emit(std::move(e), /*sync=*/true)) return halted_;
  ComputeNotBefore();
  ScheduleDeadlines();
  for (int i = 0; i < graph_.size(); ++i) {
    if (graph_.needs(i).empty()) MaybeReady(i);
  }
  return halted_;
}

void RunEngine::ComputeNotBefore() {
  not_before_.assign(graph_.size(), kNoTime);
  for (int i = 0; i < graph_.size(); ++i) {
    if (std::optional<EngineTime> t = InstantTime(runbook_.steps[i].not_before)) {
      not_before_[i] = *t;
    }
  }
}

bool RunEngine::IsDone(int step) const { return done_[step] != 0; }

bool RunEngine::Ended(int step) const {
  // A failure that waits for an operator has not ended: it may still be retried.
  const StepStatus& s = state_.step(step);
  return IsSettled(s.state) && !(s.state == StepState::kFailed && s.paused);
}

void RunEngine::StepFinished(int step) {
  if (!done_[step]) {
    done_[step] = 1;
    ++done_count_;
  }
  for (int d : graph_.dependants(step)) MaybeReady(d);
  CheckRunEnd();
}

void RunEngine::MaybeReady(int step) {
  if (!halted_.ok() || state_.ended() || state_.rolling_back() || state_.rollback_refused()) {
    return;
  }
  if (state_.step(step).state != StepState::kPending) return;
  for (int need : graph_.needs(step)) {
    if (!IsDone(need)) return;
  }
  const EngineTime not_before = not_before_[step];
  if (not_before != kNoTime && not_before > scheduler_->Now()) {
    if (!SetState(step, StepState::kWaiting)) return;
    ArmNotBefore(step);
    return;
  }
  Begin(step);
}

void RunEngine::ArmNotBefore(int step) {
  scheduler_->At(not_before_[step], [this, step] {
    if (state_.step(step).state == StepState::kWaiting && !state_.ended() &&
        !state_.rolling_back() && halted_.ok()) {
      Begin(step);
    }
  });
}

void RunEngine::Begin(int step) {
  const Step& s = runbook_.steps[step];
  switch (s.type.value) {
    case StepType::kTask:
    case StepType::kCheck:
      Dispatch(step, state_.step(step).attempt + 1, /*rollback=*/false);
      return;
    case StepType::kManual:
      SetState(step, StepState::kAwaitingSignoff);
      return;
    case StepType::kGate:
      OpenGate(step);
      return;
    case StepType::kMilestone:
      if (!SetState(step, StepState::kSucceeded)) return;
      if (s.no_return.value) {
        if (!Emit(MakeEvent(EventType::kNoReturn, step, "passed the point of no return"),
                  /*sync=*/true)) {
          return;
        }
      }
      StepFinished(step);
      return;
  }
}

void RunEngine::Dispatch(int step, int attempt, bool rollback, bool rerun) {
  const Step& s = runbook_.steps[step];
  const Action* action = rollback ? s.rollback.get() : s.run.get();
  if (rerun) {
    RunEvent e = MakeEvent(EventType::kStepState, step, "re-run after the coordinator restarted");
    e.state = StepState::kRunning;
    e.attempt = attempt;
    e.rerun = true;
    if (!Emit(std::move(e), /*sync=*/false)) return;
  } else if (!rollback && !SetState(step, StepState::kRunning)) {
    return;
  }
  Executor* executor = executors_(action->on.value);
  const ActionRequest request = RequestFor(step, attempt, rollback, executor);
  RunEvent e = MakeEvent(EventType::kDispatch, step);
  e.attempt = attempt;
  e.rollback = rollback;
  e.dispatch_id = request.dispatch_id;
  e.target = action->on.value;
  // The dispatch is durable before anything runs: synced here, or with the executor's own
  // wait for durability.
  if (!Emit(std::move(e), /*sync=*/executor == nullptr || !executor->DefersUntilDurable())) return;
  (rollback ? rollback_in_flight_ : run_in_flight_)[step] = attempt;
  if (executor == nullptr) {
    ActionResult r;
    r.error = "no executor can reach target '" + action->on.value + "'";
    scheduler_->Post([this, step, attempt, rollback, r = std::move(r)]() mutable {
      OnResult(step, attempt, rollback, std::move(r));
    });
    return;
  }
  executor->Start(request, ReportTo(step, attempt, rollback, /*recovered=*/false));
}

ActionRequest RunEngine::RequestFor(int step, int attempt, bool rollback,
                                    const Executor* executor) const {
  const Step& s = runbook_.steps[step];
  const Action* action = rollback ? s.rollback.get() : s.run.get();
  ActionRequest request =
      executor != nullptr && !executor->RunsActions()
          ? BuildAttempt(s, *action, attempt, rollback)
          : BuildRequest(runbook_, s, *action, attempt, rollback, options_.secrets);
  request.step_index = step;
  request.run_id = options_.run_id;
  return request;
}

Executor::Done RunEngine::ReportTo(int step, int attempt, bool rollback, bool recovered) {
  // The attempt packed in one word keeps the callback small enough to need no allocation.
  const int64_t key = (static_cast<int64_t>(step) << 32) | (static_cast<int64_t>(attempt) << 2) |
                      (recovered ? 2 : 0) | (rollback ? 1 : 0);
  return [this, key](ActionResult r) {
    scheduler_->Post([this, key, r = std::move(r)]() mutable {
      const int step = static_cast<int>(key >> 32);
      const int attempt = static_cast<int>((key & 0xffffffff) >> 2);
      const bool rollback = (key & 1) != 0;
      if ((key & 2) != 0) {
        OnRecovered(step, attempt, rollback, std::move(r));
      } else {
        OnResult(step, attempt, rollback, std::move(r));
      }
    });
  };
}

void RunEngine::OnResult(int step, int attempt, bool rollback, ActionResult result,
                         const std::string& reason) {
  if (!halted_.ok()) return;
  const StepStatus& s = state_.step(step);
  int& in_flight = (rollback ? rollback_in_flight_ : run_in_flight_)[step];
  const bool was_in_flight = in_flight == attempt;
  if (was_in_flight) in_flight = 0;
  // The state names the attempt in flight; the dispatch id is a function of the attempt.
  const std::string& state_id = rollback ? s.rollback_dispatch_id : s.dispatch_id;
  const int state_attempt = rollback ? s.rollback_attempt : s.attempt;
  const bool current =
      was_in_flight && !state_id.empty() && state_attempt == attempt && !state_.ended();
  RunEvent e = MakeEvent(EventType::kResult, step, reason);
  e.attempt = attempt;
  e.rollback = rollback;
  e.dispatch_id = current ? state_id : DispatchId(runbook_.steps[step].id.value, attempt, rollback);
  e.ok = result.ok;
  e.exit_code = result.exit_code;
  e.timed_out = result.timed_out;
  e.cancelled = result.cancelled;
  e.late = !current;
  e.unrecovered = result.unrecovered;
  e.duration_ms = result.duration.count();
  e.error = result.error;
  e.stdout_tail = std::move(result.stdout_tail);
  e.stderr_tail = std::move(result.stderr_tail);
  // A late result is journaled (the audit trail keeps it) unless the run is over.
  if (!current && state_.ended()) return;
  if (!Emit(std::move(e), /*sync=*/false) || !current) return;
  if (rollback) {
    --rollback_running_;
    if (result.ok) {
      if (!SetState(step, StepState::kRolledBack)) return;
      RollbackNodeComplete(step);
    } else {
      if (!SetState(step, StepState::kRollbackFailed, /*sync=*/true, result.error)) return;
      if (!state_.rollback_paused()) {
        const std::string why =
            "rollback of '" + runbook_.steps[step].id.value + "' failed: " + result.error;
        if (!Emit(MakeEvent(EventType::kRollbackPaused, step, why), /*sync=*/true)) return;
      }
      MaybeFinishRollback();
    }
    return;
  }
  if (result.unrecovered) {
    LostAttempt(step);
  } else if (result.ok) {
    if (!SetState(step, StepState::kSucceeded)) return;
    StepFinished(step);
  } else {
    AttemptFailed(step, scheduler_->Now());
  }
}

void RunEngine::ReportLate(const std::string& step_id, int attempt, bool rollback,
                           ActionResult result) {
  const int step = graph_.Find(step_id);
  if (step < 0 || attempt <= 0) return;
  int& in_flight = (rollback ? rollback_in_flight_ : run_in_flight_)[step];
  if (in_flight == attempt) return;  // not late: the executor still owes this result
  OnResult(step, attempt, rollback, std::move(result));
}

bool RunEngine::RecordPlacement(const ActionRequest& request,
                                const std::vector<std::string>& hosts) {
  const int step = request.step_index;
  if (step < 0 || step >= graph_.size() || state_.ended()) return false;
  if ((request.rollback ? rollback_in_flight_ : run_in_flight_)[step] != request.attempt) {
    return false;
  }
  RunEvent e = MakeEvent(EventType::kPlaced, step);
  e.attempt = request.attempt;
  e.rollback = request.rollback;
  e.dispatch_id = request.dispatch_id;
  e.hosts = hosts;
  return Emit(std::move(e), /*sync=*/false);
}

void RunEngine::AttemptFailed(int step, EngineTime failed_at) {
  const Step& s = runbook_.steps[step];
  const StepStatus& st = state_.step(step);
  const int attempts_in_series = st.attempt - st.series_start + 1;
  if (attempts_in_series <= s.retries.count.value) {
    const int next = st.attempt + 1;
    const Millis delay(s.retries.delay.value.count() * 1000);
    scheduler_->At(failed_at + delay, [this, step, next] {
      const StepStatus& now = state_.step(step);
      if (now.state == StepState::kRunning && now.attempt + 1 == next && now.dispatch_id.empty() &&
          !state_.ended() && !state_.rolling_back() && halted_.ok()) {
        Dispatch(step, next, /*rollback=*/false);
      }
    });
    return;
  }
  ApplyFailurePolicy(step);
}

void RunEngine::ApplyFailurePolicy(int step) {
  const Step& s = runbook_.steps[step];
  const OnFailure policy = s.on_failure.present() ? s.on_failure.value : OnFailure::kPause;
  const std::string why = "step '" + s.id.value + "' failed (on_failure: " + OnFailureName(policy) + ")";
  switch (policy) {
    case OnFailure::kContinue:
      if (!SetState(step, StepState::kFailed, false, why)) return;
      StepFinished(step);
      return;
    case OnFailure::kPause:
      SetState(step, StepState::kFailed, /*sync=*/true, why, /*paused=*/true);
      return;
    case OnFailure::kAbort:
      if (!SetState(step, StepState::kFailed, false, why)) return;
      DoAbort("engine", why);
      return;
    case OnFailure::kRollback:
      if (!SetState(step, StepState::kFailed, false, why)) return;
      StartRollback("engine", /*forced=*/false, why);
      return;
  }
}

void RunEngine::ScheduleDeadlines() {
  for (int i = 0; i < graph_.size(); ++i) {
    const std::optional<EngineTime> deadline = InstantTime(runbook_.steps[i].deadline);
    // A resumed run has recorded some misses already.
    if (!deadline || state_.step(i).deadline_missed) continue;
    scheduler_->At(*deadline, [this, i] {
      if (state_.ended() || !halted_.ok() || Ended(i) || state_.step(i).deadline_missed) return;
      Emit(MakeEvent(EventType::kDeadlineMissed, i, "not finished by its deadline"),
           /*sync=*/false);
    });
  }
}

void RunEngine::CheckRunEnd() {
  if (state_.ended() || state_.rolling_back() || !halted_.ok()) return;
  if (done_count_ == graph_.size()) EndRun(RunPhase::kSucceeded, "every step is done");
}

void RunEngine::EndRun(RunPhase phase, const std::string& reason) {
  RunEvent e = MakeEvent(EventType::kRunEnded, -1, reason);
  e.phase = phase;
  e.chain_head = sink_->ChainHead();
  if (Emit(std::move(e), /*sync=*/true)) Flush().IgnoreError();
}

void RunEngine::CancelActiveSteps(const std::string& reason) {
  for (int i = 0; i < graph_.size(); ++i) {
    const StepStatus& s = state_.step(i);
    switch (s.state) {
      case StepState::kRunning: {
        const std::string id = s.dispatch_id;
        if (!id.empty()) {
          run_in_flight_[i] = 0;
          if (Executor* ex = executors_(runbook_.steps[i].run->on.value)) ex->Cancel(id);
        }
        if (!SetState(i, StepState::kCancelled, false, reason)) return;
        break;
      }
      case StepState::kWaiting:
      case StepState::kAwaitingSignoff:
        if (!SetState(i, StepState::kCancelled, false, reason)) return;
        break;
      case StepState::kPending:
      case StepState::kSucceeded:
      case StepState::kFailed:
      case StepState::kSkipped:
      case StepState::kCancelled:
      case StepState::kUnknown:
      case StepState::kRolledBack:
      case StepState::kRollbackFailed:
        break;
    }
  }
}

void RunEngine::DoAbort(const std::string& actor, const std::string& reason) {
  (void)actor;
  CancelActiveSteps("the run was aborted");
  EndRun(RunPhase::kAborted, reason);
}

}  // namespace tminus
