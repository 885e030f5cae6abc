#include "coordinator/live_run.h"

#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "coordinator/agent_executor.h"
#include "coordinator/agent_hub.h"
#include "coordinator/operator_access.h"
#include "coordinator/rehearsal_executor.h"
#include "coordinator/ssh_executor.h"
#include "engine/exec/journal_sink.h"
#include "engine/exec/simulated_executor.h"
#include "engine/exec/simulated_operator.h"
#include "engine/executors/local_executor.h"
#include "engine/executors/loop_scheduler.h"
#include "engine/journal/journal.h"
#include "engine/model/scenario.h"
#include "engine/plan/planner.h"
#include "net/link_args.h"

namespace tminus {
namespace {

// Runs callbacks once everything the engine recorded so far is durable. Armed from any
// thread; the flush is a timer due now, which the strand fires after the tasks posted
// until then (LoopScheduler), so results that arrive together are committed together.
class DurableAfter {
 public:
  explicit DurableAfter(LoopScheduler* scheduler) : scheduler_(scheduler) {}
  void SetEngine(RunEngine* engine) { engine_ = engine; }

  void After(std::function<void()> then) {
    std::lock_guard<std::mutex> lock(mutex_);
    const EngineTime now = scheduler_->Now();
    if (then) pending_.emplace_back(now, std::move(then));
    if (armed_) return;
    armed_ = true;
    scheduler_->At(now, [this, now] { Run(now); });
  }

 private:
  // A callback asked for after `due` may follow a report posted after `due`, which the
  // strand runs after this timer: it waits for the next flush.
  void Run(EngineTime due) {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<std::pair<EngineTime, std::function<void()>>> later;
      for (auto& [asked, then] : pending_) {
        if (asked <= due) {
          ready.push_back(std::move(then));
        } else {
          later.emplace_back(asked, std::move(then));
        }
      }
      pending_.swap(later);
      armed_ = !pending_.empty();
      if (armed_) {
        const EngineTime now = scheduler_->Now();
        scheduler_->At(now, [this, now] { Run(now); });
      }
    }
    if (engine_ == nullptr || !engine_->Flush().ok()) return;  // never ack what is not durable
    for (auto& f : ready) f();
  }

  LoopScheduler* scheduler_;
  RunEngine* engine_ = nullptr;
  std::mutex mutex_;
  std::vector<std::pair<EngineTime, std::function<void()>>> pending_;  // with when asked
  bool armed_ = false;
};

// Stops the loop when the run ends, once `settled` says the work owed to agents has been
// handed over (the last results' acknowledgements, which wait for their flush), or a
// second later at most; makes every result durable promptly.
class RunWatcher : public RunObserver {
 public:
  RunWatcher(LoopScheduler* scheduler, DurableAfter* durability, std::function<bool()> settled)
      : scheduler_(scheduler), durability_(durability), settled_(std::move(settled)) {}
  void OnEvent(const RunEvent& event, const RunState&) override {
    if (event.type == EventType::kResult) durability_->After(nullptr);
    if (event.type == EventType::kRunEnded) StopWhenSettled(scheduler_->Now() + Millis(1000));
  }

 private:
  void StopWhenSettled(EngineTime deadline) {
    if (!settled_ || settled_() || scheduler_->Now() >= deadline) {
      scheduler_->Stop();
      return;
    }
    scheduler_->At(scheduler_->Now() + Millis(2), [this, deadline] { StopWhenSettled(deadline); });
  }

