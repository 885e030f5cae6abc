// A rehearsal on the real clock: every action is simulated (it takes its planned duration
// and succeeds) except, with --live-checks, the run actions of `check` steps, which really
// run where they would on the night: checks only read, so a rehearsal may run them.
#pragma once

#include <functional>
#include <string>

#include "engine/exec/executor.h"
#include "engine/model/runbook.h"

namespace tminus {

class RehearsalExecutor : public Executor {
 public:
  // `live` gives the real executor of a target (null when there is none).
  RehearsalExecutor(const Runbook& runbook, Executor* simulated,
                    std::function<Executor*(const std::string&)> live, bool live_checks)
      : runbook_(runbook), simulated_(simulated), live_(std::move(live)), live_checks_(live_checks) {}

  void Start(const ActionRequest& request, Done done) override {
    Route(request)->Start(request, std::move(done));
  }
  void Cancel(const std::string& dispatch_id) override {
    simulated_->Cancel(dispatch_id);
    for (const Target& t : runbook_.targets) {
      if (Executor* e = live_(t.name.value)) e->Cancel(dispatch_id);
    }
    if (Executor* e = live_("local")) e->Cancel(dispatch_id);
  }
  void Recover(const ActionRequest& request, Millis grace, Done done) override {
    Route(request)->Recover(request, grace, std::move(done));
  }

 private:
  Executor* Route(const ActionRequest& request) const {
    const bool check = request.step_index >= 0 &&
                       runbook_.steps[request.step_index].type.value == StepType::kCheck;
    if (live_checks_ && check && !request.rollback) {
      if (Executor* e = live_(request.target)) return e;
    }
    return simulated_;
  }

  const Runbook& runbook_;
  Executor* simulated_;
  std::function<Executor*(const std::string&)> live_;
  const bool live_checks_;
};

}  // namespace tminus
