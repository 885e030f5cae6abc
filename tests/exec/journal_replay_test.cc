// Runs written to real journal files: replaying the file gives the live state; a journal
// cut at any record boundary (a crash) replays to a consistent prefix and fails audit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/exec/journal_sink.h"
#include "engine/exec/run_event.h"
#include "engine/exec/simulation.h"
#include "engine/journal/journal.h"
#include "engine/loader/scenario_loader.h"
#include "tests/test_util.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("tminus-replay-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<RunState> Replay(const std::vector<JournalRecord>& records, const Runbook& rb,
                                const StepGraph& graph) {
  RunState state(rb.steps.size());
  for (const JournalRecord& r : records) {
    auto e = DecodeEvent(r.type, r.actor, r.payload, rb, graph);
    if (!e.ok()) return e.status();
    state.Apply(*e);
  }
  return state;
}

struct JournaledRun {
  testing::Checked checked;
  StepGraph graph;
  SimulationResult result;
  std::string path;
};

JournaledRun RunToJournal(const std::string& text, const std::string& scenario_text,
                          const std::string& path) {
  JournaledRun run;
  run.checked = testing::Check(text);
  EXPECT_FALSE(run.checked.diagnostics.has_errors()) << run.checked.Dump();
  run.graph = StepGraph::Build(run.checked.runbook);
  Diagnostics d;
  const Scenario scenario = LoadScenario(scenario_text, run.checked.runbook, &d);
  EXPECT_FALSE(d.has_errors());
  auto journal = Journal::Create(path);
  EXPECT_TRUE(journal.ok()) << journal.status();
  JournalSink sink(journal->get(), run.checked.runbook, SystemWallMs);
  SimulationOptions options;
  options.sink = &sink;
  options.runbook_text = text;
  auto result = Simulate(run.checked.runbook, run.graph, scenario, options);
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE((*journal)->Flush().ok());
  run.result = std::move(*result);
  run.path = path;
  return run;
}

TEST(JournalReplayTest, EveryExampleReplaysToTheLiveStateAndVerifies) {
  TempDir dir;
  for (const auto& entry : fs::directory_iterator(TMINUS_RUNBOOKS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string path = dir.File(entry.path().stem().string() + ".db");
    JournaledRun run = RunToJournal(ReadText(entry.path()), "", path);
    auto records = ReadJournal(path);
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_EQ(static_cast<int64_t>(records->size()), run.result.state.events());
    auto replay = Replay(*records, run.checked.runbook, run.graph);
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_EQ(replay->Diff(run.result.state), "");
    const VerifyResult verified = VerifyJournal(path);
    EXPECT_TRUE(verified.ok) << verified.problem;
    EXPECT_EQ(records->front().type, "run_started");
    EXPECT_EQ(records->back().type, "run_ended");
  }
}

TEST(JournalReplayTest, RollbackRunReplaysAndEveryCutIsAConsistentPrefix) {
  TempDir dir;
  const std::string text = testing::Header() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: m, type: manual, owner: dba, needs: [a], duration: 5m}
  - {id: b, needs: [m], duration: 2m, retries: 1, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: g, type: gate, needs: [b], criteria: [b], approvers: [lead], duration: 5m, deadline: T+00:05}
)";
  JournaledRun run = RunToJournal(text, "steps: {b: {fail_attempts: 1}}\ngates: {g: nogo}\n",
                                  dir.File("run.db"));
  ASSERT_EQ(run.result.state.phase(), RunPhase::kRolledBack);
  auto records = ReadJournal(run.path);
  ASSERT_TRUE(records.ok());
  auto full = Replay(*records, run.checked.runbook, run.graph);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->Diff(run.result.state), "");

  // A crash can leave any prefix of the records on disk.
  const std::string wal_free = dir.File("cut.db");
  for (size_t k = 1; k < records->size(); ++k) {
    SCOPED_TRACE("cut after record " + std::to_string(k));
    std::vector<JournalRecord> prefix(records->begin(), records->begin() + static_cast<long>(k));
    auto state = Replay(prefix, run.checked.runbook, run.graph);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(state->events(), static_cast<int64_t>(k));
    EXPECT_FALSE(state->ended());
    // The prefix is a state the live run passed through: every step's state is one it had.
    for (int i = 0; i < run.graph.size(); ++i) {
      const StepStatus& s = state->step(i);
      if (s.ended_at && s.started_at) {
        EXPECT_LE(s.started_at->count(), s.ended_at->count());
      }
    }
    // And audit verify sees that the journal was cut.
    fs::copy_file(run.path, wal_free, fs::copy_options::overwrite_existing);
    auto cut = Journal::Create(dir.File("fresh-" + std::to_string(k) + ".db"));
    ASSERT_TRUE(cut.ok());
    for (const JournalRecord& r : prefix) {
      ASSERT_TRUE((*cut)->Append(r.wall_ms, r.actor, r.type, r.payload, Durability::kGroup).ok());
    }
    ASSERT_TRUE((*cut)->Flush().ok());
    cut->reset();
    const VerifyResult verified = VerifyJournal(dir.File("fresh-" + std::to_string(k) + ".db"));
    EXPECT_FALSE(verified.ok);
    EXPECT_NE(verified.problem.find("without run_ended"), std::string::npos) << verified.problem;
  }
}

TEST(JournalReplayTest, AFullDiskStopsTheRunWithAClearErrorAndLosesNothingWritten) {
  TempDir dir;
  const fs::path example = fs::path(TMINUS_RUNBOOKS_DIR) / "dc-to-cloud-wave.yaml";
  const std::string text = ReadText(example);
  auto checked = testing::Check(text);
  const StepGraph graph = StepGraph::Build(checked.runbook);
  const std::string path = dir.File("full.db");
  JournalOptions small;
  small.max_pages = 24;  // the runbook text and some records fit, then SQLite reports the disk full
  small.group_max_records = 16;
  auto journal = Journal::Create(path, small);
  ASSERT_TRUE(journal.ok()) << journal.status();
  JournalSink sink(journal->get(), checked.runbook, SystemWallMs);
  SimulationOptions options;
  options.sink = &sink;
  options.runbook_text = text;
  auto result = Simulate(checked.runbook, graph, Scenario{}, options);
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result->halted.ok());
  EXPECT_NE(std::string(result->halted.message()).find("full"), std::string::npos)
      << result->halted.message();
  EXPECT_FALSE(result->state.ended());
  journal->reset();
  // What reached the disk is an intact prefix that replays.
  auto records = ReadJournal(path);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_FALSE(records->empty());
  EXPECT_LT(static_cast<int64_t>(records->size()), result->state.events());
  auto replay = Replay(*records, checked.runbook, graph);
  ASSERT_TRUE(replay.ok()) << replay.status();
  const VerifyResult verified = VerifyJournal(path);
  EXPECT_FALSE(verified.ok);
  EXPECT_NE(verified.problem.find("without run_ended"), std::string::npos) << verified.problem;
}

}  // namespace
}  // namespace tminus
