// The critical-path plan of a runbook, exactly as the format defines it: the origin is
// T0 or the earliest not_before before it; a step starts at the latest of its
// not_before and the planned ends of its needs (the origin when it has neither); the
// critical path is the chain that determines the last planned end; slack is how far a
// step can slip without moving that end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace tminus {

struct PlannedStep {
  Seconds start{0};  // offsets from T0
  Seconds end{0};
  Seconds slack{0};
  bool critical = false;
  // The need whose end sets this step's start (-1: its not_before or the origin).
  int driver = -1;
};

struct Plan {
  std::optional<int64_t> t0_unix;  // known when window.start or --t0 gives it
  int utc_offset_minutes = 0;      // the runbook's offset, for clock times
  Seconds origin{0};
  Seconds end{0};
  std::optional<Seconds> window_end;
  bool fits_window = true;
  std::vector<int> critical_path;  // step indices, first to last
  std::vector<PlannedStep> steps;  // by step index

  // Planned durations used; by default the runbook's own.
  std::vector<Seconds> durations;
};

struct PlanOptions {
  // Overrides window.start as T0.
  std::optional<Instant> t0;
  // By step index: a duration to plan with instead of the runbook's (observed durations
  // from earlier runs). Empty, or std::nullopt for a step, keeps the runbook's.
  std::vector<std::optional<Seconds>> durations;
};

// T0 for a runbook: --t0 when given, else window.start; unknown otherwise.
std::optional<Instant> ResolveT0(const Runbook& runbook, const PlanOptions& options);

// Step indices in plan order: by planned start, steps that start together in file order.
std::vector<int> PlanOrder(const Plan& plan);

// Plans a runbook that loaded and validated without errors (the graph must be acyclic).
// Fails when an absolute time is used but T0 is unknown.
absl::StatusOr<Plan> MakePlan(const Runbook& runbook, const StepGraph& graph,
                              const PlanOptions& options = {});

}  // namespace tminus
