#include "tools/cli/live_command.h"

#include <grpcpp/grpcpp.h>

#include <functional>
#include <mutex>
#include <sstream>

#include "control/operators.h"
#include "coordinator/live_run.h"
#include "engine/exec/action_builder.h"
#include "engine/exec/resume.h"
#include "engine/model/step_graph.h"
#include "engine/model/time_spec.h"
#include "engine/plan/planner.h"
#include "engine/exec/journal_sink.h"
#include "net/loopback.h"
#include "net/tls.h"
#include "net/tls_failure_log.h"
#include "tools/cli/event_text.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

constexpr const char* kDefaultListen = "127.0.0.1:7441";
constexpr const char* kDefaultControl = "127.0.0.1:7442";

// Prints the run as it happens: one line per event worth a line, the coordinator's notes,
// and the last lines of a failed attempt's output. Called from the engine's strand and
// from gRPC threads, so it serialises its writes.
class LivePrinter : public RunObserver {
 public:
  LivePrinter(const Runbook& rb, Clock clock, const Output& io)
      : rb_(rb), clock_(clock), io_(io) {
    style_.color = io.color_out;
  }

  void OnEvent(const RunEvent& e, const RunState&) override {
    if (e.type == EventType::kRunStarted) return;
    const std::string what = Describe(e, rb_);
    if (what.empty()) return;
    std::ostringstream line;
    line << Stamp(e.time) << "  " << (e.step >= 0 ? rb_.steps[e.step].id.value : std::string("run"))
         << "  " << what;
    std::lock_guard<std::mutex> lock(mutex_);
    io_.out << (IsLoud(e) ? style_.Red(line.str()) : line.str()) << "\n";
    if (e.type == EventType::kResult && !e.ok && !e.late) {
      PrintTail(e.stderr_tail.empty() ? e.stdout_tail : e.stderr_tail);
    }
    io_.out.flush();
  }

  void Note(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    io_.out << style_.Dim(Stamp(EngineTime(SystemWallMs())) + "  · " + text) << "\n";
    io_.out.flush();
  }

 private:
  std::string Stamp(EngineTime t) const {
    return clock_.At(t) + " " + FormatTTime(clock_.Offset(t));
  }
  void PrintTail(const std::string& tail) {
    std::vector<std::string> lines;
    std::istringstream in(tail);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    const size_t from = lines.size() > 5 ? lines.size() - 5 : 0;
    for (size_t i = from; i < lines.size(); ++i) io_.out << "      | " << lines[i] << "\n";
  }

  const Runbook& rb_;
  const Clock clock_;
  const Output& io_;
  Style style_;
  std::mutex mutex_;
};

bool HasManualWork(const Runbook& rb) {
  for (const Step& s : rb.steps) {
    if (s.type.value == StepType::kManual) return true;
    if (s.gate && !s.gate->approvers.empty()) return true;
  }
  return false;
}

bool UsesTargetKind(const Runbook& rb, Target::Kind kind, std::string* which) {
  for (const Step& s : rb.steps) {
    for (const Action* a : {s.run.get(), s.rollback.get()}) {
      if (a == nullptr) continue;
      const Target* t = rb.FindTarget(a->on.value);
      if (t != nullptr && t->kind == kind) {
        *which = t->name.value;
        return true;
      }
    }
  }
  return false;
}

bool ParseSpan(const std::string& text, const char* flag, std::chrono::milliseconds* out,
               const Output& io, const char* command) {
  std::string why;
  std::optional<Seconds> d = ParseDuration(text, &why);
  if (!d || d->count() <= 0) {
    io.err << "tminus " << command << ": " << flag << " '" << text
           << "' is not a duration such as 15s or 2m\n";
    return false;
  }
  *out = std::chrono::milliseconds(d->count() * 1000);
  return true;
}

