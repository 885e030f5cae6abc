// The coordinator killed after every journal record of a run, and after every record once
// more during the resume, then resumed to the end. For each crash point: the run ends, the
// journal verifies and its fold is the engine's state, no attempt is started twice, no
// step runs again without a reason the journal gives (a failed attempt and its retry, an
// operator's retry, a lost attempt of an idempotent step), and a lost attempt of any other
// step waits for a person. When every attempt survives the stop (agents), the run ends
// exactly as it does without one, having executed exactly the same attempts.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/exec/resume_harness.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;
using testing::AttemptWorld;
using testing::Coordinator;
using testing::TestOperator;

struct Example {
  std::string name;
  std::string text;
  std::set<std::string> failing;          // dispatch ids that fail
  std::map<std::string, Decision> gates;  // what the operator decides (default go)
  RunPhase ends = RunPhase::kSucceeded;   // how the uninterrupted run ends
  EngineTime start{0};                    // when the run starts; T0 is engine time 0
};

std::string Header() {
  return testing::Roles() + "targets:\n  db: {agents: {role: db}}\n  app: {agents: {role: app}}\n";
}

std::vector<Example> Examples() {
  std::vector<Example> examples;
  // Every kind of step, a retry, a wait, a deadline, sign-offs, a gate and the point of no
  // return, succeeding.
  examples.push_back({"forward",
                      Header() + R"(steps:
  - {id: pre, type: check, duration: 2m, run: {on: db, command: [pre]}}
  - {id: freeze, type: manual, owner: lead, needs: [pre], duration: 5m}
  - {id: stop, needs: [freeze], not_before: T+00:20, duration: 3m, run: {on: app, command: [stop]}, rollback: {on: app, command: [start]}}
  - {id: copy, needs: [stop], duration: 10m, retries: {count: 1, delay: 1m}, run: {on: db, command: [copy]}, rollback: {on: db, command: [drop]}}
  - {id: verify, type: check, needs: [copy], duration: 2m, run: {on: db, command: [verify]}}
  - {id: go, type: gate, needs: [verify], criteria: [verify], approvers: [lead, dba], quorum: all, decide_by: T+03:00, duration: 5m}
  - {id: ponr, type: milestone, needs: [go], no_return: true}
  - {id: open, needs: [ponr], deadline: T+00:40, duration: 2m, idempotent: true, run: {on: app, command: [open]}}
)",
                      {"copy#1"},
                      {},
                      RunPhase::kSucceeded});
  // A no-go: the rollback undoes in reverse order, and one rollback action fails once, so
  // the rollback pauses until the operator retries it.
  examples.push_back({"rollback",
                      Header() + R"(steps:
  - {id: a, duration: 2m, run: {on: db, command: [a]}, rollback: {on: db, command: [ua]}}
  - {id: b, needs: [a], duration: 3m, run: {on: app, command: [b]}, rollback: {on: app, command: [ub]}}
  - {id: c, type: check, needs: [a], duration: 1m, run: {on: db, command: [c]}}
  - {id: d, needs: [b, c], duration: 2m, run: {on: app, command: [d]}, rollback: {on: app, command: [ud], duration: 4m}}
  - {id: m, type: manual, needs: [c], owner: dba, signoff: {by: [dba, lead], quorum: all}, duration: 3m}
  - {id: g, type: gate, needs: [d, m], criteria: [d], approvers: [lead], duration: 5m}
  - {id: after, needs: [g], duration: 1m, run: {on: db, command: [after]}}
)",
                      {"b#rollback1"},
                      {{"g", Decision::kNogo}},
                      RunPhase::kRolledBack});
  // Failure policies: continue, pause (the operator skips), retries, then a failure that
  // rolls back.
  examples.push_back({"failures",
                      Header() + R"(steps:
  - {id: a, duration: 1m, on_failure: continue, run: {on: db, command: [a]}}
  - {id: b, needs: [a], duration: 2m, on_failure: pause, run: {on: app, command: [b]}, rollback: {on: app, command: [ub]}}
  - {id: c, type: check, needs: [b], duration: 1m, retries: {count: 2, delay: 30s}, run: {on: db, command: [c]}}
  - {id: k, needs: [a], duration: 6m, run: {on: db, command: [k]}, rollback: {on: db, command: [uk], duration: 2m}}
  - {id: e, needs: [c, k], duration: 2m, on_failure: rollback, run: {on: app, command: [e]}}
)",
                      {"a#1", "b#1", "c#1", "c#2", "e#1"},
                      {},
                      RunPhase::kRolledBack});
  return examples;
}

