// One test per rule of the runbook format's execution and rollback semantics, on a manual
// clock. Times are seconds from T0.
#include "engine/exec/run_engine.h"

#include <gtest/gtest.h>

#include "tests/exec/engine_harness.h"

namespace tminus {
namespace {

using testing::EngineHarness;
using testing::Roles;

TEST(RunEngineTest, StepWaitsForAllItsNeeds) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, run: {on: local, command: [x]}, duration: 10m}
  - {id: b, run: {on: local, command: [x]}, duration: 20m}
  - {id: c, needs: [a, b], run: {on: local, command: [x]}, duration: 5m}
)");
  h.Start();
  EXPECT_EQ(h.State("a"), StepState::kRunning);
  EXPECT_EQ(h.State("b"), StepState::kRunning);
  EXPECT_EQ(h.State("c"), StepState::kPending);
  h.Advance(600);
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);
  EXPECT_EQ(h.State("c"), StepState::kPending);  // b is still running
  h.Advance(600);
  EXPECT_EQ(h.State("c"), StepState::kRunning);
  EXPECT_EQ(h.StartS("c"), 1200);
  h.RunAll();
  EXPECT_EQ(h.EndS("c"), 1500);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
}

TEST(RunEngineTest, ReadyStepWaitsForNotBefore) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, run: {on: local, command: [x]}, duration: 1m}
  - {id: b, needs: [a], not_before: T+00:30, run: {on: local, command: [x]}, duration: 1m}
)");
  h.Start();
  h.Advance(60);
  EXPECT_EQ(h.State("b"), StepState::kWaiting);
  h.Advance(29 * 60 - 1);
  EXPECT_EQ(h.State("b"), StepState::kWaiting);
  h.Advance(1);
  EXPECT_EQ(h.State("b"), StepState::kRunning);
  EXPECT_EQ(h.StartS("b"), 1800);
}

TEST(RunEngineTest, AttemptLongerThanTimeoutFailsAtTheTimeout) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, run: {on: local, command: [x]}, duration: 1h, timeout: 10m, on_failure: continue}
)");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kFailed);
  EXPECT_EQ(h.EndS("a"), 600);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);  // failed with continue counts as done
}

TEST(RunEngineTest, RetriesAfterTheirDelay) {
  EngineHarness h(Roles() + R"(steps:
  - id: a
    duration: 1m
    retries: {count: 2, delay: 30s}
    run: {on: local, command: [x]}
)", "steps: {a: {fail_attempts: 2}}");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);
  EXPECT_EQ(h.Step("a").attempt, 3);
  // 60 fail, 30 wait, 60 fail, 30 wait, 60 succeed
  EXPECT_EQ(h.EndS("a"), 240);
  EXPECT_EQ(h.Count(EventType::kDispatch), 3);
}

TEST(RunEngineTest, PauseHoldsOnlyTheDependantsUntilAnOperatorChooses) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, retries: 1, run: {on: local, command: [x]}}
  - {id: after-a, needs: [a], duration: 1m, run: {on: local, command: [x]}}
  - {id: other, duration: 10m, run: {on: local, command: [x]}}
)", "steps: {a: {fail: true}}");
  h.Start();
  h.Advance(120);
  EXPECT_EQ(h.State("a"), StepState::kFailed);
  EXPECT_TRUE(h.Step("a").paused);
  EXPECT_EQ(h.Step("a").attempt, 2);
  EXPECT_EQ(h.State("after-a"), StepState::kPending);
  h.RunAll();
  EXPECT_EQ(h.State("other"), StepState::kSucceeded);  // the rest of the run went on
  EXPECT_EQ(h.state().phase(), RunPhase::kRunning);
  EXPECT_FALSE(h.engine().Skip("a", "alice", "").ok());  // a reason is required
  ASSERT_TRUE(h.engine().Skip("a", "alice", "done by hand").ok());
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kSkipped);
  EXPECT_EQ(h.State("after-a"), StepState::kSucceeded);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
}

TEST(RunEngineTest, OperatorRetryStartsANewSeriesOfAttempts) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, retries: 1, run: {on: local, command: [x]}}
)", "steps: {a: {fail_attempts: 3}}");
  h.Start();
  h.RunAll();
  ASSERT_TRUE(h.Step("a").paused);
  ASSERT_TRUE(h.engine().Retry("a", "alice", "fixed the mount").ok());
  h.RunAll();
  // attempt 3 fails, retry 4 succeeds
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);
  EXPECT_EQ(h.Step("a").attempt, 4);
  EXPECT_FALSE(h.engine().Retry("a", "alice", "again").ok());  // not paused any more
}

