// The plan as a task list for spreadsheets: what `tminus plan --csv` writes, and what
// `tminus import --csv` reads back into the same steps.
#pragma once

#include <string>
#include <vector>

#include "engine/model/runbook.h"
#include "engine/plan/planner.h"

namespace tminus {

// A header row, then one row per step in plan order: ID, Title, Stream, Owner, Type,
// Duration, Planned start, Planned end, Predecessors (the needs, comma-separated in one
// field), Critical (yes/no), Slack. Times are "2026-12-05 22:00" in the runbook's offset
// when T0 is known, else T-times ("T+01:30"); durations as the format writes them
// ("1h30m"). UTF-8 with a byte order mark (so Excel reads it as UTF-8), CRLF line ends,
// fields quoted per RFC 4180.
std::string WriteTaskCsv(const Runbook& runbook, const Plan& plan);

}  // namespace tminus
