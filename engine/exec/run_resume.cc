// Resuming a run after a coordinator restart. The journal's events are folded into the
// state; then the engine finishes what the stop interrupted, re-arms its timers and asks
// the executors about every attempt that was in flight.
//
// Each input the engine handles (a result, a timer, a command) runs to completion on the
// strand, recording its events before it acts. A stop can therefore only cut the handler
// that was running: what it had recorded is in the journal, what it had yet to do is not.
// A resume finds those missing effects from the state and the journal's last facts, and
// does them the way the live engine would have: a decision recorded is carried out, a
// result recorded is acted on, a step made ready is started. Nothing recorded as dispatched
// is dispatched again unless its executor reports it lost and the step is idempotent.
#include <optional>
#include <string>
#include <vector>

#include "engine/exec/run_engine.h"

namespace tminus {

namespace {

OnFailure PolicyOf(const Step& step) {
  return step.on_failure.present() ? step.on_failure.value : OnFailure::kPause;
}

}  // namespace

// What a resume needs beyond the state: per step, the last attempt announced and the last
// result; commands and consequences that were recorded but not yet carried out.
struct RunEngine::JournalFacts {
  // An operator command whose effect the journal does not show yet.
  enum class Command { kNone, kRetry, kSkip, kMarkDone, kRetryRollback };
  struct PerStep {
    int announced = 0;        // the attempt named by the last step(running) event
    bool has_result = false;  // the last result of the run action that was not late:
    int result_attempt = 0;
    bool result_ok = false;
    bool result_unrecovered = false;
    EngineTime result_time{0};
    bool rollback_skipped = false;  // an operator skipped its failed rollback action
    // The last result of the rollback action, while no rolled_back or rollback_failed
    // state has followed it.
    bool rollback_result_pending = false;
    bool rollback_result_ok = false;
    std::string rollback_result_error;
    // The last `placed` record of the run action [0] and of the rollback action [1].
    int placed_attempt[2] = {0, 0};
    std::vector<std::string> placed_on[2];
    Command command = Command::kNone;
    std::string actor;
    std::string reason;
  };
  // What a failure, a no-go or an operator set off: the run ends or rolls back.
  struct Consequence {
    enum class Kind { kEngineAbort, kOperatorAbort, kRollback };
    Kind kind = Kind::kEngineAbort;
    std::string actor;
    std::string reason;
    bool forced = false;
  };
  std::vector<PerStep> steps;
  // A cause recorded whose consequence (rollback_started, rollback_refused, run_ended) was
  // not: at most one, the last thing the stopped coordinator did.
  std::optional<Consequence> consequence;

  static JournalFacts Scan(const Runbook& runbook, const std::vector<RunEvent>& events) {
    JournalFacts facts;
    facts.steps.resize(runbook.steps.size());
    for (const RunEvent& e : events) {
      PerStep* s = e.step >= 0 ? &facts.steps[e.step] : nullptr;
      switch (e.type) {
        case EventType::kStepState:
          if (s == nullptr) break;
          // Retry, skip and mark done each begin with a change of the step's state.
          if (s->command != Command::kRetryRollback) s->command = Command::kNone;
          if (e.state == StepState::kRunning) s->announced = e.attempt;
          if (e.state == StepState::kRolledBack || e.state == StepState::kRollbackFailed) {
            s->rollback_result_pending = false;
          }
          if (e.state == StepState::kFailed && !e.paused) facts.NoteFailure(runbook, e);
          break;
        case EventType::kDispatch:
          if (s != nullptr && e.rollback && s->command == Command::kRetryRollback) {
            s->command = Command::kNone;
          }
          break;
        case EventType::kPlaced:
          if (s == nullptr) break;
          s->placed_attempt[e.rollback ? 1 : 0] = e.attempt;
          s->placed_on[e.rollback ? 1 : 0] = e.hosts;
          break;
        case EventType::kResult:
          if (s == nullptr || e.late) break;
          if (e.rollback) {
            s->rollback_result_pending = true;
            s->rollback_result_ok = e.ok;
            s->rollback_result_error = e.error;
            break;
          }
          s->has_result = true;
          s->result_attempt = e.attempt;
          s->result_ok = e.ok;
          s->result_unrecovered = e.unrecovered;
          s->result_time = e.time;
          break;
        case EventType::kOperator:
          facts.NoteCommand(e);
          break;
        case EventType::kRollbackStarted:
        case EventType::kRollbackRefused:
        case EventType::kRunEnded:
          facts.consequence.reset();
          break;
        case EventType::kRunStarted:
        case EventType::kSignOff:
        case EventType::kDecision:
        case EventType::kRejected:
        case EventType::kDeadlineMissed:
        case EventType::kNoReturn:
        case EventType::kRollbackPaused:
        case EventType::kRunResumed:
          break;
      }
    }
    return facts;
  }

