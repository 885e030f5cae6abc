// How a run's events and final state read for people: one line per event, a table per
// step. Shared by `simulate` (after the fact) and `run` (as it happens).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/base/scheduler.h"
#include "engine/exec/run_event.h"
#include "engine/exec/run_state.h"
#include "engine/model/runbook.h"
#include "engine/model/time_spec.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {

// Times of a run for people: clock times in the runbook's offset and T-times.
struct Clock {
  EngineTime t0;
  bool known;
  int offset_minutes;

  Seconds Offset(EngineTime t) const { return Seconds((t - t0).count() / 1000); }
  std::string At(EngineTime t) const {
    if (!known) return "";
    return FormatClock(t.count() / 1000, offset_minutes);
  }
};

// What an event means for people ("running (attempt 2)", "decided GO by ana"), or "" for
// an event not worth a line.
std::string Describe(const RunEvent& e, const Runbook& rb);

// Whether an event deserves attention (failures, rollbacks, missed deadlines, the end).
bool IsLoud(const RunEvent& e);

// One row per step: state, decision, attempts, start, end, rollback. Returns the steps
// that missed their deadline.
std::vector<std::string> PrintStepTable(const Runbook& rb, const RunState& state,
                                        const Clock& clock, std::ostream& out, const Style& style);

}  // namespace tminus::cli