// Server credentials for `address`: plaintext with --insecure, on a loopback address only;
// else TLS from --tls-dir. Null (after saying why) when neither fits; `needs_tls` says
// what needs TLS when neither flag is given.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const CoordinatorArgs& args,
                                                              const std::string& address,
                                                              const std::string& needs_tls,
                                                              const char* command, const Output& io) {
  if (args.insecure) {
    if (args.tls_dir) {
      io.err << "tminus " << command << ": --insecure and --tls-dir exclude each other\n";
      return nullptr;
    }
    if (!net::IsLoopbackAddress(address)) {
      io.err << "tminus " << command << ": --insecure is refused on " << address
             << ": plaintext is allowed on a loopback address only (127.0.0.1, [::1])\n";
      return nullptr;
    }
    return grpc::InsecureServerCredentials();
  }
  if (!args.tls_dir) {
    io.err << "tminus " << command << ": " << needs_tls
           << ": pass --tls-dir DIR (create one with 'tminus certs init DIR'), or --insecure on a "
              "loopback address for a local test\n";
    return nullptr;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = net::CoordinatorCredentials(*args.tls_dir);
  if (!creds.ok()) {
    io.err << "tminus " << command << ": " << creds.status().message() << "\n";
    return nullptr;
  }
  return *creds;
}

// Fills the agent-service part of `config` from the flags. False (after saying why) when
// they do not make a safe setup.
bool SetUpAgentService(const Runbook& rb, const CoordinatorArgs& args, const char* command,
                       const Output& io, LiveRunConfig* config) {
  std::string agent_target;
  const bool needs_agents = UsesTargetKind(rb, Target::Kind::kAgents, &agent_target);
  if (!needs_agents && !args.listen) return true;
  config->listen = args.listen.value_or(kDefaultListen);
  if (!ParseSpan(args.heartbeat_timeout, "--heartbeat-timeout", &config->heartbeat_timeout, io,
                 command) ||
      !ParseSpan(args.recover_grace, "--recover-grace", &config->recover_grace, io, command) ||
      !ParseSpan(args.agent_wait, "--agent-wait", &config->agent_wait, io, command)) {
    return false;
  }
  config->wait_agents = args.wait_agents;
  config->heartbeat_interval = std::max(std::chrono::milliseconds(200), config->heartbeat_timeout / 3);
  config->credentials =
      ServerCredentialsFor(args, config->listen,
                           "target '" + agent_target + "' runs on agents, which connect over mutual TLS",
                           command, io);
  if (config->credentials == nullptr) return false;
  config->require_certificate = !args.insecure;
  if (!args.insecure) net::InstallTlsFailureLog();
  return true;
}

// Fills the control-API part of `config` from --operators and --control. False (after
// saying why) for a setup that is unsafe or cannot work.
bool SetUpControl(const CoordinatorArgs& args, const char* command, const Output& io,
                  LiveRunConfig* config, control::Operators* operators) {
  if (!args.operators) {
    if (args.control) {
      io.err << "tminus " << command << ": --control needs --operators FILE: every control call "
             << "is authenticated against it\n";
      return false;
    }
    return true;
  }
  absl::StatusOr<control::Operators> loaded = control::Operators::Load(*args.operators);
  if (!loaded.ok()) {
    io.err << "tminus " << command << ": " << loaded.status().message() << "\n";
    return false;
  }
  if (loaded->all().empty()) {
    io.err << "tminus " << command << ": " << *args.operators
           << " lists no operator; add one with 'tminus operators add USER --role ROLE'\n";
    return false;
  }
  *operators = std::move(*loaded);
  config->operators = operators;
  config->control_listen = args.control.value_or(kDefaultControl);
  config->control_credentials = ServerCredentialsFor(args, config->control_listen,
                                                     "the control API is served over TLS", command, io);
  return config->control_credentials != nullptr;
}

bool SetUpWebhooks(const CoordinatorArgs& args, const Output& io, LiveRunConfig* config) {
  for (const std::string& text : args.webhooks) {
    absl::StatusOr<control::WebhookUrl> url = control::ParseWebhookUrl(text);
    if (!url.ok()) {
      io.err << "tminus: --webhook: " << url.status().message() << "\n";
      return false;
    }
    config->webhooks.push_back(*url);
  }
  config->webhook_ca = args.webhook_ca.value_or("");
  return true;
}

// Fills the dashboard's part of `config` from --http and --public-view.
bool SetUpHttp(const CoordinatorArgs& args, const Output& io, LiveRunConfig* config, LivePrinter& printer) {
  config->http_listen = args.http.value_or("");
  config->public_view = args.public_view;
  if (args.public_view && config->http_listen.empty()) {
    io.err << "tminus: --public-view needs --http ADDR: it opens the dashboard there for reading\n";
    return false;
  }
  if (config->http_listen.empty()) return true;
  if (!net::IsLoopbackAddress(config->http_listen)) {
    printer.Note("the dashboard on " + config->http_listen + " is plain HTTP: a token typed into it "
                 "crosses the network in clear; serve it to others through a TLS proxy");
  }
  config->on_http_listening = [config, &printer](int port) {
    const std::string base = "http://" + config->http_listen.substr(0, config->http_listen.rfind(':') + 1) +
                             std::to_string(port);
    printer.Note("dashboard at " + base + "/" + (config->public_view ? " (public view)" : "") +
                 ", metrics at " + base + "/metrics");
  };
  return true;
}

std::function<void(int)> NoteControl(const LiveRunConfig& config, LivePrinter& printer) {
  return [&config, &printer](int port) {
    printer.Note("operators' control API at " +
                 config.control_listen.substr(0, config.control_listen.rfind(':') + 1) +
                 std::to_string(port) + " (" + std::to_string(config.operators->all().size()) + " operators)");
  };
}

int Finish(const LiveRunConfig& config, const absl::StatusOr<LiveRunOutcome>& outcome,
           const char* command, const Output& io) {
  if (!outcome.ok()) {
    io.err << "tminus " << command << ": " << outcome.status().message() << "\n";
    return kExitUsage;
  }
  Style style;
  style.color = io.color_out;
  if (!outcome->journal_error.ok()) {
    io.err << "tminus " << command << ": the journal failed, so the run stopped acting: "
           << outcome->journal_error.message() << "\nNothing after the last record was done. "
           << "Fix the cause, then: tminus resume --journal " << config.journal_path << "\n";
    return kExitUsage;
  }
  if (!outcome->ended) {
    io.out << "\n" << style.Yellow("The coordinator stopped before the run ended.") << "\n"
           << "Resume it with: tminus resume --journal " << config.journal_path << "\n";
    return kExitRunNotSucceeded;
  }
  const std::string phase = RunPhaseName(outcome->phase);
  io.out << "\n" << style.Bold("Run ended ")
         << (outcome->phase == RunPhase::kSucceeded ? style.Green(phase) : style.Red(phase)) << "\n"
         << "journal " << config.journal_path << ", head " << outcome->chain_head << "\n";
  return outcome->phase == RunPhase::kSucceeded ? kExitOk : kExitRunNotSucceeded;
}

}  // namespace

