#include "engine/model/runbook.h"

namespace tminus {

const char* StepTypeName(StepType type) {
  switch (type) {
    case StepType::kTask:
      return "task";
    case StepType::kCheck:
      return "check";
    case StepType::kManual:
      return "manual";
    case StepType::kGate:
      return "gate";
    case StepType::kMilestone:
      return "milestone";
  }
  return "task";
}

const char* OnFailureName(OnFailure value) {
  switch (value) {
    case OnFailure::kPause:
      return "pause";
    case OnFailure::kAbort:
      return "abort";
    case OnFailure::kRollback:
      return "rollback";
    case OnFailure::kContinue:
      return "continue";
  }
  return "pause";
}

const char* DecisionName(Decision value) {
  switch (value) {
    case Decision::kGo:
      return "go";
    case Decision::kNogo:
      return "nogo";
  }
  return "nogo";
}

const char* OnNogoName(OnNogo value) {
  switch (value) {
    case OnNogo::kRollback:
      return "rollback";
    case OnNogo::kAbort:
      return "abort";
  }
  return "rollback";
}

const Target* Runbook::FindTarget(std::string_view name) const {
  for (const Target& t : targets) {
    if (t.name.value == name) return &t;
  }
  return nullptr;
}

const Role* Runbook::FindRole(std::string_view name) const {
  for (const Role& r : roles) {
    if (r.name.value == name) return &r;
  }
  return nullptr;
}

bool Runbook::IsRoleOrPerson(std::string_view name) const {
  for (const Role& r : roles) {
    if (r.name.value == name) return true;
    for (const SourcedString& p : r.people) {
      if (p.value == name) return true;
    }
  }
  return false;
}

Seconds PlannedDuration(const Step& step) {
  if (step.type.value == StepType::kMilestone) return Seconds(0);
  return step.duration.value;
}

Seconds PlannedRollbackDuration(const Step& step) {
  if (step.rollback && step.rollback->duration.present()) return step.rollback->duration.value;
  return PlannedDuration(step);
}

}  // namespace tminus