 private:
  // A step that failed without pausing: its policy, or its gate's on_nogo, follows at once.
  void NoteFailure(const Runbook& runbook, const RunEvent& e) {
    const Step& step = runbook.steps[e.step];
    if (e.decided && step.gate) {
      const std::string why = "gate '" + step.id.value + "' decided no-go";
      if (step.gate->on_nogo.value == OnNogo::kAbort) {
        consequence = Consequence{Consequence::Kind::kEngineAbort, "engine",
                                  why + " (on_nogo: abort)", false};
      } else {
        consequence = Consequence{Consequence::Kind::kRollback, "engine", why, false};
      }
      return;
    }
    if (!step.automated()) return;
    switch (PolicyOf(step)) {
      case OnFailure::kAbort:
        consequence = Consequence{Consequence::Kind::kEngineAbort, "engine", e.reason, false};
        return;
      case OnFailure::kRollback:
        consequence = Consequence{Consequence::Kind::kRollback, "engine", e.reason, false};
        return;
      case OnFailure::kPause:
      case OnFailure::kContinue:
        return;
    }
  }

  void NoteCommand(const RunEvent& e) {
    const std::string& name = e.command_name;
    if (name == "abort") {
      consequence = Consequence{Consequence::Kind::kOperatorAbort, e.actor, e.reason, false};
      return;
    }
    if (name == "rollback") {
      consequence = Consequence{Consequence::Kind::kRollback, e.actor, e.reason, e.forced};
      return;
    }
    if (e.step < 0) return;
    PerStep& s = steps[e.step];
    if (name == "skip_rollback") {
      s.rollback_skipped = true;
      return;
    }
    Command command = Command::kNone;
    if (name == "retry") command = Command::kRetry;
    if (name == "skip") command = Command::kSkip;
    if (name == "mark_done") command = Command::kMarkDone;
    if (name == "retry_rollback") command = Command::kRetryRollback;
    if (command == Command::kNone) return;
    s.command = command;
    s.actor = e.actor;
    s.reason = e.reason;
  }
};

absl::Status RunEngine::Resume(const std::vector<RunEvent>& journaled,
                               const ResumeOptions& options) {
  if (state_.started()) return absl::FailedPreconditionError("the run has already started");
  if (journaled.empty() || journaled.front().type != EventType::kRunStarted) {
    return absl::InvalidArgumentError("a run to resume starts with run_started");
  }
  for (size_t i = 0; i < journaled.size(); ++i) {
    const RunEvent& e = journaled[i];
    if (e.step >= graph_.size()) {
      return absl::InvalidArgumentError("event " + std::to_string(i + 1) +
                                        " names a step this runbook does not have");
    }
    if (i > 0 && e.type == EventType::kRunStarted) {
      return absl::InvalidArgumentError("event " + std::to_string(i + 1) +
                                        " is a second run_started");
    }
    state_.Apply(e);
  }
  if (state_.ended()) {
    return absl::FailedPreconditionError(std::string("the run already ended (") +
                                         RunPhaseName(state_.phase()) + "); nothing to resume");
  }
  const JournalFacts facts = JournalFacts::Scan(runbook_, journaled);
  t0_ = state_.t0();
  ComputeNotBefore();
  RestoreDone();

  // The attempts in flight at the stop: dispatched, with no result journaled.
  struct InFlight {
    int step;
    bool rollback;
  };
  std::vector<InFlight> in_flight;
  std::string in_flight_ids;
  for (int i = 0; i < graph_.size(); ++i) {
    const StepStatus& s = state_.step(i);
    if (s.state == StepState::kRunning && !s.dispatch_id.empty()) {
      run_in_flight_[i] = s.attempt;
      in_flight.push_back({i, false});
      in_flight_ids += (in_flight_ids.empty() ? "" : " ") + s.dispatch_id;
    }
    if (s.rollback_running && !s.rollback_dispatch_id.empty()) {
      rollback_in_flight_[i] = s.rollback_attempt;
      in_flight.push_back({i, true});
      in_flight_ids += (in_flight_ids.empty() ? "" : " ") + s.rollback_dispatch_id;
    }
  }

  RunEvent resumed = MakeEvent(EventType::kRunResumed, -1,
                               "the coordinator restarted; the run goes on from its journal");
  resumed.events_before = static_cast<int64_t>(journaled.size());
  resumed.in_flight = in_flight_ids;
  if (!Emit(std::move(resumed), /*sync=*/true)) return halted_;

  ScheduleDeadlines();
  if (state_.rolling_back()) RebuildRollback(facts);
  FinishInterrupted(facts);
  if (!halted_.ok() || state_.ended()) return halted_;

  // Ask about each attempt still in flight (what was finished above may have cancelled some).
  for (const InFlight& f : in_flight) {
    const StepStatus& s = state_.step(f.step);
    const bool still = f.rollback
                           ? rollback_in_flight_[f.step] == s.rollback_attempt && s.rollback_running
                           : run_in_flight_[f.step] == s.attempt &&
                                 s.state == StepState::kRunning && !s.dispatch_id.empty();
    if (!still) continue;
    const JournalFacts::PerStep& p = facts.steps[f.step];
    const int attempt = f.rollback ? s.rollback_attempt : s.attempt;
    const int which = f.rollback ? 1 : 0;
    Recover(f.step, f.rollback, options.recover_grace,
            p.placed_attempt[which] == attempt ? p.placed_on[which] : std::vector<std::string>());
  }

  if (state_.rolling_back()) {
    ResumeRollback();
    MaybeFinishRollback();
    return halted_;
  }
  for (int i = 0; i < graph_.size() && halted_.ok() && !state_.ended(); ++i) ResumeStep(i, facts);
  // A stop between a step finishing and its dependants starting leaves them pending.
  for (int i = 0; i < graph_.size() && halted_.ok() && !state_.ended(); ++i) {
    if (state_.step(i).state == StepState::kPending) MaybeReady(i);
  }
  CheckRunEnd();
  return halted_;
}

void RunEngine::RestoreDone() {
  done_.assign(graph_.size(), 0);
  done_count_ = 0;
  for (int i = 0; i < graph_.size(); ++i) {
    const StepStatus& s = state_.step(i);
    bool done = false;
    switch (s.state) {
      case StepState::kSucceeded:
      case StepState::kSkipped:
      case StepState::kRolledBack:
      case StepState::kRollbackFailed:
        done = true;
        break;
      case StepState::kFailed:
        // Only a failure with on_failure: continue lets the dependants go on.
        done = !s.paused && !runbook_.steps[i].gate &&
               PolicyOf(runbook_.steps[i]) == OnFailure::kContinue;
        break;
      case StepState::kPending:
      case StepState::kWaiting:
      case StepState::kRunning:
      case StepState::kAwaitingSignoff:
      case StepState::kCancelled:
      case StepState::kUnknown:
        break;
    }
    done_[i] = done ? 1 : 0;
    done_count_ += done ? 1 : 0;
  }
}

void RunEngine::RebuildRollback(const JournalFacts& facts) {
  // The same bookkeeping StartRollback and RollbackNodeComplete keep, from the states: a
  // node is complete once its dependants are and its own undo is done, skipped or not
  // needed. Dependants come before their needs in the reversed topological order.
  const int n = graph_.size();
  rollback_waiting_.assign(n, 0);
  rollback_complete_.assign(n, 0);
  rollback_ready_.clear();
  rollback_remaining_ = 0;
  rollback_running_ = 0;
  std::vector<int> result_to_apply;  // a rollback result recorded, its effect not
  const std::vector<int>& order = graph_.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const int i = *it;
    const StepStatus& s = state_.step(i);
    if (s.rollback_running) ++rollback_running_;
    int waiting = 0;
    for (int d : graph_.dependants(i)) waiting += rollback_complete_[d] ? 0 : 1;
    rollback_waiting_[i] = waiting;
    if (waiting > 0) continue;
    if (facts.steps[i].rollback_result_pending && !s.rollback_running) {
      result_to_apply.push_back(i);
      continue;
    }
    const bool undone_by_action =
        runbook_.steps[i].rollback &&
        (s.state == StepState::kSucceeded || s.state == StepState::kRolledBack ||
         s.state == StepState::kRollbackFailed);
    if (!undone_by_action || s.state == StepState::kRolledBack || facts.steps[i].rollback_skipped) {
      rollback_complete_[i] = 1;
    } else if (s.state == StepState::kSucceeded && !s.rollback_running) {
      rollback_ready_.push_back(i);  // ready, its action not dispatched before the stop
    }
  }
  for (int i = 0; i < n; ++i) rollback_remaining_ += rollback_complete_[i] ? 0 : 1;
  // The stop may have come while the rollback was cancelling the running steps.
  CancelActiveSteps("cancelled for rollback");
  // Or between a rollback action's result and its effect: the effect, as OnResult has it.
  for (int i : result_to_apply) {
    const JournalFacts::PerStep& f = facts.steps[i];
    if (!halted_.ok() || state_.ended()) return;
    if (f.rollback_result_ok) {
      if (SetState(i, StepState::kRolledBack)) RollbackNodeComplete(i);
      continue;
    }
    if (!SetState(i, StepState::kRollbackFailed, /*sync=*/true, f.rollback_result_error)) return;
    if (!state_.rollback_paused()) {
      const std::string why =
          "rollback of '" + runbook_.steps[i].id.value + "' failed: " + f.rollback_result_error;
      if (!Emit(MakeEvent(EventType::kRollbackPaused, i, why), /*sync=*/true)) return;
    }
    MaybeFinishRollback();
  }
}

