// A coordinator killed mid-run and a new one resuming from the journal: one test per case
// of the resume rules (finished, re-attached, re-run because idempotent, or waiting for a
// person), on a manual clock. Target `db` is a group of agents, whose attempts outlive the
// coordinator; `local` attempts die with it. Times are seconds from T0.
#include "engine/exec/resume.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/exec/resume_harness.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;
using testing::AttemptWorld;
using testing::Coordinator;
using testing::JournalEvents;
using testing::Replay;

constexpr Millis kMinute{60 * 1000};
// Records are group-committed, as in a simulation: these tests kill coordinators by
// refusing records, and fsync per decision would only make them slow.
constexpr bool kSync = false;

std::string Text(const std::string& steps) {
  return testing::Roles() + "targets:\n  db: {agents: {role: db}}\nsteps:\n" + steps;
}

int64_t Seconds(const std::optional<EngineTime>& t) { return t ? t->count() / 1000 : -1; }

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ResumeTest : public ::testing::Test {
 protected:
  ResumeTest() : dir_(journals_.path()), path_(journals_.File("journal.db")) {}

  // Starts `text` and runs it until `until` from T0, then kills the coordinator.
  void RunUntilKilled(const std::string& text, Millis until) {
    checked_ = testing::Check(text);
    ASSERT_FALSE(checked_.diagnostics.has_errors()) << checked_.Dump();
    world_ =
        std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
    Coordinator first(world_.get(), path_, EngineTime(0), -1, kSync);
    ASSERT_TRUE(first.Start(text).ok());
    first.RunUntilIdle();
    first.Advance(until);
    killed_at_ = first.now();
    first.Kill();
  }

  // A new coordinator takes the run over `downtime` after the kill.
  std::unique_ptr<Coordinator> Resume(Millis downtime = Millis(0)) {
    auto next =
        std::make_unique<Coordinator>(world_.get(), path_, killed_at_ + downtime, -1, kSync);
    const absl::Status status = next->Resume();
    EXPECT_TRUE(status.ok()) << status;
    return next;
  }

  // The journal verifies as a finished run and its fold is the engine's final state.
  void ExpectJournalIsTheRun(const Coordinator& c) {
    const VerifyResult verified = VerifyJournal(path_);
    EXPECT_TRUE(verified.ok) << verified.problem;
    const std::vector<RunEvent> events = JournalEvents(path_, c.runbook(), c.graph());
    EXPECT_EQ(Replay(events, c.runbook().steps.size()).Diff(c.state()), "");
  }

  // The events of `type` for step `id` in the whole journal (what is recorded so far).
  std::vector<RunEvent> Journaled(Coordinator& c, EventType type, const std::string& id) {
    EXPECT_TRUE(c.engine().Flush().ok());
    std::vector<RunEvent> out;
    for (const RunEvent& e : JournalEvents(path_, c.runbook(), c.graph())) {
      if (e.type == type && (id.empty() || e.step == c.Index(id))) out.push_back(e);
    }
    return out;
  }

  testing::JournalDir journals_;
  fs::path dir_;
  std::string path_;
  testing::Checked checked_;
  std::set<std::string> failing_;
  std::unique_ptr<AttemptWorld> world_;
  EngineTime killed_at_{0};
};

