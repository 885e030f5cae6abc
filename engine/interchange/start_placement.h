// Where an imported sheet's start times go: T0, and a not_before on each step whose start
// its needs do not already give, so that the plan starts every step where the sheet does.
#pragma once

#include <optional>
#include <vector>

#include "engine/base/diagnostic.h"
#include "engine/interchange/runbook_yaml.h"
#include "engine/interchange/task_sheet.h"

namespace tminus {

// `needs` and `order` (a dependency order) are by task; `steps` are the tasks' steps, with
// their durations. T0 is `t0` when given, else the earliest absolute start (local times
// are read in the offset of the first time that has one, else as UTC, with a warning),
// else unknown. A step without needs gets a not_before when it starts anywhere but T0 (or
// anywhere at all when something starts before T0); a step with needs when it starts later
// than they end. A start earlier than its needs allow is reported and left to them.
// Returns T0, for window.start.
std::optional<Instant> PlaceStarts(const TaskSheet& sheet, const std::optional<Instant>& t0,
                                   const std::vector<std::vector<int>>& needs,
                                   const std::vector<int>& order, std::vector<SkeletonStep>* steps,
                                   Diagnostics* diagnostics);

}  // namespace tminus
