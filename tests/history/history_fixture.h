// Journals of simulated runs written to real files, for the tests of what is read back
// from them: a small runbook with two streams, a deadline, a gate, and what-if scenarios.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/exec/journal_sink.h"
#include "engine/exec/simulation.h"
#include "engine/history/recorded_run.h"
#include "engine/history/run_history.h"
#include "engine/journal/journal.h"
#include "engine/loader/scenario_loader.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace tminus::testing {

// Planned: freeze 0-10m, backup 10-40m (deadline T+45m), copy 40-80m, config 10-30m (50m
// of slack), gate 80-85m, done at 85m. Critical path: freeze backup copy gate done.
inline std::string NightRunbook(const std::string& name = "night") {
  return "runbook: 1\n"
         "name: " + name + "\n"
         "title: \"Night & day <move>\"\n"
         "change: CHG-42\n"
         "window: {start: 2026-12-05T22:00:00-05:00, end: T+02:00}\n"
         "roles:\n"
         "  lead: [alice]\n"
         "  dba: [bob, carol]\n"
         "steps:\n"
         "  - {id: freeze, type: manual, owner: lead, duration: 10m, stream: app}\n"
         "  - {id: backup, needs: [freeze], duration: 30m, stream: db, deadline: T+00:45, "
         "run: {on: local, command: [x]}}\n"
         "  - {id: copy, needs: [backup], duration: 40m, stream: db, retries: 1, "
         "run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}\n"
         "  - {id: config, needs: [freeze], duration: 20m, stream: app, run: {on: local, command: [x]}}\n"
         "  - {id: gate, type: gate, needs: [copy, config], criteria: [copy, config], approvers: [lead], "
         "duration: 5m}\n"
         "  - {id: done, type: milestone, needs: [gate]}\n";
}

// Simulates `runbook` under `scenario` into a new journal at `path`.
inline void SimulateToJournal(const std::string& runbook, const std::string& scenario, const std::string& path) {
  Checked checked = Check(runbook);
  ASSERT_FALSE(checked.diagnostics.has_errors()) << checked.Dump();
  const StepGraph graph = StepGraph::Build(checked.runbook);
  Diagnostics d;
  const Scenario parsed = LoadScenario(scenario, checked.runbook, &d);
  ASSERT_FALSE(d.has_errors());
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  JournalSink sink(journal->get(), checked.runbook, SystemWallMs);
  SimulationOptions options;
  options.sink = &sink;
  options.runbook_text = runbook;
  auto result = Simulate(checked.runbook, graph, parsed, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE((*journal)->Flush().ok());
}

// A recorded run and its history, kept together (the history points into the run).
struct Recorded {
  std::unique_ptr<RecordedRun> run;
  RunHistory history;
};

inline Recorded Record(const TempDir& dir, const std::string& name, const std::string& scenario,
                       const std::string& runbook = NightRunbook()) {
  Recorded r;
  const std::string path = dir.File(name + ".db");
  SimulateToJournal(runbook, scenario, path);
  auto run = LoadRecordedRun(path);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return r;
  r.run = std::make_unique<RecordedRun>(*std::move(run));
  r.history = BuildHistory(*r.run);
  return r;
}

inline int StepIndex(const RunHistory& h, const std::string& id) { return h.run->graph.Find(id); }

}  // namespace tminus::testing
