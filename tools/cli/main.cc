// tminus: the coordinator and the operators' tool. This file only parses the command
// line and hands over to a command.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "tools/cli/audit_command.h"
#include "tools/cli/certs_command.h"
#include "tools/cli/commands.h"
#include "tools/cli/terminal.h"

int main(int argc, char** argv) {
  using namespace tminus::cli;
  CLI::App app{"tminus: cutover runbooks, planned, rehearsed and run"};
  app.set_version_flag("--version", "tminus 0.1.0");
  app.require_subcommand(1);

  ValidateArgs validate;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check runbooks and report every problem at its line");
  validate_cmd->add_option("FILE", validate.files, "Runbook files")->required();
  validate_cmd->add_flag("--strict", validate.strict, "Treat warnings as errors");
  validate_cmd->add_flag("--json", validate.json, "Machine-readable output");
  validate_cmd->add_option("--t0", validate.t0, "T0 (ISO 8601 with offset), overriding window.start");

  PlanArgs plan;
  CLI::App* plan_cmd =
      app.add_subcommand("plan", "Show the schedule, critical path and window fit");
  plan_cmd->add_option("FILE", plan.file, "Runbook file")->required();
  plan_cmd->add_option("--t0", plan.t0, "T0 (ISO 8601 with offset), overriding window.start");
  auto* json_flag = plan_cmd->add_flag("--json", plan.json, "Machine-readable output");
  plan_cmd->add_flag("--mermaid", plan.mermaid, "A Mermaid Gantt chart")->excludes(json_flag);

  SimulateArgs simulate;
  CLI::App* simulate_cmd =
      app.add_subcommand("simulate", "Play the runbook on a virtual clock against a what-if scenario");
  simulate_cmd->add_option("FILE", simulate.file, "Runbook file")->required();
  simulate_cmd->add_option("--scenario", simulate.scenario, "Scenario file (outcomes, decisions)");
  simulate_cmd->add_option("--t0", simulate.t0, "T0 (ISO 8601 with offset), overriding window.start");
  simulate_cmd->add_option("--journal", simulate.journal, "Write the run's journal to this new file");
  simulate_cmd->add_flag("--json", simulate.json, "Machine-readable output");

  CLI::App* audit_cmd = app.add_subcommand("audit", "Check or export a run's journal");
  audit_cmd->require_subcommand(1);
  AuditVerifyArgs verify;
  CLI::App* verify_cmd =
      audit_cmd->add_subcommand("verify", "Check the journal's hash chain; print its head");
  verify_cmd->add_option("JOURNAL", verify.journal, "Journal file")->required();
  verify_cmd->add_option("--expect-head", verify.expect_head,
                         "The head hash recorded earlier (in the change ticket)");
  AuditExportArgs export_args;
  CLI::App* export_cmd = audit_cmd->add_subcommand("export", "Write the journal as JSON Lines or CSV");
  export_cmd->add_option("JOURNAL", export_args.journal, "Journal file")->required();
  export_cmd->add_option("--format", export_args.format, "jsonl or csv")->required();

#ifdef TMINUS_CERTS
  CLI::App* certs_cmd = app.add_subcommand("certs", "Make the CA and certificates for mutual TLS");
  certs_cmd->require_subcommand(1);
  CertsInitArgs certs_init;
  CLI::App* certs_init_cmd = certs_cmd->add_subcommand(
      "init", "Create a CA, the coordinator's certificate and a folder per agent in DIR");
  certs_init_cmd->add_option("DIR", certs_init.dir, "Folder to create (mode 0700)")->required();
  certs_init_cmd->add_option("--agent", certs_init.agents, "An agent id (repeat for more)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  certs_init_cmd->add_option("--host", certs_init.hosts,
                             "A name or IP address agents dial the coordinator by (repeat for "
                             "more; localhost, 127.0.0.1 and ::1 are always included)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CertsAddAgentArgs certs_add;
  CLI::App* certs_add_cmd =
      certs_cmd->add_subcommand("add-agent", "Issue more agents' certificates from the CA in DIR");
  certs_add_cmd->add_option("DIR", certs_add.dir, "The folder 'certs init' created")->required();
  certs_add_cmd->add_option("ID", certs_add.agents, "Agent ids")->required();
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "tminus: " << e.what() << "\nRun 'tminus --help' for usage.\n";
    return kExitUsage;
  }

  Output io{std::cout, std::cerr, StyleFor(STDOUT_FILENO).color, StyleFor(STDERR_FILENO).color};
  if (*validate_cmd) return RunValidate(validate, io);
  if (*plan_cmd) return RunPlan(plan, io);
  if (*simulate_cmd) return RunSimulate(simulate, io);
  if (*verify_cmd) return RunAuditVerify(verify, io);
  if (*export_cmd) return RunAuditExport(export_args, io);
#ifdef TMINUS_CERTS
  if (*certs_init_cmd) return RunCertsInit(certs_init, io);
  if (*certs_add_cmd) return RunCertsAddAgent(certs_add, io);
#endif
  return kExitUsage;
}
