// The command line an SSH server runs for an attempt. SSH carries one string, which the
// remote user's shell parses, so argv is quoted for a POSIX shell word by word: every
// argument arrives verbatim, whatever quotes, `;`, `$()`, globs or newlines it holds.
// `shell:` actions are the explicit opt-in to shell syntax; their text is handed, quoted,
// to /bin/sh -c, as on the coordinator's host.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/exec/executor.h"

namespace tminus {

// `word` as one POSIX shell word: in single quotes, each ' written as '\''.
std::string ShellQuote(std::string_view word);

// "[export NAME='value'; ...] exec 'argv0' 'argv1'..." for a command, or
// "[export ...] exec /bin/sh -c 'TEXT'" for a shell action. `exec` replaces the remote
// shell, so the command is the session's process and its exit status the channel's.
// INVALID_ARGUMENT for an environment variable name that is not a shell name, or an
// empty argv.
absl::StatusOr<std::string> RemoteCommandLine(const ActionRequest& request);

}  // namespace tminus
