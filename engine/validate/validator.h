// Whole-runbook checks after loading: duplicate ids, unknown references (needs, targets,
// vars, secrets, roles and people, criteria), dependency cycles, separation-of-duties
// lists, rollbacks past the point of no return, and whether the plan fits the window
// and the deadlines.
#pragma once

#include <optional>

#include "engine/base/diagnostic.h"
#include "engine/model/runbook.h"
#include "engine/model/time_spec.h"

namespace tminus {

struct ValidateOptions {
  // T0 to check window fit and deadlines against absolute times (else window.start).
  std::optional<Instant> t0;
};

void ValidateRunbook(const Runbook& runbook, const ValidateOptions& options,
                     Diagnostics* diagnostics);

// Checks that need only names: targets, vars and secrets in run specs, roles and people.
// (Part of ValidateRunbook; exposed for tests.)
void ValidateReferences(const Runbook& runbook, Diagnostics* diagnostics);

}  // namespace tminus
