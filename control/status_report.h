// Where a run stands, as the control API's StatusReply: every step's state against its
// plan, a forecast end from what has happened and the planned durations of what has not,
// and the path that sets that forecast. Pure: built from the engine's state on its strand.
#pragma once

#include <string>

#include "engine/exec/run_state.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "tminus/v1/control.pb.h"

namespace tminus::control {

struct StatusInputs {
  const Runbook* runbook = nullptr;
  const StepGraph* graph = nullptr;
  const Plan* plan = nullptr;  // null when the runbook could not be planned
  const RunState* state = nullptr;
  std::string run_id;
  EngineTime now{0};  // engine time is Unix milliseconds in a live run
  int agents_connected = 0;
};

v1::StatusReply BuildStatus(const StatusInputs& in);

}  // namespace tminus::control
