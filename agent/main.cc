// tminus-agent: runs the steps a tminus coordinator dispatches to this host. This file
// only parses the command line and hands over to RunAgent.
#include <iostream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "agent/agent_config.h"
#include "agent/event_log.h"
#include "agent/run_agent.h"
#include "net/link_args.h"

#ifndef TMINUS_VERSION
#define TMINUS_VERSION "unknown"
#endif

namespace {
constexpr int kExitUsage = 2;
}  // namespace

int main(int argc, char** argv) {
  using namespace tminus::agent;
  tminus::net::DisableMutexDeadlockDetection();
  CLI::App app{
      "tminus-agent: runs the steps a tminus coordinator dispatches to this host.\n"
      "It dials out to the coordinator (no inbound port), keeps one stream open, and runs\n"
      "commands, shells and probes as the coordinator's `on: local` would."};
  app.set_version_flag("--version", "tminus-agent " TMINUS_VERSION);

  AgentFlags flags;
  app.add_option("--coordinator", flags.coordinator, "The coordinator's address, HOST:PORT")
      ->type_name("ADDR")
      ->required();
  app.add_option("--label", flags.labels,
                 "A label that runbook selectors (targets.X.agents) match; repeatable")
      ->type_name("KEY=VALUE");
  app.add_option("--tls-dir", flags.tls_dir,
                 "Mutual TLS from DIR/ca.crt, DIR/agent.crt and DIR/agent.key")
      ->type_name("DIR");
  app.add_option("--id", flags.id,
                 "The agent's id (default: the common name of DIR/agent.crt; required with "
                 "--insecure)")
      ->type_name("ID");
  app.add_flag("--insecure", flags.insecure,
               "Plaintext, only to a coordinator on this host (127.x.x.x, localhost, [::1])");
  app.add_option("--max-concurrent", flags.max_concurrent,
                 "Attempts run at once; more wait in a queue")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--output-cap", flags.output_cap,
                 "Bytes of the end of stdout and of stderr kept per attempt (at most 1 MiB)")
      ->type_name("BYTES")
      ->capture_default_str();
  app.add_option("--state-dir", flags.state_dir,
                 "Keep attempts and results not yet acknowledged in DIR (created 0700 when "
                 "missing; one agent per DIR), so that a restart of the agent loses no result "
                 "and runs no attempt twice. Without it they live in memory only")
      ->type_name("DIR");
  app.add_option("--token-file", flags.token_file,
                 "Accepted and ignored for now: the agent authenticates with its certificate")
      ->type_name("FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "tminus-agent: " << e.what() << "\nRun 'tminus-agent --help' for usage.\n";
    return kExitUsage;
  }

  EventLog log(STDERR_FILENO);
  absl::StatusOr<AgentConfig> config = ResolveConfig(flags);
  if (!config.ok()) {
    log.Line(std::string("error: ") + std::string(config.status().message()));
    return kExitUsage;
  }
  return RunAgent(*config, log);
}
