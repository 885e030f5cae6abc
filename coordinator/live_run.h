// A live run: the run engine on the real clock, its journal on disk, `on: local` actions
// on this host, agent targets through the AgentLink service, and (in a rehearsal)
// simulated actions. It returns when the run ends, when the journal fails, or when the
// coordinator is asked to stop (SIGINT/SIGTERM): a stopped run is resumed later from its
// journal.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control/notifier.h"
#include "control/operators.h"
#include "engine/exec/run_engine.h"
#include "engine/exec/run_event.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace grpc {
class ServerCredentials;
}

namespace tminus {

struct LiveRunConfig {
  const Runbook* runbook = nullptr;
  const StepGraph* graph = nullptr;
  std::string runbook_text;
  std::string journal_path;
  std::string mode = "run";  // "run" or "rehearsal"
  bool live_checks = false;  // rehearsal: run checks for real
  std::optional<EngineTime> t0;
  std::string run_id;  // new runs: made up when empty; resumed runs: from the journal
  // Resume: the journal's events so far (the run continues after them).
  const std::vector<RunEvent>* resume_from = nullptr;
  std::chrono::milliseconds recover_grace{15000};

  // The agent service ("" when no step runs on agents).
  std::string listen;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  bool require_certificate = true;
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds heartbeat_timeout{15000};
  // Before the run starts (or resumes): wait until every agent target used by the runbook
  // has a matching agent and at least `wait_agents` agents are connected, for at most
  // `agent_wait`. A step takes the agents connected when it starts, so this keeps a
  // fan-out from starting on the first agent to dial in.
  int wait_agents = 0;
  std::chrono::milliseconds agent_wait{10000};

  // Demo only: people sign off and decide gates (go) by themselves after this delay, and
  // a paused failure is answered with a rollback.
  bool auto_signoff = false;
  std::chrono::seconds auto_signoff_after{2};

  std::map<std::string, std::string> secrets;

  // The control API for operators ("" to serve none). Needs `operators`: every call must
  // carry one of their tokens. Their roles add to the runbook's for sign-offs and gates.
  std::string control_listen;
  std::shared_ptr<grpc::ServerCredentials> control_credentials;
  const control::Operators* operators = nullptr;
  // Called once the control API listens, with the port it bound.
  std::function<void(int port)> on_control_listening;
  // Webhooks told of gates opening, sign-offs needed, failures, missed deadlines and the
  // run's end (control/notifier.h); HTTPS checked against `webhook_ca` or the system's CAs.
  std::vector<control::WebhookUrl> webhooks;
  std::string webhook_ca;
  // Plain HTTP ("" for none): the dashboard (control/dashboard.h) and GET /metrics in
  // Prometheus' text format. Reading the dashboard needs a login with an operator's token
  // unless `public_view`; acting always does.
  std::string http_listen;
  bool public_view = false;
  std::function<void(int port)> on_http_listening;

  // Told about every event (printing, dashboards).
  std::vector<RunObserver*> observers;
  // The coordinator's own notes for people (agents connecting, waits), one line each.
  std::function<void(const std::string&)> log;
  // Called once the agent service listens, with the port it bound.
  std::function<void(int port)> on_listening;
};

struct LiveRunOutcome {
  bool ended = false;        // the run reached an end state
  RunPhase phase = RunPhase::kRunning;
  bool interrupted = false;  // stopped by a signal before the end
  absl::Status journal_error;  // the journal failed: the run stopped acting
  std::string chain_head;
};

// Carries the run out. Errors are about setting it up (journal, port, credentials).
absl::StatusOr<LiveRunOutcome> RunLive(const LiveRunConfig& config);

// 16 random hex digits.
std::string NewRunId();

}  // namespace tminus
