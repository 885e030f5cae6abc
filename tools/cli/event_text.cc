#include "tools/cli/event_text.h"

namespace tminus::cli {

std::string Describe(const RunEvent& e, const Runbook& rb) {
  switch (e.type) {
    case EventType::kRunStarted:
      return "run started";
    case EventType::kStepState: {
      const Step& s = rb.steps[e.step];
      std::string text;
      switch (e.state) {
        case StepState::kWaiting:
          return "waiting for not_before";
        case StepState::kRunning:
          text = "running";
          if (e.attempt > 1) text += " (attempt " + std::to_string(e.attempt) + ")";
          return text;
        case StepState::kAwaitingSignoff:
          if (s.gate) return "gate open, waiting for a decision";
          return "waiting for sign-off";
        case StepState::kSucceeded:
          if (e.decided) return "decided GO by " + e.actor + (e.override_ ? " (override)" : "");
          if (s.type.value == StepType::kMilestone) return "reached";
          return "succeeded";
        case StepState::kFailed:
          if (e.decided) return "decided NO-GO by " + e.actor + (e.reason.empty() ? "" : ": " + e.reason);
          return std::string("FAILED") + (e.paused ? ", paused for an operator" : "") +
                 (e.reason.empty() ? "" : " (" + e.reason + ")");
        default:
          return StepStateName(e.state) + (e.reason.empty() ? std::string() : " (" + e.reason + ")");
      }
    }
    case EventType::kResult:
      if (e.ok || e.late) return "";
      return std::string(e.rollback ? "rollback attempt " : "attempt ") + std::to_string(e.attempt) +
             " failed: " + e.error;
    case EventType::kDispatch:
      return e.rollback ? "rolling back on " + e.target : "";
    case EventType::kPlaced: {
      std::string agents;
      for (const std::string& h : e.hosts) agents += (agents.empty() ? "" : ", ") + h;
      return std::string(e.rollback ? "rollback sent to " : "sent to ") + agents;
    }
    case EventType::kSignOff:
      return "signed off by " + e.actor + " as " + e.as;
    case EventType::kDecision:
      return std::string(e.decision == Decision::kGo ? "go" : "no-go") + " from " + e.actor + " as " + e.as;
    case EventType::kOperator:
      return "operator " + e.actor + ": " + e.command_name + (e.reason.empty() ? "" : " (" + e.reason + ")");
    case EventType::kRejected:
      return "refused " + e.command_name + " from " + e.actor + ": " + e.reason;
    case EventType::kDeadlineMissed:
      return "DEADLINE MISSED";
    case EventType::kNoReturn:
      return "point of no return passed";
    case EventType::kRollbackStarted:
      return "ROLLBACK started: " + e.reason;
    case EventType::kRollbackRefused:
      return "rollback REFUSED: " + e.reason;
    case EventType::kRollbackPaused:
      return "rollback paused: " + e.reason;
    case EventType::kRunResumed:
      return "resumed after a coordinator restart";
    case EventType::kRunEnded:
      return std::string("run ended ") + RunPhaseName(e.phase) + " (" + e.reason + ")";
  }
  return "";
}

bool IsLoud(const RunEvent& e) {
  return e.type == EventType::kRollbackStarted || e.type == EventType::kRollbackRefused ||
         e.type == EventType::kDeadlineMissed || e.type == EventType::kRunEnded ||
         (e.type == EventType::kStepState &&
          (e.state == StepState::kFailed || e.state == StepState::kUnknown));
}

std::vector<std::string> PrintStepTable(const Runbook& rb, const RunState& state,
                                        const Clock& clock, std::ostream& out, const Style& style) {
  Table table({"STEP", "STATE", "DECISION", "ATTEMPTS", "START", "END", "ROLLBACK"});
  std::vector<std::string> misses;
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepStatus& s = state.step(static_cast<int>(i));
    auto t = [&](const std::optional<EngineTime>& x) { return x ? FormatTTime(clock.Offset(*x)) : "-"; };
    std::string rollback = "-";
    if (s.rollback_started_at) {
      rollback = t(s.rollback_started_at) + ".." + t(s.rollback_ended_at);
    }
    table.Add({rb.steps[i].id.value, StepStateName(s.state), s.decision ? DecisionName(*s.decision) : "",
               s.attempt > 0 ? std::to_string(s.attempt) : "", t(s.started_at), t(s.ended_at), rollback},
              s.state != StepState::kSucceeded);
    if (s.deadline_missed) misses.push_back(rb.steps[i].id.value);
  }
  table.Print(out, style);
  return misses;
}

}  // namespace tminus::cli
