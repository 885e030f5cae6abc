// What a recorded run's history says, checked against runs whose every minute is known:
// simulations of a small runbook under what-if scenarios, written to real journal files.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/history/observed_durations.h"
#include "tests/history/history_fixture.h"
#include "tests/journal/journal_test_util.h"

namespace tminus {
namespace {

using testing::Record;
using testing::Recorded;
using testing::StepIndex;
using testing::TempDir;

std::vector<std::string> Ids(const RunHistory& h, const std::vector<int>& steps) {
  std::vector<std::string> ids;
  for (int i : steps) ids.push_back(h.run->runbook.steps[i].id.value);
  return ids;
}

const Delay* DelayOf(const RunHistory& h, const std::string& id) {
  for (const Delay& d : h.delays) {
    if (d.step == StepIndex(h, id)) return &d;
  }
  return nullptr;
}

TEST(RunHistoryTest, ARunAsPlannedMatchesItsPlanStepByStep) {
  TempDir dir;
  Recorded r = Record(dir, "planned", "");
  const RunHistory& h = r.history;
  ASSERT_TRUE(h.planned) << h.plan_problem;
  EXPECT_TRUE(r.run->verify.ok) << r.run->verify.problem;
  EXPECT_TRUE(r.run->ended);
  EXPECT_EQ(h.state.phase(), RunPhase::kSucceeded);
  EXPECT_EQ(ToSeconds(h.end()), Seconds(85 * 60));
  EXPECT_EQ(h.plan.end, Seconds(85 * 60));
  EXPECT_EQ(h.replayed.end, h.plan.end);
  for (size_t i = 0; i < h.steps.size(); ++i) {
    SCOPED_TRACE(h.run->runbook.steps[i].id.value);
    ASSERT_TRUE(h.steps[i].observed);
    EXPECT_EQ(*h.steps[i].observed, h.plan.durations[i]);
    ASSERT_TRUE(h.steps[i].start);
    EXPECT_EQ(ToSeconds(*h.steps[i].start), h.plan.steps[i].start);
  }
  EXPECT_TRUE(h.delays.empty());
  EXPECT_TRUE(h.incidents.empty());
  EXPECT_EQ(Ids(h, h.actual_critical_path), Ids(h, h.plan.critical_path));
  EXPECT_EQ(Ids(h, h.actual_critical_path),
            (std::vector<std::string>{"freeze", "backup", "copy", "gate", "done"}));
  // The sign-off of freeze and the gate's go, by the people the simulation acted as.
  ASSERT_EQ(h.acts.size(), 2u);
  EXPECT_EQ(h.acts[0].step, StepIndex(h, "freeze"));
  EXPECT_FALSE(h.acts[0].decision);
  EXPECT_EQ(h.acts[0].person, "alice");
  EXPECT_EQ(h.acts[1].step, StepIndex(h, "gate"));
  EXPECT_TRUE(h.acts[1].decision);
  EXPECT_EQ(h.acts[1].vote, Decision::kGo);
  EXPECT_EQ(ToSeconds(h.acts[1].at), Seconds(85 * 60));
  // A simulation acts on no host.
  EXPECT_TRUE(h.hosts.empty());
}

TEST(RunHistoryTest, OverrunsAreRankedByWhatTheyCostTheEnd) {
  TempDir dir;
  // backup +15m on the critical path (and past its T+45m deadline by 10m); config +50m
  // within its 50m of slack less... still 15m short of mattering.
  Recorded r = Record(dir, "late", "steps: {backup: {duration: 45m}, config: {duration: 70m}}\n");
  const RunHistory& h = r.history;
  ASSERT_TRUE(h.planned);
  EXPECT_EQ(ToSeconds(h.end()), Seconds(100 * 60));
  EXPECT_EQ(h.replayed.end, Seconds(100 * 60));
  ASSERT_EQ(h.delays.size(), 2u);
  const Delay& first = h.delays[0];
  EXPECT_EQ(first.step, StepIndex(h, "backup"));
  EXPECT_EQ(first.overrun, Seconds(15 * 60));
  EXPECT_EQ(first.effect_on_end, Seconds(15 * 60));
  ASSERT_TRUE(first.past_deadline);
  EXPECT_EQ(*first.past_deadline, Seconds(10 * 60));
  const Delay* config = DelayOf(h, "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->overrun, Seconds(50 * 60));
  EXPECT_EQ(config->effect_on_end, Seconds(0));
  EXPECT_FALSE(config->past_deadline);
  const auto missed = std::find_if(h.incidents.begin(), h.incidents.end(),
                                   [](const Incident& i) { return i.what == "deadline missed"; });
  ASSERT_NE(missed, h.incidents.end());
  EXPECT_EQ(missed->step, StepIndex(h, "backup"));
  EXPECT_EQ(ToSeconds(missed->at), Seconds(45 * 60));
}

TEST(RunHistoryTest, ABranchThatOutgrowsItsSlackTakesOverTheChain) {
  TempDir dir;
  Recorded r = Record(dir, "config", "steps: {config: {duration: 80m}}\n");
  const RunHistory& h = r.history;
  EXPECT_EQ(ToSeconds(h.end()), Seconds(95 * 60));
  EXPECT_EQ(Ids(h, h.actual_critical_path), (std::vector<std::string>{"freeze", "config", "gate", "done"}));
  const Delay* config = DelayOf(h, "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->effect_on_end, Seconds(10 * 60));
  EXPECT_TRUE(h.steps[StepIndex(h, "config")].on_actual_critical_path);
  EXPECT_FALSE(h.steps[StepIndex(h, "backup")].on_actual_critical_path);
}

TEST(RunHistoryTest, FailuresRetriesAndARollbackAreIncidentsInTimeOrder) {
  TempDir dir;
  Recorded r = Record(dir, "nogo", "steps: {copy: {fail_attempts: 1}}\ngates: {gate: nogo}\n");
  const RunHistory& h = r.history;
  EXPECT_EQ(h.state.phase(), RunPhase::kRolledBack);
  const StepFacts& copy = h.steps[StepIndex(h, "copy")];
  EXPECT_EQ(copy.failed_attempts, 1);
  int runs = 0, rollbacks = 0;
  for (const AttemptFacts& a : copy.attempts) (a.rollback ? rollbacks : runs)++;
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(rollbacks, 1);
  EXPECT_EQ(copy.state, StepState::kRolledBack);
  ASSERT_TRUE(copy.rollback_start);
  ASSERT_TRUE(copy.rollback_end);
  // It took two attempts but it did succeed before the rollback: its duration counts.
  ASSERT_TRUE(copy.observed);
  EXPECT_GE(*copy.observed, Seconds(80 * 60));
  std::vector<std::string> what;
  for (const Incident& i : h.incidents) what.push_back(i.what);
  auto at = [&](const std::string& w) { return std::find(what.begin(), what.end(), w) - what.begin(); };
  ASSERT_LT(at("attempt 1 failed"), static_cast<long>(what.size()));
  ASSERT_LT(at("rollback started"), static_cast<long>(what.size()));
  ASSERT_LT(at("rolled back"), static_cast<long>(what.size()));
  ASSERT_LT(at("retry: attempt 2 started"), static_cast<long>(what.size()));
  EXPECT_LT(at("attempt 1 failed"), at("retry: attempt 2 started"));
  EXPECT_LT(at("retry: attempt 2 started"), at("rollback started"));
  EXPECT_LT(at("rollback started"), at("rolled back"));
  for (size_t k = 1; k < h.incidents.size(); ++k) EXPECT_LE(h.incidents[k - 1].at, h.incidents[k].at);
  const PersonAct& nogo = h.acts.back();
  EXPECT_TRUE(nogo.decision);
  EXPECT_EQ(nogo.vote, Decision::kNogo);
}

TEST(RunHistoryTest, ARunThatHasNotEndedStopsAtItsLastRecord) {
  TempDir dir;
  Recorded full = Record(dir, "full", "");
  auto records = ReadJournal(full.run->journal_path);
  ASSERT_TRUE(records.ok());
  const std::string cut = dir.File("cut.db");
  auto journal = Journal::Create(cut);
  ASSERT_TRUE(journal.ok());
  const size_t keep = records->size() / 2;
  for (size_t k = 0; k < keep; ++k) {
    const JournalRecord& rec = (*records)[k];
    ASSERT_TRUE((*journal)->Append(rec.wall_ms, rec.actor, rec.type, rec.payload, Durability::kGroup).ok());
  }
  ASSERT_TRUE((*journal)->Flush().ok());
  journal->reset();
  auto run = LoadRecordedRun(cut);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->ended);
  EXPECT_TRUE(run->verify.ok) << run->verify.problem;  // a run may stop anywhere
  const RunHistory h = BuildHistory(*run);
  EXPECT_FALSE(h.state.ended());
  EXPECT_FALSE(h.ended);
  EXPECT_LT(h.end(), full.history.end());
  EXPECT_EQ(h.end(), Offset(run->events.back().time.count() - h.t0_ms));
}

TEST(RunHistoryTest, ATamperedJournalStillLoadsAndSaysItDoesNotVerify) {
  TempDir dir;
  Recorded r = Record(dir, "tampered", "");
  const std::string path = r.run->journal_path;
  r.run.reset();
  journal_test::RawDb(path).Exec("UPDATE records SET actor = 'mallory' WHERE seq = 5");
  auto run = LoadRecordedRun(path);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->verify.ok);
  EXPECT_EQ(run->verify.first_bad_seq, 5);
}

TEST(RunHistoryTest, WhatIsNotARunsJournalIsRefusedSayingWhy) {
  TempDir dir;
  auto missing = LoadRecordedRun(dir.File("nope.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string text = dir.File("text.db");
  {
    std::ofstream out(text);
    out << "not a database at all\n";
  }
  auto garbage = LoadRecordedRun(text);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(std::string(garbage.status().message()).find(text), std::string::npos) << garbage.status();
  // A journal whose first record is not run_started.
  const std::string other = dir.File("other.db");
  auto journal = Journal::Create(other);
  ASSERT_TRUE(journal.ok());
  ASSERT_TRUE((*journal)->Append(1, "engine", "step", "{}", Durability::kSync).ok());
  journal->reset();
  auto not_run = LoadRecordedRun(other);
  ASSERT_FALSE(not_run.ok());
  EXPECT_NE(std::string(not_run.status().message()).find("run_started"), std::string::npos)
      << not_run.status();
}

TEST(ObservedDurationsTest, TheMedianOfTheRunsThatCompletedEachStep) {
  TempDir dir;
  Recorded a = Record(dir, "a", "steps: {backup: {duration: 45m}}\n");
  Recorded b = Record(dir, "b", "steps: {backup: {duration: 35m}, config: {duration: 25m}}\n");
  Recorded c = Record(dir, "c", "steps: {backup: {duration: 50m}, copy: {fail: true}}\non_pause: abort\n");
  const Runbook& rb = a.run->runbook;
  auto two = ObserveDurations(rb, {&a.history, &b.history});
  ASSERT_TRUE(two.ok()) << two.status();
  const int backup = StepIndex(a.history, "backup"), config = StepIndex(a.history, "config");
  EXPECT_EQ(two->runs, 2);
  EXPECT_EQ(*two->durations[backup], Seconds(40 * 60));  // (45m + 35m) / 2
  EXPECT_EQ(*two->durations[config], Seconds(45 * 30));  // (20m + 25m) / 2 = 22m30s
  auto three = ObserveDurations(rb, {&a.history, &b.history, &c.history});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three->durations[backup], Seconds(45 * 60));  // 35, 45, 50
  EXPECT_EQ(*three->durations[config], Seconds(20 * 60));  // 20, 25, 20
  EXPECT_EQ(three->samples[StepIndex(a.history, "copy")], 2);  // it failed in c
  // The plan with them: backup's 45m moves the end by 15m.
  PlanOptions options;
  options.durations = three->durations;
  auto plan = MakePlan(rb, a.run->graph, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->end, Seconds(100 * 60));
  // Another runbook's run is refused.
  Recorded other = Record(dir, "other", "", testing::NightRunbook("day"));
  auto refused = ObserveDurations(rb, {&a.history, &other.history});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(std::string(refused.status().message()).find("'day'"), std::string::npos);
}

}  // namespace
}  // namespace tminus
