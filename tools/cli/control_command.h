// The operators' commands that talk to a running coordinator's control API
// (proto/tminus/v1/control.proto): status, signoff, decide, retry, skip, mark-done, abort,
// rollback, agents, watch. Identity comes from TMINUS_TOKEN or --token-file.
//
// Exit codes: 0 done (the act was accepted), 1 the coordinator refused the act (the
// reason is printed), 2 usage, connection or authentication errors.
#pragma once

#include <optional>
#include <string>

#include "tools/cli/commands.h"

namespace CLI {
class App;
}

namespace tminus::cli {

struct ControlArgs {
  std::string coordinator = "127.0.0.1:7442";
  std::optional<std::string> token_file;
  std::optional<std::string> tls_dir;  // ca.crt checks the coordinator's certificate
  bool insecure = false;
  bool json = false;
  // The act and its operands.
  std::string step;
  std::string decision;
  std::string comment;
  std::string reason;
  bool force = false;
};

// Adds the commands to `app`; RunControlCommand runs the one that was parsed, if any.
struct ControlCommands {
  ControlArgs args;
  CLI::App* status = nullptr;
  CLI::App* signoff = nullptr;
  CLI::App* decide = nullptr;
  CLI::App* retry = nullptr;
  CLI::App* skip = nullptr;
  CLI::App* mark_done = nullptr;
  CLI::App* abort = nullptr;
  CLI::App* rollback = nullptr;
  CLI::App* agents = nullptr;
  CLI::App* watch = nullptr;
};
void AddControlCommands(CLI::App& app, ControlCommands& commands);
std::optional<int> RunControlCommand(const ControlCommands& commands, const Output& io);

}  // namespace tminus::cli
