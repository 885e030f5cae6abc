// The post-cutover report of one run, for the change record and the post-implementation
// review: summary, Gantt chart, people's sign-offs and decisions, what went off plan,
// delays ranked by what they cost the end time, agents and hosts, the journal's head hash
// and whether its chain verifies.
#pragma once

#include "engine/history/run_history.h"
#include "report/document.h"

namespace tminus::report {

Document RunReport(const RunHistory& h);

}  // namespace tminus::report
