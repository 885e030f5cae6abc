// The people of a simulation: they sign off, decide gates and answer pauses as the
// scenario says (by default: everyone acts at the step's planned duration after it became
// ready, gates say go, and a pause is answered with abort). Acting people are chosen from
// the runbook's roles, distinct as quorum requires, never excluded ones.
#pragma once

#include <string>
#include <vector>

#include "engine/base/scheduler.h"
#include "engine/exec/run_engine.h"
#include "engine/model/scenario.h"

namespace tminus {

class SimulatedOperator : public RunObserver {
 public:
  // `how` names these people in the journal's comments and reasons: "simulated", or
  // "automatic" when a live demo run asked for automatic sign-offs.
  SimulatedOperator(RunEngine* engine, const Scenario& scenario, Scheduler* scheduler,
                    std::string how = "simulated")
      : engine_(engine), scenario_(scenario), scheduler_(scheduler), how_(std::move(how)) {}

  void OnEvent(const RunEvent& event, const RunState& state) override;

 private:
  void SignOffLater(int step);
  void DecideLater(int gate);
  void AnswerPause(int step);
  // People who could act for `entries`, enough for `quorum`, skipping `exclude`.
  std::vector<std::string> Pick(const StringList& entries, const Quorum& quorum,
                                const std::vector<std::string>& exclude) const;

  RunEngine* engine_;
  const Scenario& scenario_;
  Scheduler* scheduler_;
  const std::string how_;
};

}  // namespace tminus
