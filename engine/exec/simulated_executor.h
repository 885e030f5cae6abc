// An executor that runs nothing: each attempt takes the scenario's duration (default: the
// step's planned duration; for rollbacks the rollback's) and fails when the scenario says
// so. An attempt longer than the step's timeout fails at the timeout.
#pragma once

#include <map>
#include <string>

#include "engine/base/scheduler.h"
#include "engine/exec/executor.h"
#include "engine/model/runbook.h"
#include "engine/model/scenario.h"
#include "engine/model/step_graph.h"

namespace tminus {

class SimulatedExecutor : public Executor {
 public:
  SimulatedExecutor(const Runbook& runbook, const StepGraph& graph, const Scenario& scenario,
                    Scheduler* scheduler)
      : runbook_(runbook), graph_(graph), scenario_(scenario), scheduler_(scheduler) {}

  void Start(const ActionRequest& request, Done done) override;
  void Cancel(const std::string& dispatch_id) override;

 private:
  const Runbook& runbook_;
  const StepGraph& graph_;
  const Scenario& scenario_;
  Scheduler* scheduler_;
  std::map<std::string, std::pair<Scheduler::TimerId, Done>> running_;
};

}  // namespace tminus
