#include "engine/exec/simulated_operator.h"

#include <algorithm>

namespace tminus {
namespace {

std::vector<std::string> PeopleFor(const Runbook& rb, const SourcedString& entry) {
  if (const Role* role = rb.FindRole(entry.value)) {
    std::vector<std::string> people;
    for (const SourcedString& p : role->people) people.push_back(p.value);
    return people;
  }
  return {entry.value};
}

}  // namespace

std::vector<std::string> SimulatedOperator::Pick(const StringList& entries, const Quorum& quorum,
                                                 const std::vector<std::string>& exclude) const {
  const Runbook& rb = engine_->runbook();
  std::vector<std::string> chosen;
  auto usable = [&](const std::string& p) {
    return std::find(chosen.begin(), chosen.end(), p) == chosen.end() &&
           std::find(exclude.begin(), exclude.end(), p) == exclude.end();
  };
  if (quorum.all) {
    // One distinct person per entry, trying entries with fewer candidates first.
    std::vector<const SourcedString*> order;
    for (const SourcedString& e : entries) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [&](const SourcedString* a, const SourcedString* b) {
      return PeopleFor(rb, *a).size() < PeopleFor(rb, *b).size();
    });
    for (const SourcedString* e : order) {
      for (const std::string& p : PeopleFor(rb, *e)) {
        if (usable(p)) {
          chosen.push_back(p);
          break;
        }
      }
    }
    return chosen;
  }
  for (const SourcedString& e : entries) {
    for (const std::string& p : PeopleFor(rb, e)) {
      if (static_cast<int>(chosen.size()) >= quorum.count) return chosen;
      if (usable(p)) chosen.push_back(p);
    }
  }
  return chosen;
}

void SimulatedOperator::OnEvent(const RunEvent& event, const RunState& state) {
  const Runbook& rb = engine_->runbook();
  switch (event.type) {
    case EventType::kStepState:
      if (event.state == StepState::kAwaitingSignoff) {
        const StepType type = rb.steps[event.step].type.value;
        if (type == StepType::kManual) SignOffLater(event.step);
        if (type == StepType::kGate && !rb.steps[event.step].gate->approvers.empty()) {
          DecideLater(event.step);
        }
      } else if (event.state == StepState::kFailed && event.paused) {
        AnswerPause(event.step);
      }
      break;
    case EventType::kRollbackRefused:
    case EventType::kRollbackPaused:
      // A refused or failed rollback ends the simulation failed.
      scheduler_->Post([this] {
        if (!engine_->state().ended()) {
          engine_->Abort("operator", how_ + " operator ends the run after the rollback stopped")
              .IgnoreError();
        }
      });
      break;
    default:
      break;
  }
  (void)state;
}

void SimulatedOperator::SignOffLater(int step) {
  const Step& s = engine_->runbook().steps[step];
  Seconds after = PlannedDuration(s);
  auto it = scenario_.signoffs.find(s.id.value);
  if (it != scenario_.signoffs.end() && it->second.after) after = *it->second.after;
  scheduler_->At(scheduler_->Now() + Millis(after.count() * 1000), [this, step] {
    const Step& s = engine_->runbook().steps[step];
    if (engine_->state().step(step).state != StepState::kAwaitingSignoff) return;
    const StringList entries = s.Signers();
    for (const std::string& person : Pick(entries, s.signoff.quorum.value, {})) {
      if (engine_->state().step(step).state != StepState::kAwaitingSignoff) break;
      engine_->SignOff(s.id.value, person, how_ + " sign-off").IgnoreError();
    }
  });
}

void SimulatedOperator::DecideLater(int gate) {
  const Step& s = engine_->runbook().steps[gate];
  ScenarioGate plan;
  plan.decision = ScenarioGate::Kind::kGo;
  auto it = scenario_.gates.find(s.id.value);
  if (it != scenario_.gates.end()) {
    plan = it->second;
  } else {
    // Unscripted approvers say go when every criterion holds, and no-go otherwise: an
    // override of failed criteria happens only when the scenario asks for it.
    for (const SourcedString& c : s.gate->criteria) {
      const int i = engine_->FindStep(c.value);
      if (i >= 0 && engine_->state().step(i).state != StepState::kSucceeded) {
        plan.decision = ScenarioGate::Kind::kNogo;
      }
    }
  }
  if (plan.decision == ScenarioGate::Kind::kNone) return;
  const Seconds after = plan.after.value_or(PlannedDuration(s));
  scheduler_->At(scheduler_->Now() + Millis(after.count() * 1000), [this, gate, plan] {
    const Step& s = engine_->runbook().steps[gate];
    const RunState& st = engine_->state();
    if (st.step(gate).state != StepState::kAwaitingSignoff) return;
    std::vector<std::string> exclude;
    for (const SourcedString& id : s.gate->approvers_exclude) {
      const int i = engine_->FindStep(id.value);
      if (i < 0) continue;
      for (const SignOffRecord& r : st.step(i).signoffs) exclude.push_back(r.person);
    }
    if (plan.decision == ScenarioGate::Kind::kNogo) {
      Quorum one;
      for (const std::string& person : Pick(s.gate->approvers, one, exclude)) {
        engine_->Decide(s.id.value, person, Decision::kNogo, "no-go (" + how_ + ")").IgnoreError();
      }
      return;
    }
    for (const std::string& person : Pick(s.gate->approvers, s.gate->quorum.value, exclude)) {
      if (engine_->state().step(gate).state != StepState::kAwaitingSignoff) break;
      engine_->Decide(s.id.value, person, Decision::kGo, "go (" + how_ + ")").IgnoreError();
    }
  });
}

void SimulatedOperator::AnswerPause(int step) {
  const std::string id = engine_->runbook().steps[step].id.value;
  const PauseAction action = scenario_.on_pause;
  scheduler_->Post([this, id, action] {
    if (engine_->state().ended()) return;
    switch (action) {
      case PauseAction::kAbort:
        engine_->Abort("operator", how_ + " operator aborts at the pause of '" + id + "'").IgnoreError();
        break;
      case PauseAction::kRollback:
        engine_->Rollback("operator", false, how_ + " operator rolls back at the pause of '" + id + "'")
            .IgnoreError();
        break;
      case PauseAction::kSkip:
        engine_->Skip(id, "operator", how_ + " operator skips the failed step").IgnoreError();
        break;
    }
  });
}

}  // namespace tminus