TEST(RunEngineTest, AbortCancelsRunningStepsAndUndoesNothing) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: b, needs: [a], duration: 1m, on_failure: abort, run: {on: local, command: [x]}}
  - {id: c, needs: [a], duration: 1h, run: {on: local, command: [x]}}
  - {id: d, needs: [c], duration: 1m, run: {on: local, command: [x]}}
)", "steps: {b: {fail: true}}");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.state().phase(), RunPhase::kAborted);
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);  // not rolled back
  EXPECT_EQ(h.State("b"), StepState::kFailed);
  EXPECT_EQ(h.State("c"), StepState::kCancelled);
  EXPECT_EQ(h.State("d"), StepState::kPending);
  EXPECT_EQ(h.state().ended_at()->count(), 120'000);
}

TEST(RunEngineTest, ContinueCountsAsDoneForDependants) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, on_failure: continue, run: {on: local, command: [x]}}
  - {id: b, needs: [a], duration: 1m, run: {on: local, command: [x]}}
)", "steps: {a: {fail: true}}");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kFailed);
  EXPECT_EQ(h.State("b"), StepState::kSucceeded);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
}

TEST(RunEngineTest, SignOffNeedsTheRoleAndCountsDistinctPeople) {
  EngineHarness h(Roles() + R"(steps:
  - id: m
    type: manual
    owner: lead
    signoff: {by: [dba, lead], quorum: all}
)");
  h.Start();
  EXPECT_EQ(h.State("m"), StepState::kAwaitingSignoff);
  EXPECT_FALSE(h.engine().SignOff("m", "erin", "").ok());  // holds no listed role
  ASSERT_TRUE(h.engine().SignOff("m", "bob", "ok").ok());
  EXPECT_FALSE(h.engine().SignOff("m", "bob", "again").ok());  // nobody signs twice
  ASSERT_TRUE(h.engine().SignOff("m", "carol", "").ok());      // a second dba: not the lead
  EXPECT_EQ(h.State("m"), StepState::kAwaitingSignoff);
  ASSERT_TRUE(h.engine().SignOff("m", "alice", "").ok());
  EXPECT_EQ(h.State("m"), StepState::kSucceeded);
  EXPECT_EQ(h.Step("m").signoffs.size(), 3u);
  EXPECT_EQ(h.Step("m").signoffs[0].as, "dba");
  EXPECT_EQ(h.Count(EventType::kRejected), 2);
  EXPECT_FALSE(h.engine().SignOff("m", "carol", "late").ok());  // already done
}

TEST(RunEngineTest, SignOffDefaultsToTheOwnerWithQuorumOne) {
  EngineHarness h(Roles() + "steps:\n  - {id: m, type: manual, owner: dba}\n");
  h.Start();
  EXPECT_FALSE(h.engine().SignOff("m", "alice", "").ok());
  ASSERT_TRUE(h.engine().SignOff("m", "carol", "").ok());
  EXPECT_EQ(h.State("m"), StepState::kSucceeded);
}

TEST(RunEngineTest, NumericQuorumNeedsThatManyPeople) {
  EngineHarness h(Roles() + "steps:\n  - {id: m, type: manual, owner: dba, signoff: {by: [dba], quorum: 2}}\n");
  h.Start();
  ASSERT_TRUE(h.engine().SignOff("m", "bob", "").ok());
  EXPECT_EQ(h.State("m"), StepState::kAwaitingSignoff);
  ASSERT_TRUE(h.engine().SignOff("m", "carol", "").ok());
  EXPECT_EQ(h.State("m"), StepState::kSucceeded);
}

const char* kGateRunbook = R"(steps:
  - {id: check, type: check, duration: 1m, on_failure: continue, run: {on: local, command: [x]}}
  - {id: work, needs: [check], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - id: gate
    type: gate
    needs: [work]
    criteria: [check]
    approvers: [lead, dba]
    duration: 10m
)";