// A run to its end, the coordinator killed after crash_points[i] journal records in its
// i-th life (none after the list), each next life resuming from the journal.
struct CrashedRun {
  std::unique_ptr<AttemptWorld> world;
  std::unique_ptr<Coordinator> last;
  Coordinator::Stop stop = Coordinator::Stop::kStalled;
  int lives = 0;
};

CrashedRun RunWithCrashes(const Example& example, const testing::Checked& checked,
                          const std::set<std::string>& surviving,
                          const std::vector<int64_t>& crash_points, const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  CrashedRun run;
  run.world = std::make_unique<AttemptWorld>(checked.runbook, surviving, example.failing);
  // A person at each coordinator: a command the killed one never recorded is given again.
  auto person = std::make_unique<TestOperator>(run.world.get(), example.gates);
  auto crash_after = [&](int life) {
    return life < static_cast<int>(crash_points.size()) ? crash_points[life] : -1;
  };
  EngineTime now = example.start;
  run.last =
      std::make_unique<Coordinator>(run.world.get(), path, now, crash_after(0), /*sync=*/false);
  absl::Status status = run.last->Start(example.text);
  run.lives = 1;
  // Start fails when the coordinator is killed before it has started every ready step.
  bool killed = !status.ok() && run.last->crashed();
  EXPECT_TRUE(status.ok() || killed) << status;
  if (!status.ok() && !killed) return run;
  while (true) {
    if (!killed) {
      run.stop = run.last->Drive(person.get());
      if (run.stop != Coordinator::Stop::kCrashed) return run;
    }
    killed = false;
    // Killed: a new coordinator takes over where the journal stops, at the same moment.
    while (true) {
      now = run.last->now();
      run.last->Kill();
      run.last = std::make_unique<Coordinator>(run.world.get(), path, now, crash_after(run.lives),
                                               /*sync=*/false);
      ++run.lives;
      person = std::make_unique<TestOperator>(run.world.get(), example.gates);
      status = run.last->Resume();
      if (status.ok()) break;
      EXPECT_TRUE(run.last->crashed()) << status;
      if (!run.last->crashed()) return run;
    }
  }
}

// How often the resume rules came into play, over many runs.
struct Seen {
  int reattached = 0;  // results of attempts in flight at a stop
  int reruns = 0;
  int unknowns = 0;
  int lost_rollbacks = 0;
};