void RunEngine::FinishInterrupted(const JournalFacts& facts) {
  // The point of no return: its milestone succeeded, the mark was not recorded.
  if (!state_.no_return_passed()) {
    for (int i = 0; i < graph_.size(); ++i) {
      const Step& s = runbook_.steps[i];
      if (s.type.value == StepType::kMilestone && s.no_return.value &&
          state_.step(i).state == StepState::kSucceeded) {
        if (!Emit(MakeEvent(EventType::kNoReturn, i, "passed the point of no return"),
                  /*sync=*/true)) {
          return;
        }
        break;
      }
    }
  }
  if (facts.consequence) {
    const JournalFacts::Consequence& c = *facts.consequence;
    switch (c.kind) {
      case JournalFacts::Consequence::Kind::kEngineAbort:
        DoAbort(c.actor, c.reason);
        break;
      case JournalFacts::Consequence::Kind::kOperatorAbort:
        AbortNow(c.actor, c.reason);
        break;
      case JournalFacts::Consequence::Kind::kRollback:
        StartRollback(c.actor, c.forced, c.reason);
        break;
    }
  }
  for (int i = 0; i < graph_.size() && halted_.ok() && !state_.ended(); ++i) {
    const JournalFacts::PerStep& f = facts.steps[i];
    const StepStatus& s = state_.step(i);
    switch (f.command) {
      case JournalFacts::Command::kNone:
        break;
      case JournalFacts::Command::kRetry:
        if (s.state == StepState::kFailed || s.state == StepState::kUnknown) {
          Dispatch(i, s.attempt + 1, /*rollback=*/false);
        }
        break;
      case JournalFacts::Command::kSkip:
        if (IsLegalTransition(s.state, StepState::kSkipped) &&
            SetState(i, StepState::kSkipped, true, f.reason)) {
          StepFinished(i);
        }
        break;
      case JournalFacts::Command::kMarkDone:
        if (s.state == StepState::kUnknown && SetState(i, StepState::kSucceeded, true, f.reason)) {
          StepFinished(i);
        }
        break;
      case JournalFacts::Command::kRetryRollback:
        if (state_.rolling_back() && s.state == StepState::kRollbackFailed && !s.rollback_running) {
          ++rollback_running_;
          Dispatch(i, s.rollback_attempt + 1, /*rollback=*/true);
        }
        break;
    }
  }
}

