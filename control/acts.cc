#include "control/acts.h"

namespace tminus::control {

NamedAct SignOffAct(const std::string& step, const std::string& comment) {
  return {"signs off '" + step + "'", [step, comment](RunEngine& e, const std::string& who) {
            return e.SignOff(step, who, comment);
          }};
}

NamedAct DecideAct(const std::string& gate, bool go, const std::string& reason) {
  return {"decides '" + gate + "' " + (go ? "go" : "nogo"),
          [gate, go, reason](RunEngine& e, const std::string& who) {
            return e.Decide(gate, who, go ? Decision::kGo : Decision::kNogo, reason);
          }};
}

NamedAct StepAct(const std::string& verb, const std::string& step, const std::string& reason) {
  using Method = absl::Status (RunEngine::*)(const std::string&, const std::string&, const std::string&);
  Method method = nullptr;
  std::string says;
  if (verb == "retry") {
    method = &RunEngine::Retry;
    says = "retries";
  } else if (verb == "skip") {
    method = &RunEngine::Skip;
    says = "skips";
  } else if (verb == "mark-done") {
    method = &RunEngine::MarkDone;
    says = "marks done";
  } else {
    return {};
  }
  return {says + " '" + step + "'", [step, reason, method](RunEngine& e, const std::string& who) {
            return (e.*method)(step, who, reason);
          }};
}

NamedAct AbortAct(const std::string& reason) {
  return {"aborts the run",
          [reason](RunEngine& e, const std::string& who) { return e.Abort(who, reason); }};
}

NamedAct RollbackAct(const std::string& reason, bool force) {
  return {force ? "forces a rollback" : "starts a rollback",
          [reason, force](RunEngine& e, const std::string& who) { return e.Rollback(who, force, reason); }};
}

}  // namespace tminus::control
