// Two runs of the same runbook side by side (rehearsal and rehearsal, or rehearsal and
// live): how long each step took in each, which steps moved the end time and by how much,
// and how the chain of steps that set the end shifted. Steps are matched by id, so a
// runbook edited between the runs still compares.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/history/run_history.h"

namespace tminus {

struct StepComparison {
  std::string id;
  int step_a = -1;  // index in A's runbook, -1 when the step is not in A
  int step_b = -1;
  std::optional<Seconds> took_a, took_b;  // observed durations
  std::optional<Offset> start_a, start_b;  // from each run's own T0
  std::optional<StepState> state_a, state_b;
  bool chain_a = false, chain_b = false;  // on the chain that set each run's end
  // This step's share of the difference in end times: the end of B's plan replayed with
  // A's durations moves by this much when this step's duration changes from A's to B's
  // (steps changed one at a time, in the order they ran in B). The shares add up to the
  // difference the steps make.
  Seconds effect_on_end{0};
  std::optional<Seconds> delta() const {
    if (!took_a || !took_b) return std::nullopt;
    return *took_b - *took_a;
  }
};

struct Comparison {
  const RunHistory* a = nullptr;
  const RunHistory* b = nullptr;
  bool same_runbook = true;  // the runbook texts are identical
  std::vector<std::string> only_in_a, only_in_b;  // step ids
  Offset end_a{0}, end_b{0};   // each from its own T0
  Seconds end_delta{0};        // end_b - end_a
  Seconds steps_delta{0};      // what the steps' durations account for
  Seconds outside_delta{0};    // the rest: time outside the steps (late starts, waits)
  std::vector<StepComparison> steps;   // B's order, then the steps only in A
  std::vector<int> movers;             // indices into steps, the largest |effect| first
  std::vector<std::string> chain_joined;  // on B's chain and not on A's
  std::vector<std::string> chain_left;    // on A's chain and not on B's
  bool partially_attributed = false;  // too many changes to attribute one by one
};

// Fails when the runs are not of the same runbook (different names) or B's runbook
// cannot be planned.
absl::StatusOr<Comparison> CompareRuns(const RunHistory& a, const RunHistory& b);

}  // namespace tminus
