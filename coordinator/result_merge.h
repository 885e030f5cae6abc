// One attempt fanned out to several agents succeeds only if it succeeds on every one of
// them (the runbook format). This folds the agents' results into the attempt's result.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/exec/executor.h"

namespace tminus {

// `results` holds (agent, result) in dispatch order, at least one. With one agent its
// result is the attempt's. With several: ok when all are; the exit code of the first
// failure (else the first agent's); timed out or cancelled when any was; the errors of
// the failures, each prefixed with its agent; the longest duration; and each agent's
// output tail under a "== agent ==" line.
ActionResult MergeResults(const std::vector<std::pair<std::string, ActionResult>>& results);

}  // namespace tminus
