// Processes an attempt left behind when the process supervising it died: a coordinator
// killed with SIGKILL (or an agent) cannot stop its children, which go on running under
// init. Every command an executor starts carries its run id and dispatch id in its
// environment (TMINUS_RUN_ID, TMINUS_DISPATCH_ID), and so does everything it starts in
// turn; a restarted coordinator finds them by those marks and stops them before it decides
// what to do about the attempt, so that a re-run never races the first one.
//
// A process that leads its own session (it called setsid, as daemons do) left its attempt
// on purpose and is left alone, as LocalExecutor does when an attempt ends.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "engine/base/scheduler.h"

namespace tminus {

// The environment names every started command gets (later than the action's own `env`,
// so an action cannot hide from them).
inline constexpr char kRunIdVariable[] = "TMINUS_RUN_ID";
inline constexpr char kDispatchIdVariable[] = "TMINUS_DISPATCH_ID";
inline constexpr char kStepIdVariable[] = "TMINUS_STEP_ID";
inline constexpr char kAttemptVariable[] = "TMINUS_ATTEMPT";

struct Leftover {
  pid_t pid = 0;
  pid_t pgid = 0;
};

// The processes of this host (readable by this user) whose environment holds both marks,
// except session leaders and this process's own group. `proc` is the procfs mount.
std::vector<Leftover> FindLeftovers(const std::string& run_id, const std::string& dispatch_id,
                                    const std::string& proc = "/proc");

// Stops the process groups of `leftovers`: SIGTERM, then SIGKILL to whatever is still there
// after `grace`. Returns the pids that were running when it began, for the record.
std::vector<pid_t> StopLeftovers(const std::vector<Leftover>& leftovers, Millis grace);

}  // namespace tminus
