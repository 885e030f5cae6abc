// A what-if scenario for `tminus simulate`: outcomes of automated steps, when people sign
// off, how gates are decided, how rollback actions go, and what the operator does when
// the run pauses. Steps not named take their planned duration and succeed.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "engine/base/source_loc.h"
#include "engine/model/runbook.h"
#include "engine/model/time_spec.h"

namespace tminus {

struct ScenarioStep {
  SourceLoc loc;
  bool fail = false;                 // every attempt fails
  int fail_attempts = 0;             // the first N attempts fail
  std::optional<Seconds> duration;   // each attempt takes this long
};

struct ScenarioSignOff {
  SourceLoc loc;
  std::optional<Seconds> after;  // after the step became ready (default: planned duration)
};

struct ScenarioGate {
  SourceLoc loc;
  enum class Kind { kGo, kNogo, kNone };
  Kind decision = Kind::kGo;
  std::optional<Seconds> after;  // default: planned duration
};

struct ScenarioRollback {
  SourceLoc loc;
  bool fail = false;
  std::optional<Seconds> duration;
};

enum class PauseAction { kAbort, kRollback, kSkip };

struct Scenario {
  std::map<std::string, ScenarioStep> steps;
  std::map<std::string, ScenarioSignOff> signoffs;
  std::map<std::string, ScenarioGate> gates;
  std::map<std::string, ScenarioRollback> rollback;
  PauseAction on_pause = PauseAction::kAbort;
};

}  // namespace tminus