TEST(RunEngineTest, GateGoNeedsEveryApproverRoleByDefault) {
  EngineHarness h(Roles() + kGateRunbook);
  h.Start();
  h.Advance(120);
  ASSERT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  EXPECT_FALSE(h.engine().Decide("gate", "erin", Decision::kGo, "").ok());  // not an approver
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kGo, "").ok());
  EXPECT_EQ(h.State("gate"), StepState::kAwaitingSignoff);  // quorum all: a dba too
  EXPECT_FALSE(h.engine().Decide("gate", "alice", Decision::kGo, "").ok());
  ASSERT_TRUE(h.engine().Decide("gate", "bob", Decision::kGo, "").ok());
  EXPECT_EQ(h.State("gate"), StepState::kSucceeded);
  EXPECT_EQ(h.Step("gate").decision, Decision::kGo);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
  EXPECT_FALSE(h.engine().Decide("gate", "carol", Decision::kNogo, "too late").ok());
}

// The coordinator's operators file can name a stand-in for a role without editing the
// runbook: erin (app in the runbook) is given dba for the night; dave, unknown to the
// runbook, is given lead. Each approval records the role it counted for.
TEST(RunEngineTest, RolesGivenOutsideTheRunbookCountForTheirHolderOnly) {
  EngineHarness h(Roles() + kGateRunbook, "", false, 0, {{"erin", {"dba"}}, {"dave", {"lead"}}});
  h.Start();
  h.Advance(120);
  ASSERT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  EXPECT_FALSE(h.engine().Decide("gate", "frank", Decision::kGo, "").ok());  // no role at all
  ASSERT_TRUE(h.engine().Decide("gate", "erin", Decision::kGo, "").ok());
  EXPECT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  ASSERT_TRUE(h.engine().Decide("gate", "dave", Decision::kGo, "").ok());
  EXPECT_EQ(h.State("gate"), StepState::kSucceeded);
  std::map<std::string, std::string> as;
  for (const SignOffRecord& r : h.Step("gate").signoffs) as[r.person] = r.as;
  EXPECT_EQ(as.at("erin"), "dba");
  EXPECT_EQ(as.at("dave"), "lead");
}

TEST(RunEngineTest, OneNogoDecidesTheGateAndRollsBack) {
  EngineHarness h(Roles() + kGateRunbook);
  h.Start();
  h.Advance(120);
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kGo, "").ok());
  ASSERT_TRUE(h.engine().Decide("gate", "carol", Decision::kNogo, "replica lag").ok());
  EXPECT_EQ(h.State("gate"), StepState::kFailed);
  EXPECT_EQ(h.Step("gate").decision, Decision::kNogo);
  h.RunAll();
  EXPECT_EQ(h.State("work"), StepState::kRolledBack);
  EXPECT_EQ(h.State("check"), StepState::kSucceeded);  // no rollback: untouched
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
}

TEST(RunEngineTest, FailedCriterionDecidesNogoAtOnceWithoutOverride) {
  EngineHarness h(Roles() + kGateRunbook, "steps: {check: {fail: true}}");
  h.Start();
  h.Advance(120);
  EXPECT_EQ(h.State("gate"), StepState::kFailed);
  EXPECT_EQ(h.Step("gate").decision, Decision::kNogo);
  EXPECT_EQ(h.EndS("gate"), 120);
}

TEST(RunEngineTest, OverrideLetsApproversGoWithAReason) {
  EngineHarness h(Roles() + R"(steps:
  - {id: check, type: check, duration: 1m, on_failure: continue, run: {on: local, command: [x]}}
  - {id: gate, type: gate, needs: [check], criteria: [check], override: true, approvers: [lead], quorum: 1}
)", "steps: {check: {fail: true}}");
  h.Start();
  h.Advance(60);
  ASSERT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  EXPECT_FALSE(h.engine().Decide("gate", "alice", Decision::kGo, "").ok());  // needs a reason
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kGo, "lag is a known false alarm").ok());
  EXPECT_EQ(h.State("gate"), StepState::kSucceeded);
  EXPECT_TRUE(h.Step("gate").decided_by_override);
}

TEST(RunEngineTest, GateWithoutApproversDecidesItself) {
  EngineHarness h(Roles() + R"(steps:
  - {id: check, type: check, duration: 1m, run: {on: local, command: [x]}}
  - {id: gate, type: gate, needs: [check], criteria: [check]}
)");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("gate"), StepState::kSucceeded);
  EXPECT_EQ(h.EndS("gate"), 60);
}

