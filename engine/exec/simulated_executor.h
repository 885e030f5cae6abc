// An executor that runs nothing: each attempt takes the scenario's duration (default: the
// step's planned duration; for rollbacks the rollback's) and fails when the scenario says
// so. An attempt longer than the step's timeout fails at the timeout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/scheduler.h"
#include "engine/base/slot_pool.h"
#include "engine/exec/executor.h"
#include "engine/model/runbook.h"
#include "engine/model/scenario.h"
#include "engine/model/step_graph.h"

namespace tminus {

class SimulatedExecutor : public Executor {
 public:
  SimulatedExecutor(const Runbook& runbook, const StepGraph& graph, const Scenario& scenario,
                    Scheduler* scheduler)
      : runbook_(runbook),
        graph_(graph),
        scenario_(scenario),
        scheduler_(scheduler),
        running_(2 * runbook.steps.size(), -1) {}

  void Start(const ActionRequest& request, Done done) override;
  void Cancel(const std::string& dispatch_id) override;
  bool RunsActions() const override { return false; }

 private:
  // An attempt in progress. Attempts live in a pool; `running_` finds the one of each step
  // and kind (the engine never has two of the same step and kind in flight).
  struct Attempt {
    int step = -1;
    int attempt = 0;
    bool rollback = false;
    Scheduler::TimerId timer = 0;
    Done done;
    ActionResult result;
  };
  int& RunningSlot(int step, bool rollback) { return running_[2 * step + (rollback ? 1 : 0)]; }
  // Hands the attempt in `slot` its result and frees the slot.
  void Finish(int slot, const ActionResult* instead);

  const Runbook& runbook_;
  const StepGraph& graph_;
  const Scenario& scenario_;
  Scheduler* scheduler_;
  SlotPool<Attempt> pool_;
  std::vector<int> running_;  // per step and kind: the pool slot, or -1
};

}  // namespace tminus
