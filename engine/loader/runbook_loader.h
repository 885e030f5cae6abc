// YAML text to the runbook model. Reports every syntax, type and shape problem it finds
// (unknown keys, wrong types, bad durations and times, missing required keys) and keeps
// going, so one run shows them all. Cross-references are checked by the validator.
#pragma once

#include <string_view>

#include "engine/base/diagnostic.h"
#include "engine/loader/yaml_tree.h"
#include "engine/model/runbook.h"

namespace tminus {

struct LoadOptions {
  YamlLimits limits;
};

// Loads as much of the runbook as can be understood. Defaults (defaults.duration,
// defaults.timeout, defaults.on_failure) are applied to steps that do not set the key.
Runbook LoadRunbook(std::string_view text, Diagnostics* diagnostics,
                    const LoadOptions& options = {});

}  // namespace tminus
