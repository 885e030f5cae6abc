#include "engine/executors/remote_command.h"

namespace tminus {
namespace {

bool IsShellName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string ShellQuote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

absl::StatusOr<std::string> RemoteCommandLine(const ActionRequest& request) {
  std::string line;
  for (const auto& [name, value] : request.env) {
    if (!IsShellName(name)) {
      return absl::InvalidArgumentError("environment variable name " + ShellQuote(name) +
                                        " is not a shell name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    line += "export " + name + "=" + ShellQuote(value) + "; ";
  }
  line += "exec";
  if (request.kind == Action::Kind::kShell) return line + " /bin/sh -c " + ShellQuote(request.shell);
  if (request.argv.empty()) return absl::InvalidArgumentError("the command is empty");
  // A first word that starts with '-' would read as an option of exec.
  if (!request.argv[0].empty() && request.argv[0][0] == '-') line += " --";
  for (const std::string& arg : request.argv) line += " " + ShellQuote(arg);
  return line;
}

}  // namespace tminus
