#include "engine/exec/run_event.h"

#include <nlohmann/json.hpp>

#include "engine/base/json_writer.h"
#include "engine/exec/action_builder.h"

namespace tminus {

namespace {

struct TypeName {
  EventType type;
  const char* name;
};

constexpr TypeName kTypeNames[] = {
    {EventType::kRunStarted, "run_started"},
    {EventType::kStepState, "step"},
    {EventType::kDispatch, "dispatch"},
    {EventType::kPlaced, "placed"},
    {EventType::kResult, "result"},
    {EventType::kSignOff, "signoff"},
    {EventType::kDecision, "decision"},
    {EventType::kOperator, "operator"},
    {EventType::kRejected, "rejected"},
    {EventType::kDeadlineMissed, "deadline_missed"},
    {EventType::kNoReturn, "no_return"},
    {EventType::kRollbackStarted, "rollback_started"},
    {EventType::kRollbackRefused, "rollback_refused"},
    {EventType::kRollbackPaused, "rollback_paused"},
    {EventType::kRunEnded, "run_ended"},
    {EventType::kRunResumed, "run_resumed"},
};

}  // namespace

const char* EventTypeName(EventType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

RunEvent MakeEvent(EventType type, int step, std::string reason, std::string actor) {
  RunEvent e;
  e.type = type;
  e.step = step;
  e.reason = std::move(reason);
  e.actor = std::move(actor);
  return e;
}

std::string EncodePayload(const RunEvent& e, const Runbook& runbook) {
  JsonObjectWriter j;
  j.Add("t", static_cast<int64_t>(e.time.count()));
  if (e.step >= 0) j.Add("step", runbook.steps[e.step].id.value);
  if (!e.reason.empty()) j.Add("reason", e.reason);
  switch (e.type) {
    case EventType::kRunStarted:
      j.Add("runbook_text", e.runbook_text);
      j.Add("runbook_sha256", e.runbook_sha256);
      j.Add("name", runbook.name.value);
      if (e.t0_known) j.Add("t0_ms", static_cast<int64_t>(e.t0_ms));
      j.Add("mode", e.mode);
      if (!e.run_id.empty()) j.Add("run_id", e.run_id);
      break;
    case EventType::kStepState:
      j.Add("state", StepStateName(e.state));
      if (e.attempt > 0) j.Add("attempt", e.attempt);
      if (e.paused) j.Add("paused", true);
      if (e.rerun) j.Add("rerun", true);
      if (e.decided) {
        j.Add("decision", DecisionName(e.decision));
        if (e.override_) j.Add("override", true);
      }
      break;
    case EventType::kDispatch:
      j.Add("attempt", e.attempt);
      j.Add("dispatch_id", e.dispatch_id);
      j.Add("target", e.target);
      if (e.step >= 0) {
        const Step& step = runbook.steps[e.step];
        const Action* action = e.rollback ? step.rollback.get() : step.run.get();
        if (action != nullptr) j.Add("command", DescribeAction(*action));
      }
      if (e.rollback) j.Add("rollback", true);
      break;
    case EventType::kPlaced:
      j.Add("attempt", e.attempt);
      j.Add("dispatch_id", e.dispatch_id);
      j.Add("hosts", e.hosts);
      if (e.rollback) j.Add("rollback", true);
      break;
    case EventType::kResult:
      j.Add("attempt", e.attempt);
      j.Add("dispatch_id", e.dispatch_id);
      j.Add("ok", e.ok);
      j.Add("exit_code", e.exit_code);
      j.Add("duration_ms", static_cast<int64_t>(e.duration_ms));
      if (e.rollback) j.Add("rollback", true);
      if (e.timed_out) j.Add("timed_out", true);
      if (e.cancelled) j.Add("cancelled", true);
      if (e.late) j.Add("late", true);
      if (e.unrecovered) j.Add("unrecovered", true);
      if (!e.error.empty()) j.Add("error", e.error);
      if (!e.stdout_tail.empty()) j.Add("stdout", e.stdout_tail);
      if (!e.stderr_tail.empty()) j.Add("stderr", e.stderr_tail);
      break;
    case EventType::kSignOff:
      j.Add("as", e.as);
      break;
    case EventType::kDecision:
      j.Add("as", e.as);
      j.Add("decision", DecisionName(e.decision));
      if (e.override_) j.Add("override", true);
      break;
    case EventType::kOperator:
    case EventType::kRejected:
      j.Add("command", e.command_name);
      if (e.forced) j.Add("force", true);
      break;
    case EventType::kRollbackStarted:
      if (e.forced) j.Add("force", true);
      break;
    case EventType::kRunEnded:
      j.Add("state", RunPhaseName(e.phase));
      j.Add("chain_head", e.chain_head);
      break;
    case EventType::kRunResumed:
      j.Add("events_before", static_cast<int64_t>(e.events_before));
      if (!e.in_flight.empty()) j.Add("in_flight", e.in_flight);
      break;
    case EventType::kDeadlineMissed:
    case EventType::kNoReturn:
    case EventType::kRollbackRefused:
    case EventType::kRollbackPaused:
      break;
  }
  return j.Finish();
}

absl::StatusOr<RunEvent> DecodeEvent(const std::string& type, const std::string& actor,
                                     const std::string& payload, const Runbook& runbook,
                                     const StepGraph& graph) {
  RunEvent e;
  bool known = false;
  for (const TypeName& t : kTypeNames) {
    if (type == t.name) {
      e.type = t.type;
      known = true;
    }
  }
  if (!known) return absl::InvalidArgumentError("unknown event type '" + type + "'");
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("payload is not a JSON object");
  try {
    e.actor = actor;
    e.time = EngineTime(j.value("t", int64_t{0}));
    if (j.contains("step")) {
      const std::string id = j.at("step").get<std::string>();
      e.step = graph.Find(id);
      if (e.step < 0) return absl::InvalidArgumentError("event names step '" + id + "', not in the runbook");
    }
    e.reason = j.value("reason", "");
    e.attempt = j.value("attempt", 0);
    e.rollback = j.value("rollback", false);
    e.dispatch_id = j.value("dispatch_id", "");
    e.forced = j.value("force", false);
    e.override_ = j.value("override", false);
    e.as = j.value("as", "");
    switch (e.type) {
      case EventType::kRunStarted:
        e.runbook_text = j.value("runbook_text", "");
        e.runbook_sha256 = j.value("runbook_sha256", "");
        e.t0_known = j.contains("t0_ms");
        e.t0_ms = j.value("t0_ms", int64_t{0});
        e.mode = j.value("mode", "");
        e.run_id = j.value("run_id", "");
        break;
      case EventType::kStepState: {
        auto state = StepStateFromName(j.value("state", ""));
        if (!state) return absl::InvalidArgumentError("unknown step state in event");
        e.state = *state;
        e.paused = j.value("paused", false);
        e.rerun = j.value("rerun", false);
        if (j.contains("decision")) {
          e.decided = true;
          e.decision = j.at("decision") == "go" ? Decision::kGo : Decision::kNogo;
        }
        break;
      }
      case EventType::kDispatch:
        e.target = j.value("target", "");
        break;
      case EventType::kPlaced:
        e.hosts = j.value("hosts", std::vector<std::string>());
        break;
      case EventType::kResult:
        e.ok = j.value("ok", false);
        e.exit_code = j.value("exit_code", -1);
        e.duration_ms = j.value("duration_ms", int64_t{0});
        e.timed_out = j.value("timed_out", false);
        e.cancelled = j.value("cancelled", false);
        e.late = j.value("late", false);
        e.unrecovered = j.value("unrecovered", false);
        e.error = j.value("error", "");
        e.stdout_tail = j.value("stdout", "");
        e.stderr_tail = j.value("stderr", "");
        break;
      case EventType::kDecision:
        e.decision = j.value("decision", "") == "go" ? Decision::kGo : Decision::kNogo;
        break;
      case EventType::kOperator:
      case EventType::kRejected:
        e.command_name = j.value("command", "");
        break;
      case EventType::kRunEnded: {
        auto phase = RunPhaseFromName(j.value("state", ""));
        if (!phase) return absl::InvalidArgumentError("unknown run state in event");
        e.phase = *phase;
        e.chain_head = j.value("chain_head", "");
        break;
      }
      case EventType::kRunResumed:
        e.events_before = j.value("events_before", int64_t{0});
        e.in_flight = j.value("in_flight", "");
        break;
      case EventType::kSignOff:
      case EventType::kDeadlineMissed:
      case EventType::kNoReturn:
      case EventType::kRollbackStarted:
      case EventType::kRollbackRefused:
      case EventType::kRollbackPaused:
        break;
    }
  } catch (const nlohmann::json::exception& ex) {
    return absl::InvalidArgumentError(std::string("malformed event payload: ") + ex.what());
  }
  return e;
}

}  // namespace tminus
