// `tminus simulate`: the real engine on a virtual clock that jumps from timer to timer,
// outcomes from a scenario, nothing executed. With no scenario the simulated times equal
// the plan's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/exec/event_sink.h"
#include "engine/exec/run_state.h"
#include "engine/model/runbook.h"
#include "engine/model/scenario.h"
#include "engine/model/step_graph.h"

namespace tminus {

struct SimulationOptions {
  std::optional<Instant> t0;  // overrides window.start
  EventSink* sink = nullptr;  // the journal, or nullptr to record nothing
  bool keep_events = true;    // keep every event for the timeline
  std::string runbook_text;
};

struct SimulationResult {
  RunState state;
  std::vector<RunEvent> events;
  EngineTime t0{0};
  bool t0_known = false;
  int utc_offset_minutes = 0;
  // The run did not end: nothing was left to happen (a gate never decided, say).
  bool stalled = false;
  std::string stalled_reason;
  absl::Status halted;  // a journal failure stopped the run
};

absl::StatusOr<SimulationResult> Simulate(const Runbook& runbook, const StepGraph& graph,
                                          const Scenario& scenario,
                                          const SimulationOptions& options);

}  // namespace tminus