// The invariants every crashed and resumed run keeps, read from its journal.
void ExpectSafeRun(const CrashedRun& run, const std::string& path, Seen* seen) {
  ASSERT_EQ(run.stop, Coordinator::Stop::kEnded) << "the resumed run did not end";
  const Coordinator& c = *run.last;
  const Runbook& rb = c.runbook();
  const VerifyResult verified = VerifyJournal(path);
  EXPECT_TRUE(verified.ok) << verified.problem;
  const std::vector<RunEvent> events = testing::JournalEvents(path, rb, c.graph());
  EXPECT_EQ(testing::Replay(events, rb.steps.size()).Diff(c.state()), "");
  EXPECT_LE(c.state().resumes(), run.lives - 1);
  for (const auto& [id, attempt] : run.world->attempts) {
    EXPECT_EQ(attempt.starts, 1) << id << " was started " << attempt.starts << " times";
  }

  // Per step, in journal order: each attempt is dispatched once, in sequence, and a new
  // one only for a reason the journal gives.
  const size_t n = rb.steps.size();
  std::vector<int> last_attempt(n, 0);
  std::vector<bool> licensed(n, false);
  std::vector<bool> succeeded(n, false);
  std::vector<bool> lost(n, false);  // a lost attempt waits for its consequence
  std::vector<int> last_undo(n, 0);
  std::vector<bool> undo_licensed(n, false);
  std::vector<bool> undone(n, false);
  for (size_t k = 0; k < events.size(); ++k) {
    const RunEvent& e = events[k];
    if (e.step < 0) continue;
    const size_t s = static_cast<size_t>(e.step);
    const std::string at = rb.steps[s].id.value + " at record " + std::to_string(k + 1);
    switch (e.type) {
      case EventType::kDispatch:
        if (e.rollback) {
          // A rollback action runs again only when an operator retries it.
          EXPECT_FALSE(undone[s]) << at << ": undone twice";
          EXPECT_EQ(e.attempt, last_undo[s] + 1) << at;
          if (e.attempt > 1) {
            EXPECT_TRUE(undo_licensed[s]) << at << ": undo ran again without a reason";
          }
          last_undo[s] = e.attempt;
          undo_licensed[s] = false;
          break;
        }
        EXPECT_FALSE(succeeded[s]) << at << ": dispatched after it succeeded";
        EXPECT_EQ(e.attempt, last_attempt[s] + 1) << at;
        if (e.attempt > 1) {
          EXPECT_TRUE(licensed[s]) << at << ": ran again without a reason";
        }
        last_attempt[s] = e.attempt;
        licensed[s] = false;
        break;
      case EventType::kResult:
        if (e.reason == "re-attached after the coordinator restarted") ++seen->reattached;
        if (e.late) break;
        if (e.rollback) {
          seen->lost_rollbacks += e.unrecovered ? 1 : 0;
          break;
        }
        if (e.unrecovered) {
          lost[s] = true;
        } else if (!e.ok) {
          licensed[s] = true;  // a retry may follow
        }
        break;
      case EventType::kOperator:
        if (e.command_name == "retry") licensed[s] = true;
        if (e.command_name == "retry_rollback") undo_licensed[s] = true;
        break;
      case EventType::kStepState:
        if (lost[s]) {
          // What follows a lost attempt: a re-run if idempotent, else a person decides.
          if (rb.steps[s].IsIdempotent()) {
            EXPECT_TRUE(e.state == StepState::kRunning && e.rerun) << at;
            licensed[s] = true;
          } else {
            EXPECT_EQ(e.state, StepState::kUnknown) << at;
          }
          lost[s] = false;
        } else if (e.rerun) {
          ADD_FAILURE() << at << ": a re-run without a lost attempt";
        }
        if (e.state == StepState::kSucceeded) succeeded[s] = true;
        if (e.state == StepState::kRolledBack) undone[s] = true;
        seen->reruns += e.rerun ? 1 : 0;
        seen->unknowns += e.state == StepState::kUnknown ? 1 : 0;
        break;
      case EventType::kRunStarted:
      case EventType::kSignOff:
      case EventType::kDecision:
      case EventType::kRejected:
      case EventType::kDeadlineMissed:
      case EventType::kNoReturn:
      case EventType::kRollbackStarted:
      case EventType::kRollbackRefused:
      case EventType::kRollbackPaused:
      case EventType::kRunEnded:
      case EventType::kRunResumed:
      case EventType::kPlaced:
        break;
    }
  }
}

