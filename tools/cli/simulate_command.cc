#include <nlohmann/json.hpp>

#include "engine/exec/journal_sink.h"
#include "engine/exec/simulation.h"
#include "engine/journal/journal.h"
#include "engine/loader/scenario_loader.h"
#include "engine/model/step_graph.h"
#include "tools/cli/commands.h"
#include "tools/cli/event_text.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

nlohmann::json OffsetOrNull(const std::optional<EngineTime>& t, const Clock& clock) {
  if (!t) return nullptr;
  return clock.Offset(*t).count();
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
    timeline.Add(std::move(row), IsLoud(e));
  }
  timeline.Print(io.out, style);

  io.out << "\n" << style.Bold("Final state of each step") << "\n";
  const std::vector<std::string> misses = PrintStepTable(rb, r.state, clock, io.out, style);
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
  std::optional<Instant> t0;
  int exit_code = kExitOk;
  const std::unique_ptr<CheckedRunbook> checked =
      LoadRunbookFor("simulate", args.file, args.t0, /*show_warnings=*/false, io, &t0, &exit_code);
  if (!checked) return exit_code;
  const CheckedRunbook& c = *checked;
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
  sim.t0 = t0;
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
