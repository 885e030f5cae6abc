// Turns a runbook action into an executor request: ${var} and ${secrets.x} substituted per
// argv element (a value can never become two arguments or reach a shell it was not
// written for), plus a secret-free description for the journal.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/exec/executor.h"
#include "engine/model/runbook.h"

namespace tminus {

// Substitutes references in `text`. Unknown secrets become "***" (simulation resolves no
// secrets); unknown vars cannot happen in a validated runbook and are left as written.
std::string Substitute(std::string_view text, const Runbook& runbook,
                       const std::map<std::string, std::string>& secrets);

// The id of one attempt, unique in a run: "<step>#<attempt>" or "<step>#rollback<attempt>".
std::string DispatchId(const std::string& step_id, int attempt, bool rollback);

// The attempt alone: ids, target and timeout (enough for an executor that runs nothing).
ActionRequest BuildAttempt(const Step& step, const Action& action, int attempt, bool rollback);
// The attempt and the action, substituted.
ActionRequest BuildRequest(const Runbook& runbook, const Step& step, const Action& action,
                           int attempt, bool rollback,
                           const std::map<std::string, std::string>& secrets);

// The action as written, for the journal and people: "command: /bin/x --y 'a b'",
// "shell: ...", "probe: tcp 10.0.0.1:1521". References stay unsubstituted.
std::string DescribeAction(const Action& action);

// Resolves the runbook's secrets from the environment or files. Fails naming the secret
// and its source when one cannot be read.
absl::StatusOr<std::map<std::string, std::string>> ResolveSecrets(const Runbook& runbook);

}  // namespace tminus
