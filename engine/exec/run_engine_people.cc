// Gates, sign-offs and operator commands: who may do what, and what it does.
#include <algorithm>
#include <functional>
#include <set>

#include "engine/exec/run_engine.h"

namespace tminus {

absl::Status RunEngine::Reject(const std::string& actor, const std::string& command, int step,
                               const std::string& why) {
  RunEvent e = MakeEvent(EventType::kRejected, step, why, actor);
  e.command_name = command;
  Emit(std::move(e), /*sync=*/true);
  return absl::FailedPreconditionError(why);
}

bool RunEngine::Eligible(const std::string& person, const SourcedString& entry) const {
  if (entry.value == person) return true;
  auto extra = options_.extra_roles.find(person);
  if (extra != options_.extra_roles.end() &&
      std::find(extra->second.begin(), extra->second.end(), entry.value) != extra->second.end()) {
    return true;
  }
  const Role* role = runbook_.FindRole(entry.value);
  if (role == nullptr) return false;
  for (const SourcedString& p : role->people) {
    if (p.value == person) return true;
  }
  return false;
}

// Quorum `all` asks for every entry (role or person) to be covered by a different person:
// a bipartite matching of entries to people, found by augmenting paths.
bool RunEngine::QuorumMet(const StringList& entries, const Quorum& quorum,
                          const std::vector<std::string>& people) const {
  if (!quorum.all) return static_cast<int>(people.size()) >= quorum.count;
  std::vector<int> owner(people.size(), -1);  // person -> entry
  std::function<bool(size_t, std::vector<char>&)> assign = [&](size_t entry, std::vector<char>& seen) {
    for (size_t p = 0; p < people.size(); ++p) {
      if (seen[p] || !Eligible(people[p], entries[entry])) continue;
      seen[p] = 1;
      if (owner[p] < 0 || assign(static_cast<size_t>(owner[p]), seen)) {
        owner[p] = static_cast<int>(entry);
        return true;
      }
    }
    return false;
  };
  for (size_t e = 0; e < entries.size(); ++e) {
    std::vector<char> seen(people.size(), 0);
    if (!assign(e, seen)) return false;
  }
  return true;
}

bool RunEngine::CriteriaFailed(int gate, std::string* which) const {
  for (const SourcedString& c : runbook_.steps[gate].gate->criteria) {
    const int i = FindStep(c.value);
    if (i < 0) continue;
    const StepState s = state_.step(i).state;
    if (s != StepState::kSucceeded) {
      *which = c.value + " " + StepStateName(s);
      return true;
    }
  }
  return false;
}

std::vector<std::string> RunEngine::ExcludedPeople(int gate) const {
  std::vector<std::string> people;
  for (const SourcedString& id : runbook_.steps[gate].gate->approvers_exclude) {
    const int i = FindStep(id.value);
    if (i < 0) continue;
    for (const SignOffRecord& r : state_.step(i).signoffs) people.push_back(r.person);
  }
  return people;
}

void RunEngine::OpenGate(int gate) {
  if (!SetState(gate, StepState::kAwaitingSignoff, false, "gate open")) return;
  ArmGate(gate, scheduler_->Now());
}

void RunEngine::ArmGate(int gate, EngineTime opened_at) {
  const Step& s = runbook_.steps[gate];
  const GateSpec& g = *s.gate;
  std::string failed;
  const bool criteria_failed = CriteriaFailed(gate, &failed);
  if (criteria_failed && (!g.override_.value || g.approvers.empty())) {
    FinishGate(gate, Decision::kNogo, "engine", "criterion " + failed, false);
    return;
  }
  if (g.approvers.empty()) {
    // The gate decides itself: go, since every criterion holds.
    if (options_.auto_gates_take_planned_duration && PlannedDuration(s).count() > 0) {
      scheduler_->At(opened_at + Millis(PlannedDuration(s).count() * 1000), [this, gate] {
        if (state_.step(gate).state == StepState::kAwaitingSignoff && !state_.ended() &&
            !state_.rolling_back()) {
          FinishGate(gate, Decision::kGo, "engine", "every criterion holds", false);
        }
      });
    } else {
      FinishGate(gate, Decision::kGo, "engine", "every criterion holds", false);
    }
    return;
  }
  if (const std::optional<EngineTime> by = InstantTime(g.decide_by)) {
    auto timeout = [this, gate] {
      if (state_.step(gate).state != StepState::kAwaitingSignoff || state_.ended() ||
          state_.rolling_back()) {
        return;
      }
      const GateSpec& spec = *runbook_.steps[gate].gate;
      Decision d = spec.on_timeout.value;
      std::string why;
      if (d == Decision::kGo && CriteriaFailed(gate, &why)) d = Decision::kNogo;
      FinishGate(gate, d, "engine",
                 std::string("undecided at decide_by: on_timeout ") + DecisionName(spec.on_timeout.value),
                 false);
    };
    if (*by <= scheduler_->Now()) {
      timeout();
    } else {
      scheduler_->At(*by, timeout);
    }
  }
}

void RunEngine::FinishGate(int gate, Decision decision, const std::string& actor,
                           const std::string& reason, bool override_used) {
  RunEvent e = MakeEvent(EventType::kStepState, gate, reason, actor);
  e.state = decision == Decision::kGo ? StepState::kSucceeded : StepState::kFailed;
  e.decided = true;
  e.decision = decision;
  e.override_ = override_used;
  if (!IsLegalTransition(state_.step(gate).state, e.state)) return;
  if (!Emit(std::move(e), /*sync=*/true)) return;
  if (decision == Decision::kGo) {
    StepFinished(gate);
    return;
  }
  const Step& s = runbook_.steps[gate];
  const std::string why = "gate '" + s.id.value + "' decided no-go";
  if (s.gate->on_nogo.value == OnNogo::kAbort) {
    DoAbort("engine", why + " (on_nogo: abort)");
  } else {
    StartRollback("engine", /*forced=*/false, why);
  }
}

absl::Status RunEngine::SignOff(const std::string& step_id, const std::string& person,
                                const std::string& comment) {
  const int step = FindStep(step_id);
  if (step < 0) return Reject(person, "signoff", -1, "there is no step '" + step_id + "'");
  const Step& s = runbook_.steps[step];
  const StepStatus& st = state_.step(step);
  if (s.type.value != StepType::kManual) {
    return Reject(person, "signoff", step,
                  "'" + step_id + "' is a " + StepTypeName(s.type.value) + " step; only manual steps are signed off");
  }
  if (st.state != StepState::kAwaitingSignoff) {
    return Reject(person, "signoff", step,
                  "'" + step_id + "' is not waiting for a sign-off (it is " + StepStateName(st.state) + ")");
  }
  const StringList entries = s.Signers();
  const SourcedString* as = nullptr;
  for (const SourcedString& e : entries) {
    if (Eligible(person, e)) {
      as = &e;
      break;
    }
  }
  if (as == nullptr) {
    std::string list;
    for (const SourcedString& e : entries) list += (list.empty() ? "" : ", ") + e.value;
    return Reject(person, "signoff", step,
                  person + " may not sign off '" + step_id + "': it needs " + list);
  }
  std::vector<std::string> people;
  for (const SignOffRecord& r : st.signoffs) {
    if (r.person == person) {
      return Reject(person, "signoff", step, person + " has already signed off '" + step_id + "'");
    }
    people.push_back(r.person);
  }
  RunEvent e = MakeEvent(EventType::kSignOff, step, comment, person);
  e.as = as->value;
  if (!Emit(std::move(e), /*sync=*/true)) return halted_;
  people.push_back(person);
  if (QuorumMet(entries, s.signoff.quorum.value, people)) {
    if (SetState(step, StepState::kSucceeded, /*sync=*/true, "signed off")) StepFinished(step);
  }
  return absl::OkStatus();
}

absl::Status RunEngine::Decide(const std::string& gate_id, const std::string& person,
                               Decision decision, const std::string& reason) {
  const int gate = FindStep(gate_id);
  if (gate < 0) return Reject(person, "decide", -1, "there is no gate '" + gate_id + "'");
  const Step& s = runbook_.steps[gate];
  if (!s.gate) return Reject(person, "decide", gate, "'" + gate_id + "' is not a gate");
  const StepStatus& st = state_.step(gate);
  if (st.state != StepState::kAwaitingSignoff) {
    const std::string now = st.decision ? std::string("already decided ") + DecisionName(*st.decision)
                                        : std::string("it is ") + StepStateName(st.state);
    return Reject(person, "decide", gate, "gate '" + gate_id + "' is not open for a decision (" + now + ")");
  }
  const GateSpec& g = *s.gate;
  if (g.approvers.empty()) {
    return Reject(person, "decide", gate, "gate '" + gate_id + "' has no approvers; it decides itself");
  }
  const SourcedString* as = nullptr;
  for (const SourcedString& a : g.approvers) {
    if (Eligible(person, a)) {
      as = &a;
      break;
    }
  }
  if (as == nullptr) {
    std::string list;
    for (const SourcedString& a : g.approvers) list += (list.empty() ? "" : ", ") + a.value;
    return Reject(person, "decide", gate, person + " is not an approver of gate '" + gate_id + "' (" + list + ")");
  }
  const std::vector<std::string> excluded = ExcludedPeople(gate);
  if (std::find(excluded.begin(), excluded.end(), person) != excluded.end()) {
    return Reject(person, "decide", gate,
                  person + " signed off a step this gate checks, so may not approve it (approvers_exclude)");
  }
  std::vector<std::string> go_people;
  for (const SignOffRecord& r : st.signoffs) {
    if (r.person == person) {
      return Reject(person, "decide", gate, person + " has already decided on gate '" + gate_id + "'");
    }
    if (r.vote == Decision::kGo) go_people.push_back(r.person);
  }
  std::string failed;
  const bool criteria_failed = CriteriaFailed(gate, &failed);
  if (decision == Decision::kGo && criteria_failed) {
    if (!g.override_.value) {
      return Reject(person, "decide", gate, "go is not possible: criterion " + failed);
    }
    if (reason.empty()) {
      return Reject(person, "decide", gate, "an override of failed criteria needs a reason");
    }
  }
  RunEvent e = MakeEvent(EventType::kDecision, gate, reason, person);
  e.as = as->value;
  e.decision = decision;
  e.override_ = decision == Decision::kGo && criteria_failed;
  if (!Emit(std::move(e), /*sync=*/true)) return halted_;
  if (decision == Decision::kNogo) {
    FinishGate(gate, Decision::kNogo, person, reason, false);
    return absl::OkStatus();
  }
  go_people.push_back(person);
  if (QuorumMet(g.approvers, g.quorum.value, go_people)) {
    FinishGate(gate, Decision::kGo, person, reason, criteria_failed);
  }
  return absl::OkStatus();
}

namespace {

RunEvent OperatorEvent(const std::string& command, int step, const std::string& person,
                       const std::string& reason, bool forced = false) {
  RunEvent e = MakeEvent(EventType::kOperator, step, reason, person);
  e.command_name = command;
  e.forced = forced;
  return e;
}

}  // namespace

absl::Status RunEngine::Retry(const std::string& step_id, const std::string& person,
                              const std::string& reason) {
  const int step = FindStep(step_id);
  if (step < 0) return Reject(person, "retry", -1, "there is no step '" + step_id + "'");
  if (state_.ended()) return Reject(person, "retry", step, "the run has ended");
  const Step& s = runbook_.steps[step];
  const StepStatus& st = state_.step(step);
  if (st.state == StepState::kRollbackFailed && state_.rolling_back()) {
    if (!Emit(OperatorEvent("retry_rollback", step, person, reason), true)) return halted_;
    ++rollback_running_;
    Dispatch(step, st.rollback_attempt + 1, /*rollback=*/true);
    ResumeRollback();
    return absl::OkStatus();
  }
  if (state_.rolling_back()) return Reject(person, "retry", step, "a rollback is under way");
  if (!s.automated()) {
    return Reject(person, "retry", step,
                  "only tasks and checks can be retried; skip '" + step_id + "' to roll forward");
  }
  if (!((st.state == StepState::kFailed && (st.paused || state_.rollback_refused())) ||
        st.state == StepState::kUnknown)) {
    return Reject(person, "retry", step,
                  "'" + step_id + "' is " + StepStateName(st.state) + ", not paused after a failure or unknown");
  }
  if (!Emit(OperatorEvent("retry", step, person, reason), true)) return halted_;
  Dispatch(step, state_.step(step).attempt + 1, /*rollback=*/false);
  return absl::OkStatus();
}

absl::Status RunEngine::Skip(const std::string& step_id, const std::string& person,
                             const std::string& reason) {
  const int step = FindStep(step_id);
  if (step < 0) return Reject(person, "skip", -1, "there is no step '" + step_id + "'");
  if (state_.ended()) return Reject(person, "skip", step, "the run has ended");
  if (reason.empty()) return Reject(person, "skip", step, "skipping a step needs a reason");
  const StepStatus& st = state_.step(step);
  if (st.state == StepState::kRollbackFailed && state_.rolling_back()) {
    if (!Emit(OperatorEvent("skip_rollback", step, person, reason), true)) return halted_;
    RollbackNodeComplete(step);
    ResumeRollback();
    return absl::OkStatus();
  }
  if (state_.rolling_back()) return Reject(person, "skip", step, "a rollback is under way");
  switch (st.state) {
    case StepState::kPending:
    case StepState::kWaiting:
    case StepState::kAwaitingSignoff:
    case StepState::kUnknown:
      break;
    case StepState::kFailed:
      if (st.paused || runbook_.steps[step].gate || state_.rollback_refused()) break;
      [[fallthrough]];
    case StepState::kRunning:
    case StepState::kSucceeded:
    case StepState::kSkipped:
    case StepState::kCancelled:
    case StepState::kRolledBack:
    case StepState::kRollbackFailed:
      return Reject(person, "skip", step,
                    "'" + step_id + "' is " + StepStateName(st.state) + " and cannot be skipped");
  }
  if (!Emit(OperatorEvent("skip", step, person, reason), true)) return halted_;
  if (!SetState(step, StepState::kSkipped, true, reason)) return halted_;
  StepFinished(step);
  return absl::OkStatus();
}

absl::Status RunEngine::MarkDone(const std::string& step_id, const std::string& person,
                                 const std::string& reason) {
  const int step = FindStep(step_id);
  if (step < 0) return Reject(person, "mark_done", -1, "there is no step '" + step_id + "'");
  if (state_.ended()) return Reject(person, "mark_done", step, "the run has ended");
  // As for retry and skip: the rollback decides what is undone from the states it started
  // with, so no step may become done under it.
  if (state_.rolling_back()) return Reject(person, "mark_done", step, "a rollback is under way");
  if (state_.step(step).state != StepState::kUnknown) {
    return Reject(person, "mark_done", step,
                  "only a step in state unknown can be marked done; '" + step_id + "' is " +
                      StepStateName(state_.step(step).state));
  }
  if (reason.empty()) return Reject(person, "mark_done", step, "marking a step done needs a reason");
  if (!Emit(OperatorEvent("mark_done", step, person, reason), true)) return halted_;
  if (!SetState(step, StepState::kSucceeded, true, reason)) return halted_;
  StepFinished(step);
  return absl::OkStatus();
}

absl::Status RunEngine::Abort(const std::string& person, const std::string& reason) {
  if (state_.ended()) return Reject(person, "abort", -1, "the run has already ended");
  if (reason.empty()) return Reject(person, "abort", -1, "aborting needs a reason");
  if (!Emit(OperatorEvent("abort", -1, person, reason), true)) return halted_;
  AbortNow(person, reason);
  return absl::OkStatus();
}

void RunEngine::AbortNow(const std::string& person, const std::string& reason) {
  if (state_.rolling_back() || state_.rollback_refused()) {
    // Ending a rollback that failed or was refused: the run ends failed, without it.
    if (rollback_running_ > 0) {
      abort_when_rollback_idle_ = true;
      return;
    }
    CancelActiveSteps("the run was ended");
    EndRun(RunPhase::kFailed, "ended by " + person + " without completing the rollback: " + reason);
    return;
  }
  DoAbort(person, reason);
}

absl::Status RunEngine::Rollback(const std::string& person, bool force, const std::string& reason) {
  if (state_.ended()) return Reject(person, "rollback", -1, "the run has already ended");
  if (reason.empty()) return Reject(person, "rollback", -1, "a rollback needs a reason");
  if (state_.rolling_back()) {
    return Reject(person, "rollback", -1,
                  "a rollback is already under way; retry or skip a failed rollback action");
  }
  if (!Emit(OperatorEvent("rollback", -1, person, reason, force), true)) return halted_;
  StartRollback(person, force, reason);
  return absl::OkStatus();
}

}  // namespace tminus
