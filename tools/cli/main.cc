// tminus: the coordinator and the operators' tool. This file only parses the command
// line and hands over to a command.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#ifdef TMINUS_CERTS
#include "net/link_args.h"
#endif
#include "tools/cli/audit_command.h"
#include "tools/cli/certs_command.h"
#include "tools/cli/commands.h"
#include "tools/cli/control_command.h"
#include "tools/cli/report_command.h"
#ifdef TMINUS_LIVE
#include "tools/cli/live_command.h"
#include "tools/cli/operators_command.h"
#include "tools/cli/ssh_command.h"
#endif
#include "tools/cli/terminal.h"

int main(int argc, char** argv) {
  using namespace tminus::cli;
#ifdef TMINUS_CERTS  // built with gRPC
  tminus::net::DisableMutexDeadlockDetection();
#endif
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
  auto* mermaid_flag =
      plan_cmd->add_flag("--mermaid", plan.mermaid, "A Mermaid Gantt chart")->excludes(json_flag);
  plan_cmd->add_flag("--csv", plan.csv,
                     "A task list for spreadsheets (UTF-8 CSV, one row per step in plan order)")
      ->excludes(json_flag)->excludes(mermaid_flag);
  plan_cmd->add_option("--durations-from", plan.durations_from,
                       "Plan with the durations these runs' journals observed (the median per step)")
      ->expected(1, -1);
  plan_cmd->add_option("--msproject", plan.msproject,
                       "Also write the plan as MS Project XML to FILE (needs T0)");

  SimulateArgs simulate;
  CLI::App* simulate_cmd =
      app.add_subcommand("simulate", "Play the runbook on a virtual clock against a what-if scenario");
  simulate_cmd->add_option("FILE", simulate.file, "Runbook file")->required();
  simulate_cmd->add_option("--scenario", simulate.scenario, "Scenario file (outcomes, decisions)");
  simulate_cmd->add_option("--t0", simulate.t0, "T0 (ISO 8601 with offset), overriding window.start");
  simulate_cmd->add_option("--journal", simulate.journal, "Write the run's journal to this new file");
  simulate_cmd->add_flag("--json", simulate.json, "Machine-readable output");

  ImportArgs import_args;
  CLI::App* import_cmd = app.add_subcommand(
      "import", "Turn a spreadsheet task list (Excel, MS Project, Smartsheet CSV) into a runbook");
  import_cmd->add_option("--csv", import_args.csv, "The task list: a CSV file with a header row")
      ->required();
  import_cmd->add_option("--output", import_args.output,
                         "Write the runbook to this new file (default: stdout)");
  import_cmd->add_flag("--force", import_args.force, "Overwrite --output if it exists");
  import_cmd->add_option("--name", import_args.name,
                         "The runbook's name (default: from the file's name)");
  import_cmd->add_option("--t0", import_args.t0,
                         "T0 (ISO 8601 with offset): window.start, and the offset of start times "
                         "written without one");

#ifdef TMINUS_LIVE
  auto add_coordinator_flags = [](CLI::App* cmd, CoordinatorArgs& c) {
    cmd->add_option("--listen", c.listen,
                    "Address the agents connect to (default 127.0.0.1:7441 when a step runs on agents)");
    cmd->add_option("--tls-dir", c.tls_dir,
                    "Mutual TLS: ca.crt, coordinator.crt and coordinator.key (see 'tminus certs init')");
    cmd->add_flag("--insecure", c.insecure, "Plaintext agent connections, on a loopback address only");
    cmd->add_flag("--auto-signoff", c.auto_signoff,
                  "DEMO ONLY: sign off manual steps and approve gates automatically, and answer a "
                  "paused failure with a rollback; every such act is journaled as automatic");
    cmd->add_option("--heartbeat-timeout", c.heartbeat_timeout,
                    "An agent silent this long is lost and its attempts fail (default 15s)");
    cmd->add_option("--wait-agents", c.wait_agents,
                    "Before starting, wait (up to --agent-wait) until this many agents are connected");
    cmd->add_option("--agent-wait", c.agent_wait,
                    "Before starting, how long to wait for agents: every agent target needs one, and "
                    "--wait-agents in all (default 10s)");
    cmd->add_option("--operators", c.operators,
                    "Serve the control API to the operators in this file (see 'tminus operators add')");
    cmd->add_option("--control", c.control,
                    "Address of the control API (default 127.0.0.1:7442 with --operators)");
    cmd->add_option("--http", c.http,
                    "Serve the live dashboard and GET /metrics (Prometheus text format) on this "
                    "address, in plain HTTP");
    cmd->add_flag("--public-view", c.public_view,
                  "Let anyone who can reach --http watch the dashboard without logging in (acting "
                  "still needs a login)");
    cmd->add_option("--webhook", c.webhooks,
                    "POST gate, sign-off, failure, deadline and end notifications here (Slack- and "
                    "Teams-style JSON; repeat for more)")
        ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--webhook-ca", c.webhook_ca, "A PEM file of CAs to trust for HTTPS webhooks");
    cmd->add_option("--recover-grace", c.recover_grace,
                    "After a restart, how long agents have to report the attempts they still hold "
                    "(default 15s)");
  };
  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "Carry out a runbook for real (or rehearse it)");
  run_cmd->add_option("FILE", run.file, "Runbook file")->required();
  run_cmd->add_option("--journal", run.journal, "The run's journal: a new file")->required();
  run_cmd->add_flag("--rehearsal", run.rehearsal,
                    "Rehearse on the real clock: actions are simulated with their planned durations");
  run_cmd->add_flag("--live-checks", run.live_checks, "In a rehearsal, run checks for real");
  run_cmd->add_option("--t0", run.t0, "T0 (ISO 8601 with offset), overriding window.start");
  add_coordinator_flags(run_cmd, run.coordinator);
  ResumeArgs resume;
  CLI::App* resume_cmd = app.add_subcommand(
      "resume", "Continue a run after the coordinator stopped or crashed, from its journal");
  resume_cmd->add_option("--journal", resume.journal, "The run's journal")->required();
  add_coordinator_flags(resume_cmd, resume.coordinator);
