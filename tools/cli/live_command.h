// `tminus run` and `tminus resume`: the coordinator's live commands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace tminus::cli {

// What both live commands take about agents and people.
struct CoordinatorArgs {
  std::optional<std::string> listen;  // default 127.0.0.1:7441 when a step runs on agents
  std::optional<std::string> tls_dir;
  bool insecure = false;
  bool auto_signoff = false;
  std::string heartbeat_timeout = "15s";
  std::string recover_grace = "15s";
  int wait_agents = 0;
  std::string agent_wait = "10s";
  // The control API for operators: the operators file, and where to serve it (default
  // 127.0.0.1:7442 when an operators file is given).
  std::optional<std::string> operators;
  std::optional<std::string> control;
  // Plain HTTP for GET /metrics (Prometheus).
  std::optional<std::string> http;
  bool public_view = false;
  // Webhooks (repeatable), and the CAs to trust for their HTTPS instead of the system's.
  std::vector<std::string> webhooks;
  std::optional<std::string> webhook_ca;
};

struct RunArgs {
  std::string file;
  std::string journal;
  bool rehearsal = false;
  bool live_checks = false;
  std::optional<std::string> t0;
  CoordinatorArgs coordinator;
};
int RunRun(const RunArgs& args, const Output& io);

struct ResumeArgs {
  std::string journal;
  CoordinatorArgs coordinator;
};
int RunResume(const ResumeArgs& args, const Output& io);

}  // namespace tminus::cli
