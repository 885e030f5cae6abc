#include "coordinator/operator_access.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "control/status_report.h"
#include "engine/exec/run_event.h"

namespace tminus {

OperatorAccess::OperatorAccess(const LiveRunConfig& config, const Runbook& runbook,
                               const std::string& run_id, Scheduler* strand, AgentHub* hub,
                               std::function<RunEngine*()> engine)
    : config_(config),
      runbook_(runbook),
      run_id_(run_id),
      strand_(strand),
      hub_(hub),
      engine_(std::move(engine)),
      desk_([this] {
        control::DeskOptions options;
        options.strand = strand_;
        options.engine = engine_;
        options.status = [this] { return Status(); };
        options.agents = [this] { return Agents(); };
        options.log = config_.log;
        return options;
      }()) {
  if (absl::StatusOr<Plan> planned = MakePlan(runbook, *config.graph); planned.ok()) plan_ = *planned;
}

OperatorAccess::~OperatorAccess() { Stop(); }

v1::StatusReply OperatorAccess::Status() const {
  control::StatusInputs in;
  in.runbook = &runbook_;
  in.graph = config_.graph;
  in.plan = plan_ ? &*plan_ : nullptr;
  in.state = &engine_()->state();
  in.run_id = run_id_;
  in.now = strand_->Now();
  in.agents_connected = hub_ ? static_cast<int>(hub_->ConnectedCount()) : 0;
  return control::BuildStatus(in);
}

v1::AgentsReply OperatorAccess::Agents() const {
  v1::AgentsReply reply;
  if (hub_ == nullptr) return reply;
  reply.set_heartbeat_timeout_ms(hub_->heartbeat_timeout().count());
  for (const AgentInfo& info : hub_->Connected()) {
    v1::Agent* a = reply.add_agents();
    a->set_id(info.id);
    a->mutable_labels()->insert(info.labels.begin(), info.labels.end());
    a->set_version(info.version);
    a->set_peer(info.peer);
    a->set_connected_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(info.connected_at.time_since_epoch()).count());
    a->set_silent_ms(info.silent_for.count());
  }
  return reply;
}

absl::Status OperatorAccess::Start() {
  if (!config_.control_listen.empty()) {
    control::ControlOptions options;
    options.operators = config_.operators;
    options.desk = &desk_;
    control_ = std::make_unique<control::ControlService>(options);
    desk_.AddListener(control_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(config_.control_listen,
                             config_.control_credentials ? config_.control_credentials
                                                         : grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(control_.get());
    control_server_ = builder.BuildAndStart();
    if (control_server_ == nullptr || port == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen for operators on ", config_.control_listen,
                                                 " (is the address valid and the port free?)"));
    }
    if (config_.on_control_listening) config_.on_control_listening(port);
  }
  if (!config_.http_listen.empty()) {
    metrics_ = std::make_unique<control::RunMetrics>(runbook_.steps.size(), [hub = hub_]() -> int {
      return hub ? static_cast<int>(hub->ConnectedCount()) : 0;
    });
    control::DashboardOptions options;
    options.operators = config_.operators;
    options.desk = &desk_;
    options.public_view = config_.public_view;
    options.metrics = metrics_.get();
    dashboard_ = std::make_unique<control::Dashboard>(options);
    desk_.AddListener(dashboard_.get());
    absl::StatusOr<std::unique_ptr<control::HttpServer>> started = control::HttpServer::Start(
        config_.http_listen,
        [d = dashboard_.get()](std::shared_ptr<control::HttpExchange> exchange) { d->Handle(std::move(exchange)); });
    if (!started.ok()) return started.status();
    http_ = std::move(*started);
    if (config_.on_http_listening) config_.on_http_listening(http_->port());
  }
  return absl::OkStatus();
}

void OperatorAccess::Attach(RunEngine& engine, JournalSink& sink) {
  engine.AddObserver(this);
  // Metrics cost a lock and a map entry per dispatch on the strand: kept only when served.
  if (metrics_) {
    engine.AddObserver(metrics_.get());
    sink.SetCommitObserver([m = metrics_.get()](double seconds) { m->RecordCommit(seconds); });
  }
}

// Every event goes to the watchers, encoded as the journal records it (but for the
// runbook's text in run_started, which nobody watching needs).
void OperatorAccess::OnEvent(const RunEvent& event, const RunState&) {
  if (!desk_.listening()) return;
  v1::Event out;
  out.set_time_unix_ms(event.time.count());
  out.set_type(EventTypeName(event.type));
  out.set_actor(event.actor);
  if (event.type == EventType::kRunStarted) {
    RunEvent lean = event;
    lean.runbook_text.clear();
    out.set_payload_json(EncodePayload(lean, runbook_));
  } else {
    out.set_payload_json(EncodePayload(event, runbook_));
  }
  desk_.Publish(out);
}

void OperatorAccess::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Calls still posted to the strand never run: they are answered as the coordinator stopping.
  desk_.Stop();
  if (control_) control_->Stop();
  if (dashboard_) dashboard_->Stop();
  if (control_server_) control_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  // Give the last event-stream chunks a moment to be written before the server stops.
  if (http_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  http_.reset();
}

}  // namespace tminus
