// The plan as MS Project XML (MSPDI, the format Project's "Save as XML" writes and its
// "Open" reads; ProjectLibre, GanttProject and most planning tools read it too).
#pragma once

#include <string>

#include "engine/model/runbook.h"
#include "engine/plan/planner.h"

namespace tminus {

// Needs T0 (plan.t0_unix): MSPDI has only absolute dates, written in the runbook's offset
// without one ("2026-12-05T22:00:00").
//
// One summary task per stream (steps without one under "general"), in the order the
// streams first start, each step a task under it in plan order, with its duration (ISO
// 8601, "PT1H30M0S"), start and finish, a finish-to-start link per need, a "start no
// earlier than" constraint for a not_before, milestones for milestones, gates and steps of
// no duration, the step id in Text1 (named "tminus step id") and in the notes, and its
// owner as a resource assigned to it. The project uses a 24-hour calendar, as a cutover
// runs around the clock, so Project keeps the plan's times when it reschedules.
std::string WriteMsProjectXml(const Runbook& runbook, const Plan& plan);

}  // namespace tminus
