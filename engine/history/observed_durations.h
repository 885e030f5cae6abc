// Durations as earlier runs observed them, for `tminus plan --durations-from`: the next
// rehearsal's forecast based on evidence rather than on estimates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/history/run_history.h"

namespace tminus {

struct ObservedDurations {
  // By step index of the runbook being planned: the median of the durations the runs
  // observed for the step (matched by id), or nullopt when no run completed it.
  std::vector<std::optional<Seconds>> durations;
  std::vector<int> samples;  // how many runs observed each step
  int runs = 0;
  int steps_observed = 0;
};

// Fails when a run is of another runbook (its name differs).
absl::StatusOr<ObservedDurations> ObserveDurations(const Runbook& runbook,
                                                   const std::vector<const RunHistory*>& runs);

}  // namespace tminus
