#include "engine/validate/validator.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace tminus {
namespace {

using testing::Check;
using testing::Header;

// One runbook, ten different mistakes, all reported in one pass at their line:column.
TEST(ValidatorTest, TenMistakesGiveTenDiagnosticsInOnePass) {
  const std::string yaml = R"(runbook: 1
name: ten-mistakes
window:
  start: 2026-12-05T22:00:00-05:00
  end: T+01:00
roles:
  lead: [alice]
targets:
  db: {agents: {role: db}}
vars:
  vip: 10.0.0.1
steps:
  - id: freeze
    type: manual
    owner: leed
    duration: 30m
  - id: backup
    needs: [freez]
    duration: 2 hours
    run: {on: dbb, command: [backup, "${vipp}"]}
  - id: backup
    needs: [freeze]
    run: {on: db, command: [true]}
  - id: a
    needs: [b]
    run: {on: db, command: [true]}
  - id: b
    needs: [a]
    run: {on: db, command: [true]}
  - id: gate
    type: gate
    needs: [freeze]
    criteria: [a]
    approvers: [lead]
    timout: 5m
  - id: ponr
    type: milestone
    needs: [gate]
    no_return: yes
)";
  auto c = Check(yaml);
  EXPECT_TRUE(c.HasError(15, 12, "'leed', the owner of step 'freeze', is neither a role nor a person listed under roles; did you mean 'lead'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(18, 13, "step 'backup' needs 'freez', which is not a step; did you mean 'freeze'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(20, 15, "target 'dbb' in run of step 'backup' is not defined under targets; did you mean 'db'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(20, 38, "variable 'vipp' in run of step 'backup' is not defined under vars; did you mean 'vip'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(21, 9, "duplicate step id 'backup' (first used at line 17)")) << c.Dump();
  EXPECT_TRUE(c.HasError(25, 13, "dependency cycle: 'a' needs 'b' needs 'a'")) << c.Dump();
  EXPECT_TRUE(c.HasError(33, 16, "criterion 'a' of gate 'gate' is not a step the gate needs")) << c.Dump();
  EXPECT_TRUE(c.HasError(35, 5, "unknown key 'timout' in step 'gate'; did you mean 'timeout'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(39, 16, "write true or false")) << c.Dump();
  EXPECT_TRUE(c.HasError(19, 15, "'duration' in step 'backup' '2 hours' is not a duration")) << c.Dump();
  EXPECT_EQ(c.diagnostics.error_count(), 10) << c.Dump();
}

TEST(ValidatorTest, CycleIsNamedInFull) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - {id: a, type: milestone, needs: [c]}\n"
                 "  - {id: b, type: milestone, needs: [a]}\n"
                 "  - {id: c, type: milestone, needs: [b]}\n");
  EXPECT_TRUE(c.HasError(7, 0, "dependency cycle: 'a' needs 'c' needs 'b' needs 'a'")) << c.Dump();
  EXPECT_EQ(c.diagnostics.error_count(), 1) << c.Dump();
}

TEST(ValidatorTest, SelfNeedIsReported) {
  auto c = Check(Header() + "steps:\n  - {id: a, type: milestone, needs: [a]}\n");
  EXPECT_TRUE(c.HasError(7, 0, "step 'a' needs itself")) << c.Dump();
}

TEST(ValidatorTest, CriteriaMayBeNeededTransitively) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - {id: a, type: milestone}\n"
                 "  - {id: b, type: milestone, needs: [a]}\n"
                 "  - {id: g, type: gate, needs: [b], criteria: [a, b]}\n");
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
}

TEST(ValidatorTest, UnknownSecretAndMalformedReference) {
  auto c = Check(Header() +
                 "secrets:\n  pw: {env: PW}\n"
                 "steps:\n"
                 "  - id: a\n"
                 "    run: {on: local, command: [x, \"${secrets.pww}\", \"${oops\"]}\n");
  EXPECT_TRUE(c.HasError(10, 0, "secret 'pww' in run of step 'a' is not defined under secrets; did you mean 'pw'?")) << c.Dump();
  EXPECT_TRUE(c.HasError(10, 0, "is not closed")) << c.Dump();
}

TEST(ValidatorTest, LiteralDollarsAreNotReferences) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - id: a\n"
                 "    run: {on: local, shell: 'echo $HOME $${NOT_A_VAR} $$'}\n");
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
}

TEST(ValidatorTest, ProbeOnSshTargetIsAnError) {
  auto c = Check(Header() +
                 "targets:\n  box: {ssh: {host: 10.0.0.5}}\n"
                 "steps:\n"
                 "  - id: a\n"
                 "    type: check\n"
                 "    run: {on: box, probe: {tcp: '10.0.0.6:22'}}\n");
  EXPECT_TRUE(c.HasError(11, 0, "built-in probes run on agents or local")) << c.Dump();
}

TEST(ValidatorTest, QuorumThatCanNeverBeMet) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - id: a\n    type: manual\n    owner: dba\n    signoff: {by: [dba], quorum: 3}\n");
  EXPECT_TRUE(c.HasError(10, 34, "quorum 3 of step 'a' can never be met: only 2 distinct people")) << c.Dump();
}

TEST(ValidatorTest, RollbackAfterPointOfNoReturnIsAWarning) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - {id: ponr, type: milestone, no_return: true}\n"
                 "  - id: after\n"
                 "    needs: [ponr]\n"
                 "    run: {on: local, command: [true]}\n"
                 "    rollback: {on: local, command: [false]}\n");
  EXPECT_TRUE(c.HasWarning(11, 15, "comes after the point of no return 'ponr'")) << c.Dump();
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
}

TEST(ValidatorTest, PlanThatDoesNotFitTheWindowIsAWarning) {
  auto c = Check(Header() +
                 "window: {start: 2026-12-05T22:00:00-05:00, end: T+01:00}\n"
                 "steps:\n"
                 "  - id: long\n    type: manual\n    owner: lead\n    duration: 90m\n"
                 "    deadline: T+00:45\n");
  EXPECT_TRUE(c.HasWarning(6, 49, "the plan does not fit the window: it ends at T+01:30 (12-05 23:30), 30m after the window closes at T+01:00 (12-05 23:00)")) << c.Dump();
  EXPECT_TRUE(c.HasWarning(12, 15, "step 'long' is planned to end at T+01:30 (12-05 23:30), 45m after its deadline")) << c.Dump();
}

TEST(ValidatorTest, DurationLongerThanTimeoutIsAWarning) {
  auto c = Check(Header() +
                 "defaults: {timeout: 10m}\n"
                 "steps:\n"
                 "  - {id: a, duration: 20m, run: {on: local, command: [x]}}\n"
                 "  - {id: b, duration: 20m, timeout: 5m, run: {on: local, command: [x]}}\n"
                 "  - {id: c, duration: 5m, run: {on: local, command: [x]}}\n");
  EXPECT_TRUE(c.HasWarning(8, 23, "step 'a' is planned to take 20m but times out after 10m")) << c.Dump();
  EXPECT_TRUE(c.HasWarning(9, 37, "step 'b' is planned to take 20m but times out after 5m")) << c.Dump();
  EXPECT_EQ(c.diagnostics.warning_count(), 2) << c.Dump();
}

TEST(ValidatorTest, PeopleAndRolesAreBothAccepted) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - {id: a, type: manual, owner: carol}\n"
                 "  - {id: b, type: manual, owner: dba, signoff: {by: [alice, dba]}}\n"
                 "  - {id: g, type: gate, needs: [a, b], approvers: [lead, bob], approvers_exclude: [a]}\n");
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
}

}  // namespace
}  // namespace tminus
