// Scenario YAML (see `tminus simulate --help` and the runbook reference) to the model,
// checked against the runbook it will be played on.
#pragma once

#include <string_view>

#include "engine/base/diagnostic.h"
#include "engine/model/runbook.h"
#include "engine/model/scenario.h"

namespace tminus {

Scenario LoadScenario(std::string_view text, const Runbook& runbook, Diagnostics* diagnostics);

}  // namespace tminus