int RunRun(const RunArgs& args, const Output& io) {
  if (args.live_checks && !args.rehearsal) {
    io.err << "tminus run: --live-checks applies to a rehearsal only (add --rehearsal)\n";
    return kExitUsage;
  }
  std::optional<Instant> t0;
  int exit_code = kExitOk;
  const std::unique_ptr<CheckedRunbook> checked =
      LoadRunbookFor("run", args.file, args.t0, /*show_warnings=*/false, io, &t0, &exit_code);
  if (!checked) return exit_code;
  const CheckedRunbook& c = *checked;
  const StepGraph graph = StepGraph::Build(c.runbook);
  PlanOptions plan_options;
  plan_options.t0 = t0;
  absl::StatusOr<Plan> plan = MakePlan(c.runbook, graph, plan_options);
  if (!plan.ok()) {
    io.err << "tminus run: " << args.file << ": " << plan.status().message() << "\n";
    return kExitInvalid;
  }
  absl::StatusOr<std::map<std::string, std::string>> secrets = ResolveSecrets(c.runbook);
  if (!secrets.ok()) {
    io.err << "tminus run: " << secrets.status().message() << "\n";
    return kExitInvalid;
  }

  LiveRunConfig config;
  config.runbook = &c.runbook;
  config.graph = &graph;
  config.runbook_text = c.text;
  config.journal_path = args.journal;
  config.mode = args.rehearsal ? "rehearsal" : "run";
  config.live_checks = args.live_checks;
  config.secrets = *secrets;
  config.auto_signoff = args.coordinator.auto_signoff;
  const EngineTime now(SystemWallMs());
  if (plan->t0_unix) config.t0 = EngineTime(*plan->t0_unix * 1000);
  if (!SetUpAgentService(c.runbook, args.coordinator, "run", io, &config)) return kExitUsage;
  control::Operators operators;
  if (!SetUpControl(args.coordinator, "run", io, &config, &operators)) return kExitUsage;

  const Clock clock{config.t0.value_or(now), true, plan->utc_offset_minutes};
  LivePrinter printer(c.runbook, clock, io);
  config.observers.push_back(&printer);
  config.log = [&printer](const std::string& line) { printer.Note(line); };
  config.on_listening = [&](int port) {
    printer.Note("agents connect to " + config.listen.substr(0, config.listen.rfind(':') + 1) +
                 std::to_string(port) + (config.require_certificate ? " (mutual TLS)" : " (plaintext)"));
  };
  config.on_control_listening = NoteControl(config, printer);
  if (!SetUpWebhooks(args.coordinator, io, &config)) return kExitUsage;
  if (!SetUpHttp(args.coordinator, io, &config, printer)) return kExitUsage;
  Style style;
  style.color = io.color_out;
  io.out << style.Bold(std::string(args.rehearsal ? "Rehearsal" : "Run") + " of " + c.runbook.name.value)
         << ", journal " << args.journal
         << (config.auto_signoff ? "; sign-offs and gates are AUTOMATIC (demo)" : "") << "\n";
  if (!config.auto_signoff && HasManualWork(c.runbook) && config.operators == nullptr) {
    printer.Note("manual steps and gates with approvers wait for people, who sign off and decide "
                 "through the control API: start the run with --operators FILE (see 'tminus "
                 "operators add')");
  }
  return Finish(config, RunLive(config), "run", io);
}

