// How people reach a live run: the control API (gRPC) and the dashboard with its metrics
// (HTTP), both in front of one run desk, which is the only way either reaches the engine;
// and the feed of the journal's events to the watchers of both.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "control/control_service.h"
#include "control/dashboard.h"
#include "control/http_server.h"
#include "control/metrics.h"
#include "control/run_desk.h"
#include "coordinator/agent_hub.h"
#include "coordinator/live_run.h"
#include "engine/exec/journal_sink.h"
#include "engine/exec/run_engine.h"
#include "engine/plan/planner.h"

namespace tminus {

class OperatorAccess : public RunObserver {
 public:
  // `engine` is read on the strand: null until the engine exists and once it is gone.
  // `hub` is null when no step runs on agents.
  OperatorAccess(const LiveRunConfig& config, const Runbook& runbook, const std::string& run_id,
                 Scheduler* strand, AgentHub* hub, std::function<RunEngine*()> engine);
  ~OperatorAccess() override;

  // Listens for the control API and HTTP, as configured; why not, naming the address.
  absl::Status Start();
  // Observes `engine` (events for watchers, metrics) and `sink` (commit latency).
  void Attach(RunEngine& engine, JournalSink& sink);
  // Once the strand has stopped: answers what still waits, ends the watch streams, and
  // stops serving.
  void Stop();

  void OnEvent(const RunEvent& event, const RunState& state) override;

 private:
  v1::StatusReply Status() const;
  v1::AgentsReply Agents() const;

  const LiveRunConfig& config_;
  const Runbook& runbook_;
  const std::string run_id_;
  Scheduler* const strand_;
  AgentHub* const hub_;
  const std::function<RunEngine*()> engine_;
  std::optional<Plan> plan_;
  control::RunDesk desk_;
  std::unique_ptr<control::ControlService> control_;
  std::unique_ptr<grpc::Server> control_server_;
  std::unique_ptr<control::RunMetrics> metrics_;
  std::unique_ptr<control::Dashboard> dashboard_;
  std::unique_ptr<control::HttpServer> http_;
  bool stopped_ = false;
};

}  // namespace tminus