TEST(RunEngineTest, DecideByAppliesOnTimeout) {
  EngineHarness nogo(Roles() + R"(steps:
  - {id: gate, type: gate, approvers: [lead], decide_by: T+00:15}
  - {id: next, needs: [gate], type: milestone}
)");
  nogo.Start();
  nogo.RunAll();
  EXPECT_EQ(nogo.State("gate"), StepState::kFailed);
  EXPECT_EQ(nogo.EndS("gate"), 900);
  EXPECT_EQ(nogo.state().phase(), RunPhase::kRolledBack);  // on_nogo default: rollback
  EngineHarness go(Roles() + R"(steps:
  - {id: gate, type: gate, approvers: [lead], decide_by: T+00:15, on_timeout: go}
  - {id: next, needs: [gate], type: milestone}
)");
  go.Start();
  go.RunAll();
  EXPECT_EQ(go.State("gate"), StepState::kSucceeded);
  EXPECT_EQ(go.state().phase(), RunPhase::kSucceeded);
}

TEST(RunEngineTest, OnNogoAbortAbortsInsteadOfRollingBack) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: gate, type: gate, needs: [a], approvers: [lead], on_nogo: abort}
)");
  h.Start();
  h.Advance(60);
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kNogo, "no").ok());
  h.RunAll();
  EXPECT_EQ(h.state().phase(), RunPhase::kAborted);
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);
}

TEST(RunEngineTest, ApproversExcludeEnforcesSeparationOfDuties) {
  EngineHarness h(Roles() + R"(steps:
  - {id: work, type: manual, owner: dba}
  - {id: gate, type: gate, needs: [work], approvers: [dba], quorum: 1, approvers_exclude: [work]}
)");
  h.Start();
  ASSERT_TRUE(h.engine().SignOff("work", "bob", "").ok());
  ASSERT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  absl::Status refused = h.engine().Decide("gate", "bob", Decision::kGo, "");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("approvers_exclude"), std::string_view::npos);
  ASSERT_TRUE(h.engine().Decide("gate", "carol", Decision::kGo, "").ok());
  EXPECT_EQ(h.State("gate"), StepState::kSucceeded);
}

TEST(RunEngineTest, MilestoneIsReachedAtOnce) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 5m, run: {on: local, command: [x]}}
  - {id: m, type: milestone, needs: [a]}
)");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.StartS("m"), 300);
  EXPECT_EQ(h.EndS("m"), 300);
}

const char* kPonrRunbook = R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: ponr, type: milestone, needs: [a], no_return: true}
  - {id: b, needs: [ponr], duration: 1m, run: {on: local, command: [x]}}
)";

TEST(RunEngineTest, RollbackPastThePointOfNoReturnIsRefusedUnlessForced) {
  EngineHarness h(Roles() + kPonrRunbook, "steps: {b: {fail: true}}");
  h.Start();
  h.RunAll();
  ASSERT_TRUE(h.Step("b").paused);
  EXPECT_TRUE(h.state().no_return_passed());
  ASSERT_TRUE(h.engine().Rollback("alice", false, "b broke").ok());
  EXPECT_TRUE(h.state().rollback_refused());
  EXPECT_FALSE(h.state().rolling_back());
  EXPECT_EQ(h.Count(EventType::kRollbackRefused), 1);
  ASSERT_TRUE(h.engine().Rollback("alice", true, "CAB approved a forced rollback").ok());
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kRolledBack);
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
  EXPECT_TRUE(h.state().rollback_forced());
}

TEST(RunEngineTest, RefusedRollbackCanRollForward) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: ponr, type: milestone, needs: [a], no_return: true}
  - {id: b, needs: [ponr], duration: 1m, on_failure: rollback, run: {on: local, command: [x]}}
  - {id: c, needs: [b], duration: 1m, run: {on: local, command: [x]}}
)", "steps: {b: {fail: true}}");
  h.Start();
  h.RunAll();
  EXPECT_TRUE(h.state().rollback_refused());
  EXPECT_EQ(h.State("c"), StepState::kPending);
  ASSERT_TRUE(h.engine().Skip("b", "alice", "fixed by hand; rolling forward").ok());
  h.RunAll();
  EXPECT_FALSE(h.state().rollback_refused());
  EXPECT_EQ(h.State("c"), StepState::kSucceeded);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
}