#endif

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

  ReportArgs report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Write the post-cutover report of a run from its journal (Markdown on stdout by default)");
  report_cmd->add_option("JOURNAL", report.journal, "Journal file")->required();
  report_cmd->add_option("--html", report.html, "Write a self-contained HTML report (prints to PDF) to FILE");
  report_cmd->add_option("--markdown", report.markdown, "Write the Markdown report to FILE");
  CompareArgs compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Compare two runs of a runbook: durations, what moved the end, the critical path");
  compare_cmd->add_option("JOURNAL_A", compare.journal_a, "The earlier run's journal")->required();
  compare_cmd->add_option("JOURNAL_B", compare.journal_b, "The later run's journal")->required();
  compare_cmd->add_option("--html", compare.html, "Also write the comparison as an HTML page to FILE");
  compare_cmd->add_flag("--json", compare.json, "Machine-readable output");

#ifdef TMINUS_LIVE
  ControlCommands control;
  AddControlCommands(app, control);
  SshTrustArgs ssh_trust_args;
  CLI::App* ssh_cmd = app.add_subcommand("ssh", "SSH hosts that run no agent");
  ssh_cmd->require_subcommand(1);
  CLI::App* ssh_trust = ssh_cmd->add_subcommand(
      "trust", "Show SSH hosts' key fingerprints and add the keys not yet known to known_hosts");
  ssh_trust->add_option("HOST", ssh_trust_args.hosts, "HOST, HOST:PORT or [ADDRESS]:PORT")->required();
  ssh_trust->add_option("--known-hosts", ssh_trust_args.known_hosts,
                        "The known_hosts file (default ~/.ssh/known_hosts), as the runbook's "
                        "'known_hosts' names it");
  ssh_trust->add_option("--port", ssh_trust_args.port, "For hosts given without one (default 22)");
  OperatorsArgs operators;
  CLI::App* operators_cmd =
      app.add_subcommand("operators", "Who may use the control API: names, roles and API tokens");
  operators_cmd->require_subcommand(1);
  operators_cmd->add_option("--file", operators.file, "The operators file (default operators.json)");
  CLI::App* operators_add = operators_cmd->add_subcommand("add", "Add an operator; prints their new token once");
  operators_add->add_option("USER", operators.user, "The person's name, as the runbook's roles list it")->required();
  operators_add->add_option("--role", operators.roles, "A role they hold (repeat for more)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CLI::App* operators_rotate =
      operators_cmd->add_subcommand("rotate", "Issue a new token for an operator (the old one stops working)");
  operators_rotate->add_option("USER", operators.user, "The operator")->required();
  CLI::App* operators_remove = operators_cmd->add_subcommand("remove", "Remove an operator");
  operators_remove->add_option("USER", operators.user, "The operator")->required();
  CLI::App* operators_list = operators_cmd->add_subcommand("list", "List the operators and their roles");
  for (CLI::App* sub : {operators_add, operators_rotate, operators_remove, operators_list}) {
    sub->add_option("--file", operators.file, "The operators file (default operators.json)");
  }
#endif

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
  if (*import_cmd) return RunImport(import_args, io);
#ifdef TMINUS_LIVE
  if (*run_cmd) return RunRun(run, io);
  if (*resume_cmd) return RunResume(resume, io);
  if (std::optional<int> code = RunControlCommand(control, io)) return *code;
  if (*ssh_trust) return RunSshTrust(ssh_trust_args, io);
  if (*operators_add) return RunOperatorsAdd(operators, io);
  if (*operators_rotate) return RunOperatorsRotate(operators, io);
  if (*operators_remove) return RunOperatorsRemove(operators, io);
  if (*operators_list) return RunOperatorsList(operators, io);
#endif
  if (*verify_cmd) return RunAuditVerify(verify, io);
  if (*export_cmd) return RunAuditExport(export_args, io);
  if (*report_cmd) return RunReport(report, io);
  if (*compare_cmd) return RunCompare(compare, io);
#ifdef TMINUS_CERTS
  if (*certs_init_cmd) return RunCertsInit(certs_init, io);
  if (*certs_add_cmd) return RunCertsAddAgent(certs_add, io);
#endif
  return kExitUsage;
}