  LoopScheduler* scheduler_;
  DurableAfter* durability_;
  std::function<bool()> settled_;
};

// SIGINT and SIGTERM stop the coordinator between two events. They are blocked in every
// thread (the mask is set before any thread starts) and taken by this one.
class SignalStop {
 public:
  SignalStop() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  void Watch(LoopScheduler* scheduler, std::function<void(const std::string&)> log) {
    thread_ = std::thread([this, scheduler, log] {
      const timespec tick{0, 200 * 1000 * 1000};
      while (!done_.load()) {
        const int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
          interrupted_.store(true);
          if (log) {
            log(absl::StrCat("received ", sig == SIGINT ? "SIGINT" : "SIGTERM",
                             ": stopping; the run can be resumed from its journal"));
          }
          scheduler->Stop();
          return;
        }
      }
    });
  }
  bool interrupted() const { return interrupted_.load(); }
  ~SignalStop() {
    done_.store(true);
    if (thread_.joinable()) thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_;
  sigset_t old_;
  std::atomic<bool> done_{false};
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

Scenario AutoSignoffScenario(const Runbook& runbook, std::chrono::seconds after) {
  Scenario s;
  for (const Step& step : runbook.steps) {
    if (step.type.value == StepType::kManual) s.signoffs[step.id.value].after = Seconds(after.count());
    if (step.gate && !step.gate->approvers.empty()) {
      ScenarioGate g;
      g.decision = ScenarioGate::Kind::kGo;
      g.after = Seconds(after.count());
      s.gates[step.id.value] = g;
    }
  }
  s.on_pause = PauseAction::kRollback;
  return s;
}

// The agent targets some step's action or rollback runs on, with their selectors.
std::vector<std::pair<std::string, AgentHub::Selector>> UsedAgentTargets(const Runbook& runbook) {
  std::set<std::string> used;
  for (const Step& s : runbook.steps) {
    for (const Action* a : {s.run.get(), s.rollback.get()}) {
      if (a != nullptr) used.insert(a->on.value);
    }
  }
  std::vector<std::pair<std::string, AgentHub::Selector>> targets;
  for (const Target& t : runbook.targets) {
    if (t.kind != Target::Kind::kAgents || used.count(t.name.value) == 0) continue;
    AgentHub::Selector selector;
    for (const auto& [k, v] : t.labels) selector.emplace_back(k.value, v.value);
    targets.emplace_back(t.name.value, std::move(selector));
  }
  return targets;
}

void WaitForAgents(const LiveRunConfig& config, const AgentHub& hub, const SignalStop& signals) {
  const auto deadline = std::chrono::steady_clock::now() + config.agent_wait;
  const std::vector<std::pair<std::string, AgentHub::Selector>> targets = UsedAgentTargets(*config.runbook);
  bool said = false;
  while (!signals.interrupted()) {
    std::vector<std::string> missing;
    for (const auto& [name, selector] : targets) {
      if (hub.Matching(selector).empty()) missing.push_back(name);
    }
    const size_t connected = hub.ConnectedCount();
    if (missing.empty() && static_cast<int>(connected) >= config.wait_agents) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      if (config.log) {
        std::string text;
        for (const std::string& m : missing) text += (text.empty() ? "" : ", ") + m;
        config.log(absl::StrCat("starting with ", connected, " agents connected",
                                text.empty() ? "" : "; no agent yet for target " + text));
      }
      return;
    }
    if (!said && config.log) {
      config.log(absl::StrCat("waiting up to ", config.agent_wait.count() / 1000,
                              "s for agents to connect before starting"));
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

std::string NewRunId() {
  std::string id;
  FILE* f = std::fopen("/dev/urandom", "rb");
  unsigned char bytes[8] = {};
  if (f != nullptr) {
    if (std::fread(bytes, 1, sizeof bytes, f) != sizeof bytes) {
      const auto now = std::chrono::system_clock::now().time_since_epoch().count();
      for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
    }
    std::fclose(f);
  }
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : bytes) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

absl::StatusOr<LiveRunOutcome> RunLive(const LiveRunConfig& config) {
  const Runbook& runbook = *config.runbook;
  const bool resuming = config.resume_from != nullptr;
  SignalStop signals;  // before any thread starts

  absl::StatusOr<std::unique_ptr<Journal>> journal =
      resuming ? Journal::OpenForAppend(config.journal_path) : Journal::Create(config.journal_path);
  if (!journal.ok()) return journal.status();
  const std::string run_id = config.run_id.empty() ? NewRunId() : config.run_id;

  LoopScheduler scheduler;
  DurableAfter durability(&scheduler);
  JournalSink sink(journal->get(), runbook, SystemWallMs);
  RunEngine* engine_ptr = nullptr;

  std::unique_ptr<AgentHub> hub;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<AgentExecutor> agents;
  if (!config.listen.empty()) {
    AgentHubOptions hub_options;
    hub_options.run_id = run_id;
    hub_options.heartbeat_interval = config.heartbeat_interval;
    hub_options.heartbeat_timeout = config.heartbeat_timeout;
    hub_options.require_certificate = config.require_certificate;
    hub_options.log = config.log;
    hub = std::make_unique<AgentHub>(hub_options);

    AgentExecutorOptions exec_options;
    exec_options.run_id = run_id;
    exec_options.log = config.log;
    exec_options.after_durable = [&durability](std::function<void()> then) {
      durability.After(std::move(then));
    };
    exec_options.late_result = [&scheduler, &engine_ptr](const std::string& step, int attempt,
                                                         bool rollback, ActionResult result) {
      scheduler.Post([&engine_ptr, step, attempt, rollback, result = std::move(result)]() mutable {
        if (engine_ptr != nullptr) engine_ptr->ReportLate(step, attempt, rollback, std::move(result));
      });
    };
    exec_options.record_placement = [&engine_ptr](const ActionRequest& request,
                                                  const std::vector<std::string>& hosts) {
      return engine_ptr != nullptr && engine_ptr->RecordPlacement(request, hosts);
    };
    agents = std::make_unique<AgentExecutor>(runbook, &scheduler, hub.get(), exec_options);
    if (resuming) agents->BeginRecovery();
    hub->SetListener(agents.get());

    grpc::ServerBuilder builder;
    net::ConfigureAgentLinkServer(builder);
    int port = 0;
    std::shared_ptr<grpc::ServerCredentials> credentials =
        config.credentials ? config.credentials : grpc::InsecureServerCredentials();
    builder.AddListeningPort(config.listen, credentials, &port);
    builder.RegisterService(hub->service());
    server = builder.BuildAndStart();
    if (server == nullptr || port == 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", config.listen, " (is the address valid and the port free?)"));
    }
    hub->Start();
    if (config.on_listening) config.on_listening(port);
  }

  // The control API and the dashboard: their calls reach the engine on the strand, once
  // it exists.
  OperatorAccess access(config, runbook, run_id, &scheduler, hub.get(), [&engine_ptr] { return engine_ptr; });
  if (absl::Status listening = access.Start(); !listening.ok()) {
    access.Stop();
    if (hub) hub->Shutdown();
    if (server) server->Shutdown(std::chrono::system_clock::now());
    return listening;
  }

  LocalExecutor local;
  std::unique_ptr<SshExecutor> ssh;
  for (const Target& t : runbook.targets) {
    if (t.kind == Target::Kind::kSsh && ssh == nullptr) {
      SshExecutorOptions ssh_options;
      ssh_options.log = config.log;
      ssh = std::make_unique<SshExecutor>(runbook, ssh_options);
    }
  }
  Scenario empty_scenario;
  SimulatedExecutor simulated(runbook, *config.graph, empty_scenario, &scheduler);
  auto live_for = [&](const std::string& target) -> Executor* {
    if (target == "local") return &local;
    const Target* t = runbook.FindTarget(target);
    if (t != nullptr && t->kind == Target::Kind::kAgents) return agents.get();
    if (t != nullptr && t->kind == Target::Kind::kSsh) return ssh.get();
    return nullptr;
  };
  RehearsalExecutor rehearsal(runbook, &simulated, live_for, config.live_checks);
  const bool rehearsing = config.mode == "rehearsal";

  RunOptions options;
  options.mode = config.mode;
  options.t0 = config.t0;
  options.t0_known = true;
  options.runbook_text = config.runbook_text;
  options.runbook_sha256 = Sha256Hex(config.runbook_text);
  options.run_id = run_id;
  options.secrets = config.secrets;
  if (config.operators != nullptr) options.extra_roles = config.operators->RolesByPerson();
  RunEngine engine(
      runbook, *config.graph, options, &scheduler,
      [&](const std::string& target) -> Executor* {
        return rehearsing ? static_cast<Executor*>(&rehearsal) : live_for(target);
      },
      &sink);
  engine_ptr = &engine;
  durability.SetEngine(&engine);
  // A failed journal acknowledges nothing: the run stops without waiting.
  RunWatcher watcher(&scheduler, &durability, [&] {
    return agents == nullptr || agents->AcksOwed() == 0 || !engine.halted().ok();
  });
  for (RunObserver* o : config.observers) engine.AddObserver(o);
  engine.AddObserver(&watcher);
  access.Attach(engine, sink);
  std::unique_ptr<control::Notifier> notifier;
  if (!config.webhooks.empty()) {
    control::NotifierOptions notify;
    notify.urls = config.webhooks;
    notify.ca_file = config.webhook_ca;
    notify.run_name = runbook.name.value;
    notify.run_id = run_id;
    notify.log = config.log;
    notifier = std::make_unique<control::Notifier>(runbook, std::move(notify));
    engine.AddObserver(notifier.get());
  }
  Scenario auto_scenario = AutoSignoffScenario(runbook, config.auto_signoff_after);
  SimulatedOperator auto_people(&engine, auto_scenario, &scheduler, "automatic");
  if (config.auto_signoff) engine.AddObserver(&auto_people);

  signals.Watch(&scheduler, config.log);
  if (hub) WaitForAgents(config, *hub, signals);
  // Group-committed records become durable at least every second, and a failed journal
  // stops the coordinator.
  std::function<void()> tick = [&] {
    engine.Flush().IgnoreError();
    if (!engine.halted().ok()) {
      scheduler.Stop();
      return;
    }
    scheduler.At(scheduler.Now() + Millis(1000), tick);
  };
  scheduler.Post([&] {
    ResumeOptions resume_options;
    resume_options.recover_grace = config.recover_grace;
    absl::Status started = resuming ? engine.Resume(*config.resume_from, resume_options) : engine.Start();
    if (!started.ok() && config.log) config.log(std::string(started.message()));
    // Every attempt the engine recovers has been asked for by now; other results that
    // came in meanwhile are late. They are taken after the Recover() calls posted so far.
    if (resuming && agents) scheduler.Post([&] { agents->EndRecovery(); });
    if (!started.ok()) scheduler.Stop();
    tick();
  });
  scheduler.Run();

  LiveRunOutcome outcome;
  engine.Flush().IgnoreError();
  outcome.ended = engine.state().ended();
  outcome.phase = engine.state().phase();
  outcome.interrupted = signals.interrupted();
  outcome.journal_error = engine.halted();
  outcome.chain_head = (*journal)->head();

  if (hub) hub->Shutdown();
  if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  // Calls still posted to the strand never run: the shutdown cancels them.
  access.Stop();
  engine_ptr = nullptr;
  return outcome;
}

}  // namespace tminus