// a -> b -> d, a -> c -> d; rollback of a after both b and c; b and c in parallel; x has
// no rollback but sits between y and z, so z waits for y through it.
TEST(RunEngineTest, RollbackRunsInReverseDependencyOrderWithParallelBranches) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 1m}}
  - {id: b, needs: [a], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 2m}}
  - {id: c, needs: [a], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 5m}}
  - {id: z, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 1m}}
  - {id: x, needs: [z], duration: 1m, run: {on: local, command: [x]}}
  - {id: y, needs: [x], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 3m}}
  - {id: gate, type: gate, needs: [b, c, y], approvers: [lead]}
)");
  h.Start();
  h.Advance(180);
  ASSERT_EQ(h.State("gate"), StepState::kAwaitingSignoff);
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kNogo, "abandon").ok());
  h.RunAll();
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
  // b, c and y start together; a waits for the longer of b and c; z waits for y.
  EXPECT_EQ(h.RollbackStartS("b"), 180);
  EXPECT_EQ(h.RollbackStartS("c"), 180);
  EXPECT_EQ(h.RollbackStartS("y"), 180);
  EXPECT_EQ(h.RollbackEndS("c"), 480);
  EXPECT_EQ(h.RollbackStartS("a"), 480);
  EXPECT_EQ(h.RollbackEndS("a"), 540);
  EXPECT_EQ(h.RollbackStartS("z"), 360);
  EXPECT_EQ(h.State("x"), StepState::kSucceeded);  // nothing to undo
  EXPECT_EQ(h.State("a"), StepState::kRolledBack);
  EXPECT_EQ(h.State("z"), StepState::kRolledBack);
}

TEST(RunEngineTest, RollbackCancelsRunningStepsFirst) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: long, needs: [a], duration: 1h, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: bad, needs: [a], duration: 1m, on_failure: rollback, run: {on: local, command: [x]}}
)", "steps: {bad: {fail: true}}");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("long"), StepState::kCancelled);  // cancelled, not rolled back
  EXPECT_EQ(h.State("a"), StepState::kRolledBack);
  EXPECT_EQ(h.RollbackStartS("a"), 120);
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
}

TEST(RunEngineTest, FailingRollbackActionStopsTheRollbackAndPauses) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 1m}}
  - {id: b, needs: [a], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 1m}}
  - {id: c, needs: [a], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u], duration: 10m}}
  - {id: gate, type: gate, needs: [b, c], approvers: [lead]}
)", "rollback: {b: {fail: true}}");
  h.Start();
  h.Advance(120);
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kNogo, "no").ok());
  h.RunAll();
  EXPECT_EQ(h.State("b"), StepState::kRollbackFailed);
  EXPECT_TRUE(h.state().rollback_paused());
  EXPECT_EQ(h.State("c"), StepState::kRolledBack);  // already running: it finished
  EXPECT_EQ(h.State("a"), StepState::kSucceeded);   // no new rollback started
  EXPECT_EQ(h.state().phase(), RunPhase::kRunning);
  ASSERT_TRUE(h.engine().Abort("alice", "giving up on the rollback").ok());
  h.RunAll();
  EXPECT_EQ(h.state().phase(), RunPhase::kFailed);
}

TEST(RunEngineTest, SkippingAFailedRollbackActionLetsTheRestProceed) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: b, needs: [a], duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: gate, type: gate, needs: [b], approvers: [lead]}
)", "rollback: {b: {fail: true}}");
  h.Start();
  h.Advance(120);
  ASSERT_TRUE(h.engine().Decide("gate", "alice", Decision::kNogo, "no").ok());
  h.RunAll();
  ASSERT_TRUE(h.state().rollback_paused());
  ASSERT_TRUE(h.engine().Skip("b", "alice", "undone by hand").ok());
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kRolledBack);
  EXPECT_EQ(h.state().phase(), RunPhase::kFailed);  // one rollback action failed
}