class CrashResumeTest : public ::testing::Test {
 protected:
  // Runs `example` uninterrupted, then killed after every record, once and twice.
  void EveryCrashPoint(const Example& example, const std::set<std::string>& surviving,
                       int64_t stride = 1) {
    const testing::Checked checked = testing::Check(example.text);
    ASSERT_FALSE(checked.diagnostics.has_errors()) << checked.Dump();
    const std::string path = dir_.File(example.name + ".db");
    CrashedRun reference = RunWithCrashes(example, checked, surviving, {}, path);
    ASSERT_EQ(reference.stop, Coordinator::Stop::kEnded);
    const RunState expected = reference.last->state();
    ASSERT_EQ(expected.phase(), example.ends) << RunPhaseName(expected.phase());
    const std::map<std::string, int> expected_starts = reference.world->run_starts;
    const int64_t records = expected.events();
    ASSERT_GT(records, 4);
    const bool all_survive = surviving.count("*") > 0;
    for (int64_t k = 1; k < records; k += stride) {
      // Killed once after record k; and again during the resume, after record k + k % 4 (at
      // k itself, before the resume could record that it resumed).
      for (const std::vector<int64_t>& crashes :
           {std::vector<int64_t>{k}, std::vector<int64_t>{k, k + k % 4}}) {
        SCOPED_TRACE(example.name + ": killed after records " + std::to_string(crashes[0]) +
                     (crashes.size() > 1 ? " and " + std::to_string(crashes[1]) : ""));
        CrashedRun run = RunWithCrashes(example, checked, surviving, crashes, path);
        ExpectSafeRun(run, path, &seen_);
        if (HasFatalFailure() || run.stop != Coordinator::Stop::kEnded) return;
        ++runs_;
        if (!all_survive) continue;
        // Nothing was lost, so nothing may differ from the uninterrupted run.
        const RunState& got = run.last->state();
        EXPECT_EQ(got.phase(), expected.phase());
        for (int i = 0; i < run.last->graph().size(); ++i) {
          EXPECT_EQ(got.step(i).state, expected.step(i).state) << checked.runbook.steps[i].id.value;
          EXPECT_EQ(got.step(i).attempt, expected.step(i).attempt)
              << checked.runbook.steps[i].id.value;
          EXPECT_EQ(got.step(i).decision, expected.step(i).decision);
        }
        EXPECT_EQ(run.world->run_starts, expected_starts);
      }
    }
  }

  testing::JournalDir dir_;
  int runs_ = 0;
  Seen seen_;
};

TEST_F(CrashResumeTest, EveryCrashPointWithAgentsEndsAsTheUninterruptedRun) {
  for (const Example& example : Examples()) EveryCrashPoint(example, {"*"});
  EXPECT_GT(runs_, 100);
  EXPECT_GT(seen_.reattached, 50);
  EXPECT_EQ(seen_.reruns + seen_.unknowns + seen_.lost_rollbacks, 0) << "nothing was lost";
}

TEST_F(CrashResumeTest, EveryCrashPointWithLostAttemptsReRunsOnlyIdempotentStepsAndEnds) {
  for (const Example& example : Examples()) EveryCrashPoint(example, {});
  EXPECT_GT(runs_, 100);
  EXPECT_EQ(seen_.reattached, 0) << "nothing survives a stop here";
  EXPECT_GT(seen_.reruns, 10);
  EXPECT_GT(seen_.unknowns, 10);
  EXPECT_GT(seen_.lost_rollbacks, 0);
}

TEST_F(CrashResumeTest, AnExampleRunbookSurvivesACrashAtEveryTenthRecord) {
  std::ifstream in(fs::path(TMINUS_RUNBOOKS_DIR) / "core-switch-upgrade.yaml");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  // Its pre-checks start at T-01:00. Every tenth record: a resume parses and validates
  // the runbook again, and this one is long.
  const Example example{"core-switch-upgrade",   text.str(), {}, {}, RunPhase::kSucceeded,
                        EngineTime(-3600 * 1000)};
  EveryCrashPoint(example, {"*"}, 10);
  EveryCrashPoint(example, {}, 10);
  EXPECT_GT(runs_, 60);
}

}  // namespace
}  // namespace tminus