int RunResume(const ResumeArgs& args, const Output& io) {
  absl::StatusOr<ResumeInput> input = LoadRunForResume(args.journal);
  if (!input.ok()) {
    io.err << "tminus resume: " << input.status().message() << "\n";
    return input.status().code() == absl::StatusCode::kNotFound ? kExitUsage : kExitInvalid;
  }
  absl::StatusOr<std::map<std::string, std::string>> secrets = ResolveSecrets(input->runbook);
  if (!secrets.ok()) {
    io.err << "tminus resume: " << secrets.status().message() << "\n";
    return kExitInvalid;
  }
  LiveRunConfig config;
  config.runbook = &input->runbook;
  config.graph = &input->graph;
  config.runbook_text = input->runbook_text;
  config.journal_path = args.journal;
  config.mode = input->mode;
  config.t0 = input->t0;
  config.run_id = input->events.empty() ? "" : input->events.front().run_id;
  config.resume_from = &input->events;
  config.secrets = *secrets;
  config.auto_signoff = args.coordinator.auto_signoff;
  if (!SetUpAgentService(input->runbook, args.coordinator, "resume", io, &config)) return kExitUsage;
  control::Operators operators;
  if (!SetUpControl(args.coordinator, "resume", io, &config, &operators)) return kExitUsage;

  PlanOptions plan_options;
  absl::StatusOr<Plan> plan = MakePlan(input->runbook, input->graph, plan_options);
  const Clock clock{input->t0, true, plan.ok() ? plan->utc_offset_minutes : 0};
  LivePrinter printer(input->runbook, clock, io);
  config.observers.push_back(&printer);
  config.log = [&printer](const std::string& line) { printer.Note(line); };
  config.on_listening = [&](int port) {
    printer.Note("agents connect to " + config.listen.substr(0, config.listen.rfind(':') + 1) +
                 std::to_string(port) + (config.require_certificate ? " (mutual TLS)" : " (plaintext)"));
  };
  config.on_control_listening = NoteControl(config, printer);
  if (!SetUpWebhooks(args.coordinator, io, &config)) return kExitUsage;
  if (!SetUpHttp(args.coordinator, io, &config, printer)) return kExitUsage;
  Style style;
  style.color = io.color_out;
  io.out << style.Bold("Resuming " + input->runbook.name.value) << " from " << args.journal << " ("
         << input->records << " records, head " << input->head.substr(0, 16) << ")\n";
  return Finish(config, RunLive(config), "resume", io);
}

}  // namespace tminus::cli
