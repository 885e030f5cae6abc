// The acts people take on a run, as the run desk performs them, whichever way they came:
// what the coordinator's log calls each one, and the engine call it is.
#pragma once

#include <string>

#include "control/run_desk.h"

namespace tminus::control {

struct NamedAct {
  std::string what;  // "signs off 'cab-approval'"
  RunDesk::Act act;
};

NamedAct SignOffAct(const std::string& step, const std::string& comment);
NamedAct DecideAct(const std::string& gate, bool go, const std::string& reason);
// "retry", "skip" or "mark-done"; an act with no `act` for any other verb.
NamedAct StepAct(const std::string& verb, const std::string& step, const std::string& reason);
NamedAct AbortAct(const std::string& reason);
NamedAct RollbackAct(const std::string& reason, bool force);

}  // namespace tminus::control