void RunEngine::Recover(int step, bool rollback, Millis grace,
                        const std::vector<std::string>& placed_on) {
  const Step& s = runbook_.steps[step];
  const Action* action = rollback ? s.rollback.get() : s.run.get();
  const StepStatus& st = state_.step(step);
  const int attempt = rollback ? st.rollback_attempt : st.attempt;
  Executor* executor = executors_(action->on.value);
  if (executor == nullptr) {
    ActionResult r;
    r.unrecovered = true;
    r.error = "no executor can reach target '" + action->on.value + "'";
    scheduler_->Post([this, step, attempt, rollback, r = std::move(r)]() mutable {
      OnRecovered(step, attempt, rollback, std::move(r));
    });
    return;
  }
  ActionRequest request = RequestFor(step, attempt, rollback, executor);
  request.placed_on = placed_on;
  executor->Recover(request, grace, ReportTo(step, attempt, rollback, /*recovered=*/true));
}

void RunEngine::OnRecovered(int step, int attempt, bool rollback, ActionResult result) {
  if (!result.unrecovered) {
    OnResult(step, attempt, rollback, std::move(result),
             "re-attached after the coordinator restarted");
    return;
  }
  // Recorded as a failed result marked unrecovered, so the journal closes the attempt. A
  // run action then goes to LostAttempt. A rollback action fails like any other: the
  // rollback stops for an operator. Running it again unasked could undo twice, and a
  // rollback is the moment to have a person look, whatever the step's `idempotent` says.
  result.ok = false;
  result.error = "its outcome was lost when the coordinator stopped" +
                 (result.error.empty() ? std::string() : " (" + result.error + ")");
  OnResult(step, attempt, rollback, std::move(result));
}

