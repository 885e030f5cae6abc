#include <nlohmann/json.hpp>

#include "engine/exec/journal_sink.h"
#include "engine/exec/simulation.h"
#include "engine/journal/journal.h"
#include "engine/loader/scenario_loader.h"
#include "engine/model/step_graph.h"
#include "tools/cli/commands.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

struct Clock {
  EngineTime t0;
  bool known;
  int offset_minutes;

  Seconds Offset(EngineTime t) const { return Seconds((t - t0).count() / 1000); }
  std::string At(EngineTime t) const {
    if (!known) return "";
    return FormatClock(t.count() / 1000, offset_minutes);
  }
};

nlohmann::json OffsetOrNull(const std::optional<EngineTime>& t, const Clock& clock) {
  if (!t) return nullptr;
  return clock.Offset(*t).count();
}

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
    case EventType::kRunEnded:
      return std::string("run ended ") + RunPhaseName(e.phase) + " (" + e.reason + ")";
    case EventType::kRunResumed:
      return "resumed after a coordinator restart";
  }
  return "";
}

void PrintHuman(const Runbook& rb, const SimulationResult& r, const Output& io) {
  Style style;
  style.color = io.color_out;
  const Clock clock{r.t0, r.t0_known, r.utc_offset_minutes};
  io.out << style.Bold("Simulated run of " + rb.name.value) << "\n\n";
  Table timeline(clock.known ? std::vector<std::string>{"TIME", "T±", "STEP", "WHAT"}
                             : std::vector<std::string>{"T±", "STEP", "WHAT"});
  for (const RunEvent& e : r.events) {
    const std::string what = Describe(e, rb);
    if (what.empty() || e.type == EventType::kRunStarted) continue;
    std::vector<std::string> row;
    if (clock.known) row.push_back(clock.At(e.time));
    row.push_back(FormatTTime(clock.Offset(e.time)));
    row.push_back(e.step >= 0 ? rb.steps[e.step].id.value : "");
    row.push_back(what);
    const bool loud = e.type == EventType::kRollbackStarted || e.type == EventType::kRollbackRefused ||
                      e.type == EventType::kDeadlineMissed || e.type == EventType::kRunEnded ||
                      (e.type == EventType::kStepState && e.state == StepState::kFailed);
    timeline.Add(std::move(row), loud);
  }
  timeline.Print(io.out, style);

  io.out << "\n" << style.Bold("Final state of each step") << "\n";
  Table table({"STEP", "STATE", "DECISION", "ATTEMPTS", "START", "END", "ROLLBACK"});
  std::vector<std::string> misses;
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepStatus& s = r.state.step(static_cast<int>(i));
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
  table.Print(io.out, style);
  io.out << "\n";
  if (r.stalled) {
    io.out << style.Red("Run did not end: " + r.stalled_reason) << "\n";
  } else {
    const std::string phase = RunPhaseName(r.state.phase());
    io.out << style.Bold("Run ended ") << (r.state.phase() == RunPhase::kSucceeded ? style.Green(phase) : style.Red(phase));
    if (r.state.ended_at()) {
      io.out << " at " << FormatTTime(clock.Offset(*r.state.ended_at()));
      if (clock.known) io.out << " (" << clock.At(*r.state.ended_at()) << ")";
    }
    io.out << ", " << r.state.events() << " events\n";
  }
  if (!misses.empty()) {
    io.out << style.Yellow("Deadlines missed:");
    for (const std::string& m : misses) io.out << " " << m;
    io.out << "\n";
  }
}