TEST_F(ResumeTest, ACheckInFlightRunsAgainWhenItsOutcomeIsLost) {
  RunUntilKilled(Text(R"(
  - {id: probe, type: check, duration: 10m, run: {on: local, command: [check]}}
  - {id: after, needs: [probe], duration: 1m, run: {on: db, command: [x]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  EXPECT_EQ(c->executor().recovered, std::vector<std::string>{"probe#1"});
  EXPECT_TRUE(c->executor().placed_on["probe#1"].empty()) << "nothing placed it on an agent";
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->Step("probe").attempt, 2);
  EXPECT_EQ(Seconds(c->Step("probe").ended_at), 900);  // the re-run took its 10m from 5m
  EXPECT_EQ(world_->run_starts["probe"], 2);
  EXPECT_EQ(world_->run_starts["after"], 1);

  const std::vector<RunEvent> results = Journaled(*c, EventType::kResult, "probe");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].attempt, 1);
  EXPECT_TRUE(results[0].unrecovered);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("lost"), std::string::npos) << results[0].error;
  EXPECT_TRUE(results[1].ok);
  bool rerun_seen = false;
  for (const RunEvent& e : Journaled(*c, EventType::kStepState, "probe")) {
    if (!e.rerun) continue;
    rerun_seen = true;
    EXPECT_EQ(e.state, StepState::kRunning);
    EXPECT_EQ(e.attempt, 2);
    EXPECT_EQ(e.reason, "re-run after the coordinator restarted");
  }
  EXPECT_TRUE(rerun_seen);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, AReRunUsesNoneOfTheStepsRetries) {
  // One retry allowed. Attempt 1 is lost, its re-run (2) fails, and the retry (3) is still
  // there: a re-run replaces the lost attempt instead of counting as another.
  failing_ = {"probe#2"};
  RunUntilKilled(Text(R"(
  - {id: probe, type: check, duration: 10m, retries: {count: 1, delay: 30s}, run: {on: local, command: [check]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->State("probe"), StepState::kSucceeded);
  EXPECT_EQ(c->Step("probe").attempt, 3);
  EXPECT_EQ(c->Step("probe").series_start, 2);
  EXPECT_EQ(Seconds(c->Step("probe").ended_at), 900 + 30 + 600);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, ATaskInFlightBecomesUnknownAndTheRunWaitsForAPerson) {
  RunUntilKilled(Text(R"(
  - {id: migrate, duration: 10m, run: {on: local, command: [migrate]}}
  - {id: after, needs: [migrate], duration: 1m, run: {on: db, command: [x]}}
  - {id: other, duration: 20m, run: {on: db, command: [x]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  // Nothing left but the unknown step: the run waits, it does not end by itself.
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kStalled);
  EXPECT_FALSE(c->state().ended());
  EXPECT_EQ(c->State("migrate"), StepState::kUnknown);
  EXPECT_EQ(c->State("other"), StepState::kSucceeded);  // the rest of the run went on
  EXPECT_EQ(c->State("after"), StepState::kPending);
  EXPECT_TRUE(c->Step("migrate").dispatch_id.empty());
  EXPECT_EQ(world_->run_starts["migrate"], 1);
  const std::vector<RunEvent> unknown = Journaled(*c, EventType::kStepState, "migrate");
  ASSERT_FALSE(unknown.empty());
  EXPECT_EQ(unknown.back().state, StepState::kUnknown);
  EXPECT_NE(unknown.back().reason.find("'migrate'"), std::string::npos) << unknown.back().reason;
  EXPECT_NE(unknown.back().reason.find("retry, skip or mark done"), std::string::npos);

  // A person who checked by hand marks it done; the run goes on and ends.
  ASSERT_TRUE(c->engine().MarkDone("migrate", "alice", "the migration log shows it finished").ok());
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->State("after"), StepState::kSucceeded);
  EXPECT_EQ(world_->run_starts["migrate"], 1) << "the engine never ran the task again";
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, AnUnknownStepCanBeRetriedOrSkipped) {
  RunUntilKilled(Text(R"(
  - {id: a, duration: 10m, run: {on: local, command: [a]}}
  - {id: b, duration: 10m, run: {on: local, command: [b]}}
  - {id: c, needs: [a, b], duration: 1m, run: {on: db, command: [c]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kStalled);
  ASSERT_EQ(c->State("a"), StepState::kUnknown);
  ASSERT_EQ(c->State("b"), StepState::kUnknown);
  EXPECT_FALSE(c->engine().Skip("b", "alice", "").ok()) << "a skip needs a reason";
  ASSERT_TRUE(c->engine().Retry("a", "alice", "it is safe to run again").ok());
  ASSERT_TRUE(c->engine().Skip("b", "alice", "done by hand").ok());
  EXPECT_EQ(c->State("b"), StepState::kSkipped);
  EXPECT_FALSE(c->engine().MarkDone("b", "alice", "too late").ok());
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->Step("a").attempt, 2);
  EXPECT_EQ(world_->run_starts["a"], 2);
  EXPECT_EQ(world_->run_starts["b"], 1);
  EXPECT_EQ(c->State("c"), StepState::kSucceeded);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, ATaskInFlightIsReattachedWhenItsAgentStillRunsIt) {
  RunUntilKilled(Text(R"(
  - {id: migrate, duration: 10m, run: {on: db, command: [migrate]}}
  - {id: after, needs: [migrate], duration: 1m, run: {on: db, command: [x]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume(2 * kMinute);
  EXPECT_EQ(c->executor().recovered, std::vector<std::string>{"migrate#1"});
  // The executor is told every agent the journal says the attempt went to.
  EXPECT_EQ(c->executor().placed_on["migrate#1"],
            (std::vector<std::string>{"agent-db-1", "agent-db-2"}));
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->Step("migrate").attempt, 1);
  EXPECT_EQ(Seconds(c->Step("migrate").ended_at), 600) << "its result came when it really ended";
  EXPECT_EQ(world_->run_starts["migrate"], 1);
  const std::vector<RunEvent> results = Journaled(*c, EventType::kResult, "migrate");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[0].unrecovered);
  EXPECT_EQ(results[0].reason, "re-attached after the coordinator restarted");
  const std::vector<RunEvent> resumed = Journaled(*c, EventType::kRunResumed, "");
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].in_flight, "migrate#1");
  EXPECT_GT(resumed[0].events_before, 0);
  const std::vector<RunEvent> placed = Journaled(*c, EventType::kPlaced, "migrate");
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].dispatch_id, "migrate#1");
  EXPECT_EQ(placed[0].attempt, 1);
  EXPECT_EQ(placed[0].hosts, (std::vector<std::string>{"agent-db-1", "agent-db-2"}));
  // A placement for an attempt that is over is refused (and nothing may be sent).
  ActionRequest over;
  over.step_index = c->Index("migrate");
  over.attempt = 1;
  over.dispatch_id = "migrate#1";
  EXPECT_FALSE(c->engine().RecordPlacement(over, {"agent-db-1"}));
  EXPECT_EQ(resumed[0].time, killed_at_ + 2 * kMinute);
  EXPECT_EQ(c->state().resumes(), 1);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, AnAttemptThatEndedWhileNoCoordinatorRanReportsAtOnce) {
  RunUntilKilled(Text(R"(
  - {id: migrate, duration: 10m, run: {on: db, command: [migrate]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume(10 * kMinute);
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->State("migrate"), StepState::kSucceeded);
  EXPECT_EQ(Seconds(c->Step("migrate").ended_at), 900);
  EXPECT_EQ(world_->run_starts["migrate"], 1);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, AStopBetweenAResultAndItsEffectsFinishesThemWithoutRunningAnythingAgain) {
  const std::string text = Text(R"(
  - {id: a, duration: 1m, run: {on: db, command: [a]}}
  - {id: b, needs: [a], duration: 10m, run: {on: db, command: [b]}}
)");
  // Find the record of a's result in an uninterrupted run, then kill a run right after it.
  checked_ = testing::Check(text);
  world_ = std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
  int64_t result_record = 0;
  {
    Coordinator reference(world_.get(), (dir_ / "reference.db").string(), EngineTime(0), -1, kSync);
    ASSERT_TRUE(reference.Start(text).ok());
    ASSERT_EQ(reference.Drive(nullptr), Coordinator::Stop::kEnded);
    for (size_t i = 0; i < reference.events().size(); ++i) {
      const RunEvent& e = reference.events()[i];
      if (e.type == EventType::kResult && e.step == reference.Index("a")) result_record = i + 1;
    }
  }
  ASSERT_GT(result_record, 0);
  world_ = std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
  {
    Coordinator first(world_.get(), path_, EngineTime(0), result_record, kSync);
    ASSERT_TRUE(first.Start(text).ok());
    ASSERT_EQ(first.Drive(nullptr), Coordinator::Stop::kCrashed);
    EXPECT_EQ(first.State("a"), StepState::kRunning) << "killed before a's success was recorded";
    killed_at_ = first.now();
  }
  std::unique_ptr<Coordinator> c = Resume();
  EXPECT_TRUE(c->executor().recovered.empty()) << "a's result is in the journal: nothing to ask";
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->State("a"), StepState::kSucceeded);
  EXPECT_EQ(c->State("b"), StepState::kSucceeded);
  EXPECT_EQ(world_->run_starts["a"], 1);
  EXPECT_EQ(Journaled(*c, EventType::kDispatch, "a").size(), 1u);
  EXPECT_EQ(Seconds(c->Step("b").started_at), 60);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, AWaitingStepsNotBeforeStillFires) {
  const std::string text = Text(R"(
  - {id: a, duration: 1m, run: {on: db, command: [a]}}
  - {id: b, needs: [a], not_before: T+00:30, duration: 1m, run: {on: db, command: [b]}}
)");
  RunUntilKilled(text, 10 * kMinute);
  {
    std::unique_ptr<Coordinator> c = Resume();
    EXPECT_EQ(c->State("b"), StepState::kWaiting);
    ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
    EXPECT_EQ(Seconds(c->Step("b").started_at), 1800);
    EXPECT_EQ(world_->run_starts["b"], 1);
    ExpectJournalIsTheRun(*c);
  }
  // Back after not_before passed: the step starts as soon as the run is resumed.
  fs::remove(path_);
  RunUntilKilled(text, 10 * kMinute);
  std::unique_ptr<Coordinator> late = Resume(30 * kMinute);
  ASSERT_EQ(late->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(Seconds(late->Step("b").started_at), 2400);
  ExpectJournalIsTheRun(*late);
}

TEST_F(ResumeTest, AGatesDecideByStillTimesOut) {
  RunUntilKilled(Text(R"(
  - {id: a, duration: 1m, run: {on: db, command: [a]}, rollback: {on: db, command: [undo]}}
  - {id: g, type: gate, needs: [a], criteria: [a], approvers: [lead], decide_by: T+00:20, duration: 5m}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  EXPECT_EQ(c->State("g"), StepState::kAwaitingSignoff);
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->State("g"), StepState::kFailed);
  ASSERT_TRUE(c->Step("g").decision.has_value());
  EXPECT_EQ(*c->Step("g").decision, Decision::kNogo);
  EXPECT_EQ(Seconds(c->Step("g").ended_at), 1200);
  EXPECT_EQ(c->state().phase(), RunPhase::kRolledBack);
  EXPECT_EQ(c->State("a"), StepState::kRolledBack);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, ARetryDelayPendingAtTheStopStillRetriesOnTime) {
  failing_ = {"a#1"};
  RunUntilKilled(Text(R"(
  - {id: a, duration: 2m, retries: {count: 1, delay: 10m}, run: {on: db, command: [a]}}
)"),
                 5 * kMinute);
  std::unique_ptr<Coordinator> c = Resume();
  EXPECT_TRUE(c->executor().recovered.empty());
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->Step("a").attempt, 2);
  const std::vector<RunEvent> dispatches = Journaled(*c, EventType::kDispatch, "a");
  ASSERT_EQ(dispatches.size(), 2u);
  EXPECT_EQ(dispatches[1].time.count(), 12 * 60 * 1000) << "10m after the failure at 2m";
  ExpectJournalIsTheRun(*c);
}

// a <- b <- c, each undone in 4m; the operator says no-go at 3m, so c is undone first.
std::string ChainWithRollbacks(const std::string& on) {
  return Text(R"(
  - {id: a, duration: 1m, run: {on: db, command: [a]}, rollback: {on: )" +
              on +
              R"(, command: [ua], duration: 4m}}
  - {id: b, needs: [a], duration: 1m, run: {on: db, command: [b]}, rollback: {on: )" +
              on +
              R"(, command: [ub], duration: 4m}}
  - {id: c, needs: [b], duration: 1m, run: {on: db, command: [c]}, rollback: {on: )" +
              on +
              R"(, command: [uc], duration: 4m}}
  - {id: g, type: gate, needs: [c], criteria: [c], approvers: [lead], duration: 1m}
)");
}

TEST_F(ResumeTest, ARollbackInProgressContinuesInReverseOrder) {
  const std::string text = ChainWithRollbacks("db");
  checked_ = testing::Check(text);
  world_ = std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
  {
    Coordinator first(world_.get(), path_, EngineTime(0), -1, kSync);
    ASSERT_TRUE(first.Start(text).ok());
    first.Advance(3 * kMinute);
    ASSERT_EQ(first.State("g"), StepState::kAwaitingSignoff);
    ASSERT_TRUE(first.engine().Decide("g", "alice", Decision::kNogo, "smoke test failed").ok());
    first.Advance(2 * kMinute);  // c's undo runs from 3m to 7m
    ASSERT_TRUE(first.Step("c").rollback_running);
    killed_at_ = first.now();
  }
  std::unique_ptr<Coordinator> c = Resume();
  EXPECT_EQ(c->executor().recovered, std::vector<std::string>{"c#rollback1"});
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kRolledBack);
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(c->State(id), StepState::kRolledBack) << id;
  EXPECT_EQ(Seconds(c->Step("c").rollback_ended_at), 420);
  EXPECT_EQ(Seconds(c->Step("b").rollback_started_at), 420);
  EXPECT_EQ(Seconds(c->Step("b").rollback_ended_at), 660);
  EXPECT_EQ(Seconds(c->Step("a").rollback_started_at), 660);
  EXPECT_EQ(Seconds(c->Step("a").rollback_ended_at), 900);
  EXPECT_EQ(world_->attempts["c#rollback1"].starts, 1);
  EXPECT_EQ(world_->attempts.count("c#rollback2"), 0u);
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, ARollbackActionLostInTheStopPausesTheRollbackForAPerson) {
  const std::string text = ChainWithRollbacks("local");
  checked_ = testing::Check(text);
  world_ = std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
  {
    Coordinator first(world_.get(), path_, EngineTime(0), -1, kSync);
    ASSERT_TRUE(first.Start(text).ok());
    first.Advance(3 * kMinute);
    ASSERT_TRUE(first.engine().Decide("g", "alice", Decision::kNogo, "smoke test failed").ok());
    first.Advance(2 * kMinute);
    killed_at_ = first.now();
  }
  std::unique_ptr<Coordinator> c = Resume();
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kStalled);
  EXPECT_EQ(c->State("c"), StepState::kRollbackFailed);
  EXPECT_TRUE(c->state().rollback_paused());
  EXPECT_EQ(c->State("b"), StepState::kSucceeded) << "no new rollback action while paused";
  EXPECT_NE(c->Step("c").last_error.find("lost"), std::string::npos) << c->Step("c").last_error;
  // The person checks and runs the undo again; the rollback goes on in order.
  ASSERT_TRUE(c->engine().Retry("c", "alice", "the service is still up; undo again").ok());
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kRolledBack);
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(c->State(id), StepState::kRolledBack) << id;
  EXPECT_LE(Seconds(c->Step("c").rollback_ended_at), Seconds(c->Step("b").rollback_started_at));
  EXPECT_LE(Seconds(c->Step("b").rollback_ended_at), Seconds(c->Step("a").rollback_started_at));
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, ARunResumedTwiceStillEnds) {
  const std::string text = Text(R"(
  - {id: a, duration: 10m, run: {on: db, command: [a]}}
  - {id: b, needs: [a], duration: 10m, run: {on: db, command: [b]}}
  - {id: c, type: check, needs: [b], duration: 10m, run: {on: local, command: [c]}}
)");
  RunUntilKilled(text, 5 * kMinute);
  const int64_t records = static_cast<int64_t>(ReadJournal(path_)->size());
  {
    // Killed again before it could record that it resumed.
    Coordinator second(world_.get(), path_, killed_at_, records, kSync);
    EXPECT_FALSE(second.Resume().ok());
    EXPECT_TRUE(second.crashed());
  }
  EXPECT_EQ(static_cast<int64_t>(ReadJournal(path_)->size()), records);
  {
    // Killed a few records into the resumed run, while c runs on the coordinator's host.
    Coordinator third(world_.get(), path_, killed_at_, -1, kSync);
    ASSERT_TRUE(third.Resume().ok());
    third.Advance(20 * kMinute);
    ASSERT_EQ(third.State("c"), StepState::kRunning);
    killed_at_ = third.now();
  }
  std::unique_ptr<Coordinator> c = Resume();
  ASSERT_EQ(c->Drive(nullptr), Coordinator::Stop::kEnded);
  EXPECT_EQ(c->state().phase(), RunPhase::kSucceeded);
  EXPECT_EQ(c->state().resumes(), 2);
  EXPECT_EQ(Journaled(*c, EventType::kRunResumed, "").size(), 2u);
  EXPECT_EQ(world_->run_starts["a"], 1);
  EXPECT_EQ(world_->run_starts["b"], 1);
  EXPECT_EQ(world_->run_starts["c"], 2) << "the check lost in the second stop ran again";
  ExpectJournalIsTheRun(*c);
}

TEST_F(ResumeTest, LoadRunForResumeRefusesARunThatEnded) {
  const std::string text = Text("  - {id: a, duration: 1m, run: {on: db, command: [a]}}\n");
  checked_ = testing::Check(text);
  world_ = std::make_unique<AttemptWorld>(checked_.runbook, std::set<std::string>{"db"}, failing_);
  {
    Coordinator c(world_.get(), path_, EngineTime(0), -1, kSync);
    ASSERT_TRUE(c.Start(text).ok());
    ASSERT_EQ(c.Drive(nullptr), Coordinator::Stop::kEnded);
  }
  absl::StatusOr<ResumeInput> input = LoadRunForResume(path_);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(input.status().message());
  EXPECT_NE(
      message.find("the run in " + path_ + " already ended (succeeded) at 1970-01-01T00:01:00"),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("nothing to resume"), std::string::npos) << message;
}

TEST_F(ResumeTest, LoadRunForResumeUsesTheRunbookKeptInTheJournal) {
  const std::string text = Text(R"(
  - {id: a, duration: 10m, run: {on: db, command: [a]}}
  - {id: b, needs: [a], duration: 1m, run: {on: db, command: [b]}}
)");
  RunUntilKilled(text, 5 * kMinute);
  // The file the run started from changed since; the journal's copy is what counts.
  std::ofstream(dir_ / "runbook.yaml")
      << Text("  - {id: other, duration: 1m, run: {on: db, command: [x]}}\n");
  absl::StatusOr<ResumeInput> input = LoadRunForResume(path_);
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_EQ(input->runbook_text, text);
  EXPECT_EQ(input->runbook_sha256, Sha256Hex(text));
  EXPECT_EQ(input->mode, "run");
  EXPECT_TRUE(input->t0_known);
  EXPECT_EQ(input->t0, EngineTime(0));
  ASSERT_EQ(input->runbook.steps.size(), 2u);
  EXPECT_EQ(input->runbook.steps[1].id.value, "b");
  EXPECT_EQ(input->graph.Find("b"), 1);
  EXPECT_EQ(static_cast<int64_t>(input->events.size()), input->records);
  EXPECT_EQ(input->events.front().type, EventType::kRunStarted);
  EXPECT_EQ(input->head, ReadJournal(path_)->back().hash);
  const RunOptions options = ResumeRunOptions(*input, {{"token", "s3cret"}});
  EXPECT_EQ(options.mode, "run");
  EXPECT_EQ(options.runbook_text, text);
  EXPECT_TRUE(options.sync_decisions);
  EXPECT_EQ(options.secrets.at("token"), "s3cret");
}

TEST_F(ResumeTest, LoadRunForResumeRefusesAJournalThatDoesNotVerify) {
  RunUntilKilled(Text("  - {id: tamper-marker, duration: 10m, run: {on: db, command: [a]}}\n"),
                 5 * kMinute);
  // Change one byte of the step id wherever the file holds it.
  std::string bytes = ReadFileBytes(path_);
  int changed = 0;
  for (size_t at = bytes.find("tamper-marker"); at != std::string::npos;
       at = bytes.find("tamper-marker", at + 1)) {
    bytes[at] = 'T';
    ++changed;
  }
  ASSERT_GT(changed, 0);
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  absl::StatusOr<ResumeInput> input = LoadRunForResume(path_);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(input.status().message()).find("does not verify"), std::string::npos)
      << input.status();

  absl::StatusOr<ResumeInput> missing = LoadRunForResume((dir_ / "nothing-here.db").string());
  EXPECT_FALSE(missing.ok());
}

TEST_F(ResumeTest, TheEngineResumesOnlyARunThatStartedAndHasNotEnded) {
  const std::string text = Text("  - {id: a, duration: 1m, run: {on: db, command: [a]}}\n");
  checked_ = testing::Check(text);
  const StepGraph graph = StepGraph::Build(checked_.runbook);
  ManualScheduler scheduler;
  NullSink sink;
  auto make = [&] {
    return std::make_unique<RunEngine>(
        checked_.runbook, graph, RunOptions{}, &scheduler,
        [](const std::string&) { return nullptr; }, &sink);
  };
  EXPECT_EQ(make()->Resume({}, {}).code(), absl::StatusCode::kInvalidArgument);
  RunEvent started = MakeEvent(EventType::kRunStarted);
  RunEvent ended = MakeEvent(EventType::kRunEnded);
  ended.phase = RunPhase::kAborted;
  EXPECT_EQ(make()->Resume({started, ended}, {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(make()->Resume({started, started}, {}).code(), absl::StatusCode::kInvalidArgument);
  std::unique_ptr<RunEngine> running = make();
  ASSERT_TRUE(running->Start().ok());
  EXPECT_EQ(running->Resume({started}, {}).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RunResumedEventTest, RoundTripsThroughTheJournalFormAndIsCountedByTheFold) {
  const testing::Checked checked =
      testing::Check(Text("  - {id: a, type: check, duration: 1m, run: {on: db, command: [a]}}\n"));
  const StepGraph graph = StepGraph::Build(checked.runbook);
  RunEvent resumed = MakeEvent(EventType::kRunResumed, -1, "the coordinator restarted");
  resumed.time = EngineTime(5000);
  resumed.events_before = 42;
  resumed.in_flight = "a#1 b#rollback2";
  const std::string payload = EncodePayload(resumed, checked.runbook);
  absl::StatusOr<RunEvent> back =
      DecodeEvent(EventTypeName(EventType::kRunResumed), "engine", payload, checked.runbook, graph);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_STREQ(EventTypeName(EventType::kRunResumed), "run_resumed");
  EXPECT_EQ(back->type, EventType::kRunResumed);
  EXPECT_EQ(back->events_before, 42);
  EXPECT_EQ(back->in_flight, "a#1 b#rollback2");
  EXPECT_EQ(back->reason, "the coordinator restarted");
  EXPECT_EQ(back->time, EngineTime(5000));

  // A lost attempt and its re-run keep their marks through the journal form too.
  RunEvent lost = MakeEvent(EventType::kResult, 0);
  lost.attempt = 1;
  lost.unrecovered = true;
  RunEvent rerun = MakeEvent(EventType::kStepState, 0, "re-run after the coordinator restarted");
  rerun.state = StepState::kRunning;
  rerun.attempt = 2;
  rerun.rerun = true;
  absl::StatusOr<RunEvent> lost_back =
      DecodeEvent("result", "engine", EncodePayload(lost, checked.runbook), checked.runbook, graph);
  absl::StatusOr<RunEvent> rerun_back =
      DecodeEvent("step", "engine", EncodePayload(rerun, checked.runbook), checked.runbook, graph);
  ASSERT_TRUE(lost_back.ok() && rerun_back.ok());
  EXPECT_TRUE(lost_back->unrecovered);
  EXPECT_TRUE(rerun_back->rerun);

  RunState state(1);
  state.Apply(*back);
  state.Apply(*back);
  EXPECT_EQ(state.resumes(), 2);
  EXPECT_EQ(state.step(0).series_start, 1);
  state.Apply(*rerun_back);
  EXPECT_EQ(state.step(0).series_start, 2) << "the re-run does not count against the retries";
  RunState other(1);
  EXPECT_NE(state.Diff(other), "");
}

}  // namespace
}  // namespace tminus