void RunEngine::LostAttempt(int step) {
  const Step& s = runbook_.steps[step];
  if (s.IsIdempotent()) {
    // Running it again is harmless by the runbook's word; the lost attempt does not count
    // against its retries.
    Dispatch(step, state_.step(step).attempt + 1, /*rollback=*/false, /*rerun=*/true);
    return;
  }
  SetState(step, StepState::kUnknown, /*sync=*/true,
           "step '" + s.id.value +
               "' was running when the coordinator stopped and its outcome is lost; it is not "
               "idempotent, so a person must decide: retry, skip or mark done");
}

void RunEngine::ResumeStep(int step, const JournalFacts& facts) {
  const StepStatus& s = state_.step(step);
  switch (s.state) {
    case StepState::kWaiting:
      ArmNotBefore(step);  // fires at once when not_before passed during the stop
      return;
    case StepState::kRunning: {
      if (run_in_flight_[step] != 0 || state_.rolling_back()) return;
      // No attempt in flight: between attempts, or the stop cut short what follows one.
      const JournalFacts::PerStep& f = facts.steps[step];
      if (f.announced > s.attempt) {
        Dispatch(step, f.announced, /*rollback=*/false);  // announced, never dispatched
      } else if (f.has_result && f.result_attempt == s.attempt) {
        if (f.result_unrecovered) {
          LostAttempt(step);
        } else if (f.result_ok) {
          if (SetState(step, StepState::kSucceeded)) StepFinished(step);
        } else {
          AttemptFailed(step, f.result_time);  // the retry delay counts from the failure
        }
      } else {
        Dispatch(step, s.attempt + 1, /*rollback=*/false);
      }
      return;
    }
    case StepState::kAwaitingSignoff: {
      const Step& spec = runbook_.steps[step];
      if (spec.gate) {
        ResumeGate(step);
        return;
      }
      const StringList entries = spec.Signers();
      std::vector<std::string> people;
      for (const SignOffRecord& r : s.signoffs) people.push_back(r.person);
      if (!people.empty() && QuorumMet(entries, spec.signoff.quorum.value, people)) {
        if (SetState(step, StepState::kSucceeded, /*sync=*/true, "signed off")) StepFinished(step);
      }
      return;
    }
    case StepState::kPending:
    case StepState::kSucceeded:
    case StepState::kFailed:
    case StepState::kSkipped:
    case StepState::kCancelled:
    case StepState::kUnknown:
    case StepState::kRolledBack:
    case StepState::kRollbackFailed:
      return;
  }
}

void RunEngine::ResumeGate(int gate) {
  const GateSpec& g = *runbook_.steps[gate].gate;
  const StepStatus& s = state_.step(gate);
  // A decision recorded just before the stop, whose effect was not.
  std::vector<std::string> go_people;
  std::string actor;
  std::string reason;
  for (const SignOffRecord& r : s.signoffs) {
    if (r.vote == Decision::kNogo) {
      const std::string person = r.person;
      const std::string comment = r.comment;
      FinishGate(gate, Decision::kNogo, person, comment, false);
      return;
    }
    if (r.vote == Decision::kGo) {
      go_people.push_back(r.person);
      actor = r.person;
      reason = r.comment;
    }
  }
  if (!go_people.empty() && !g.approvers.empty() &&
      QuorumMet(g.approvers, g.quorum.value, go_people)) {
    std::string failed;
    const bool criteria_failed = CriteriaFailed(gate, &failed);
    FinishGate(gate, Decision::kGo, actor, reason, criteria_failed);
    return;
  }
  ArmGate(gate, s.started_at.value_or(scheduler_->Now()));
}

}  // namespace tminus