TEST(RunEngineTest, DeadlineMissIsRecordedAtTheDeadline) {
  EngineHarness h(Roles() + R"(steps:
  - {id: slow, duration: 30m, deadline: T+00:20, run: {on: local, command: [x]}}
  - {id: fast, duration: 10m, deadline: T+00:20, run: {on: local, command: [x]}}
)");
  h.Start();
  h.RunAll();
  EXPECT_TRUE(h.Step("slow").deadline_missed);
  EXPECT_FALSE(h.Step("fast").deadline_missed);
  for (const RunEvent& e : h.events()) {
    if (e.type == EventType::kDeadlineMissed) {
      EXPECT_EQ(e.time.count(), 1200'000);
    }
  }
  EXPECT_EQ(h.Count(EventType::kDeadlineMissed), 1);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);  // recorded, not fatal
}

TEST(RunEngineTest, ACancelledAttemptReportingAfterTheRunEndedIsNotJournaled) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1h, run: {on: local, command: [x]}}
  - {id: b, duration: 1m, on_failure: rollback, run: {on: local, command: [x]}}
  - {id: c, needs: [a], type: milestone}
)", "steps: {b: {fail: true}}");
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.State("a"), StepState::kCancelled);
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
  // a's attempt was cancelled by the rollback, which then had nothing to undo and ended
  // the run before the cancelled attempt reported: after the run's end, nothing more is
  // journaled.
  for (const RunEvent& e : h.events()) {
    EXPECT_FALSE(e.type == EventType::kResult && e.step == h.Index("a")) << "a result for a";
  }
  EXPECT_EQ(h.events().back().type, EventType::kRunEnded);
}

// While the run goes on, a cancelled attempt's report is journaled as late and changes
// nothing.
TEST(RunEngineTest, AResultForACancelledAttemptIsRecordedLateAndIgnored) {
  EngineHarness h(Roles() + R"(steps:
  - {id: a, duration: 1m, run: {on: local, command: [x]}, rollback: {on: local, command: [u]}}
  - {id: b, needs: [a], duration: 30m, run: {on: local, command: [x]}}
)");
  h.Start();
  h.Advance(120);
  ASSERT_EQ(h.State("b"), StepState::kRunning);
  ASSERT_TRUE(h.engine().Rollback("alice", false, "the vendor called it off").ok());
  h.RunAll();
  EXPECT_EQ(h.State("b"), StepState::kCancelled);
  EXPECT_EQ(h.State("a"), StepState::kRolledBack);
  EXPECT_EQ(h.state().phase(), RunPhase::kRolledBack);
  int late = 0;
  int rollback_results = 0;
  for (const RunEvent& e : h.events()) {
    if (e.type != EventType::kResult) continue;
    if (e.step == h.Index("b")) {
      EXPECT_TRUE(e.late);
      EXPECT_TRUE(e.cancelled);
      EXPECT_EQ(e.dispatch_id, "b#1");
      ++late;
    } else if (e.rollback) {
      // The rollback's own result was current: it completed a.
      EXPECT_FALSE(e.late);
      EXPECT_EQ(e.dispatch_id, "a#rollback1");
      ++rollback_results;
    }
  }
  EXPECT_EQ(late, 1);
  EXPECT_EQ(rollback_results, 1);
  EXPECT_TRUE(h.Step("b").dispatch_id.empty());
}

TEST(RunEngineTest, AbortCommandNeedsAReasonAndEndsTheRun) {
  EngineHarness h(Roles() + "steps:\n  - {id: m, type: manual, owner: lead}\n");
  h.Start();
  EXPECT_FALSE(h.engine().Abort("alice", "").ok());
  ASSERT_TRUE(h.engine().Abort("alice", "window cancelled").ok());
  EXPECT_EQ(h.state().phase(), RunPhase::kAborted);
  EXPECT_EQ(h.State("m"), StepState::kCancelled);
  EXPECT_FALSE(h.engine().Abort("alice", "again").ok());
}

TEST(RunEngineTest, SimulatedPeopleFollowThePlan) {
  EngineHarness h(Roles() + R"(steps:
  - {id: m, type: manual, owner: dba, duration: 20m}
  - {id: g, type: gate, needs: [m], approvers: [lead, dba], duration: 5m}
)", "", /*simulated_people=*/true);
  h.Start();
  h.RunAll();
  EXPECT_EQ(h.EndS("m"), 1200);
  EXPECT_EQ(h.EndS("g"), 1500);
  EXPECT_EQ(h.state().phase(), RunPhase::kSucceeded);
}

}  // namespace
}  // namespace tminus