nlohmann::json ResultJson(const Runbook& rb, const SimulationResult& r) {
  const Clock clock{r.t0, r.t0_known, r.utc_offset_minutes};
  nlohmann::json steps = nlohmann::json::array();
  nlohmann::json misses = nlohmann::json::array();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepStatus& s = r.state.step(static_cast<int>(i));
    steps.push_back({{"id", rb.steps[i].id.value},
                     {"state", StepStateName(s.state)},
                     {"decision", s.decision ? nlohmann::json(DecisionName(*s.decision)) : nullptr},
                     {"attempts", s.attempt},
                     {"start_offset_s", OffsetOrNull(s.started_at, clock)},
                     {"end_offset_s", OffsetOrNull(s.ended_at, clock)},
                     {"rollback_start_offset_s", OffsetOrNull(s.rollback_started_at, clock)},
                     {"rollback_end_offset_s", OffsetOrNull(s.rollback_ended_at, clock)},
                     {"deadline_missed", s.deadline_missed}});
    if (s.deadline_missed) misses.push_back(rb.steps[i].id.value);
  }
  return {{"name", rb.name.value},
          {"state", r.stalled ? "stalled" : RunPhaseName(r.state.phase())},
          {"end_offset_s", OffsetOrNull(r.state.ended_at(), clock)},
          {"t0", r.t0_known ? nlohmann::json(FormatIsoTime(r.t0.count() / 1000, r.utc_offset_minutes)) : nullptr},
          {"steps", steps},
          {"deadline_misses", misses},
          {"events", r.state.events()}};
}

}  // namespace

int RunSimulate(const SimulateArgs& args, const Output& io) {
  ValidateOptions options;
  if (args.t0) {
    std::string error;
    options.t0 = ParseT0(*args.t0, &error);
    if (!options.t0) {
      io.err << "tminus simulate: " << error << "\n";
      return kExitUsage;
    }
  }
  const CheckedRunbook c = CheckRunbookFile(args.file, options, /*strict=*/false);
  if (!c.readable) {
    io.err << "tminus simulate: cannot read '" << args.file << "': " << c.read_error << "\n";
    return kExitUsage;
  }
  if (c.diagnostics.has_errors()) {
    PrintDiagnostics(c, io.err, io.color_err);
    io.err << "tminus simulate: " << args.file << " is not valid; fix the errors above first\n";
    return kExitInvalid;
  }
  Scenario scenario;
  if (args.scenario) {
    std::string text, error;
    if (!ReadFile(*args.scenario, &text, &error)) {
      io.err << "tminus simulate: cannot read scenario '" << *args.scenario << "': " << error << "\n";
      return kExitUsage;
    }
    CheckedRunbook sc;
    sc.path = *args.scenario;
    sc.readable = true;
    scenario = LoadScenario(text, c.runbook, &sc.diagnostics);
    if (sc.diagnostics.has_errors()) {
      sc.diagnostics.SortByLocation();
      PrintDiagnostics(sc, io.err, io.color_err);
      io.err << "tminus simulate: the scenario " << *args.scenario << " is not valid\n";
      return kExitInvalid;
    }
  }
  const StepGraph graph = StepGraph::Build(c.runbook);
  std::unique_ptr<Journal> journal;
  std::unique_ptr<JournalSink> sink;
  if (args.journal) {
    auto created = Journal::Create(*args.journal);
    if (!created.ok()) {
      io.err << "tminus simulate: " << created.status().message() << "\n";
      return kExitUsage;
    }
    journal = std::move(*created);
    sink = std::make_unique<JournalSink>(journal.get(), c.runbook, SystemWallMs);
  }
  SimulationOptions sim;
  sim.t0 = options.t0;
  sim.sink = sink.get();
  sim.runbook_text = c.text;
  absl::StatusOr<SimulationResult> result = Simulate(c.runbook, graph, scenario, sim);
  if (!result.ok()) {
    io.err << "tminus simulate: " << args.file << ": " << result.status().message() << "\n";
    return kExitInvalid;
  }
  if (!result->halted.ok()) {
    io.err << "tminus simulate: the run stopped: " << result->halted.message() << "\n";
    return kExitUsage;
  }
  if (args.json) {
    io.out << ResultJson(c.runbook, *result).dump(2) << "\n";
  } else {
    PrintHuman(c.runbook, *result, io);
  }
  if (journal) {
    absl::Status flushed = journal->Flush();
    if (!flushed.ok()) {
      io.err << "tminus simulate: " << flushed.message() << "\n";
      return kExitUsage;
    }
    (args.json ? io.err : io.out) << "journal " << *args.journal << ", head " << journal->head() << "\n";
  }
  return !result->stalled && result->state.phase() == RunPhase::kSucceeded ? kExitOk
                                                                             : kExitRunNotSucceeded;
}

}  // namespace tminus::cli
