#include "engine/loader/runbook_loader.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace tminus {
namespace {

using testing::Check;
using testing::Header;

TEST(RunbookLoaderTest, LoadsEveryKeyWithItsPosition) {
  const std::string yaml = Header() + R"(title: "ERP wave 3"
change: CHG0034567
description: |
  Free text.
window:
  start: 2026-12-05T22:00:00-05:00
  end: T+08:00
targets:
  db:
    agents: {role: db, site: dc1}
  app-01:
    ssh: {host: 10.1.2.3, port: 2222, user: cutover}
  web:
    ssh: {hosts: [web-01, web-02], user: deploy}
vars:
  vip: 10.20.0.15
secrets:
  db_password: {env: DB_PASSWORD}
  token: {file: /etc/token}
defaults:
  timeout: 10m
  duration: 5m
  on_failure: pause
steps:
  - id: stop-app
    title: Stop ERP application
    type: task
    stream: compute
    owner: dba
    duration: 10m
    not_before: T+00:30
    deadline: T+01:00
    timeout: 15m
    retries: {count: 2, delay: 30s}
    on_failure: rollback
    idempotent: false
    run:
      on: db
      command: [/usr/local/bin/check-lag, --max, "5"]
      env: {PGPASSWORD: "${secrets.db_password}"}
    expect: {exit_code: 0, stdout_contains: "OK"}
    rollback:
      on: app-01
      command: [sudo, systemctl, start, erp]
      duration: 3m
  - id: confirm
    type: manual
    owner: lead
    needs: [stop-app]
    signoff: {by: [lead, dba], quorum: all}
  - id: go
    type: gate
    needs: [confirm]
    criteria: [stop-app]
    approvers: [lead]
    quorum: 1
    override: true
    approvers_exclude: [confirm]
    decide_by: T+02:00
    on_timeout: go
    on_nogo: abort
  - id: ponr
    type: milestone
    needs: [go]
    no_return: true
  - id: probe-vip
    type: check
    needs: [ponr]
    run: {on: local, probe: {tcp: "${vip}:1521"}}
  - id: web-ok
    type: check
    needs: [ponr]
    retries: 3
    run: {on: db, probe: {http: {url: "http://${vip}/health", status: 204}}}
)";
  auto c = Check(yaml);
  ASSERT_FALSE(c.diagnostics.has_errors()) << c.Dump();
  const Runbook& rb = c.runbook;
  EXPECT_EQ(rb.version.value, 1);
  EXPECT_EQ(rb.name.value, "test");
  EXPECT_EQ(rb.title.value, "ERP wave 3");
  EXPECT_EQ(rb.change.value, "CHG0034567");
  EXPECT_EQ(rb.description.value, "Free text.\n");
  EXPECT_EQ(rb.window.start.value.utc_offset_minutes, -300);
  EXPECT_EQ(rb.window.end.value.offset.count(), 8 * 3600);
  EXPECT_EQ(rb.window.end.loc.line, 12);
  EXPECT_EQ(rb.window.end.loc.column, 8);
  ASSERT_EQ(rb.targets.size(), 3u);
  EXPECT_EQ(rb.targets[0].labels.size(), 2u);
  EXPECT_EQ(rb.targets[1].ssh.port.value, 2222);
  EXPECT_EQ(rb.targets[2].ssh.hosts.size(), 2u);
  EXPECT_EQ(rb.targets[2].ssh.port.value, 22);
  EXPECT_EQ(rb.secrets[1].source, Secret::Source::kFile);
  ASSERT_EQ(rb.steps.size(), 6u);
  const Step& s = rb.steps[0];
  EXPECT_EQ(s.id.loc.line, 30);
  EXPECT_EQ(s.id.loc.column, 9);
  EXPECT_EQ(s.type.value, StepType::kTask);
  EXPECT_EQ(s.duration.value.count(), 600);
  EXPECT_EQ(s.not_before.value.offset.count(), 1800);
  EXPECT_EQ(s.timeout.value.count(), 900);
  EXPECT_EQ(s.retries.count.value, 2);
  EXPECT_EQ(s.retries.delay.value.count(), 30);
  EXPECT_EQ(s.on_failure.value, OnFailure::kRollback);
  EXPECT_FALSE(s.IsIdempotent());
  ASSERT_TRUE(s.run);
  EXPECT_EQ(s.run->command.size(), 3u);
  EXPECT_EQ(s.run->command[2].value, "5");
  EXPECT_EQ(s.run->env[0].first.value, "PGPASSWORD");
  EXPECT_EQ(s.expect.stdout_contains.value, "OK");
  ASSERT_TRUE(s.rollback);
  EXPECT_EQ(PlannedRollbackDuration(s).count(), 180);
  const Step& manual = rb.steps[1];
  EXPECT_TRUE(manual.signoff.quorum.value.all);
  EXPECT_EQ(manual.duration.value.count(), 300);  // from defaults
  const Step& gate = rb.steps[2];
  ASSERT_TRUE(gate.gate);
  EXPECT_EQ(gate.gate->quorum.value.count, 1);
  EXPECT_FALSE(gate.gate->quorum.value.all);
  EXPECT_TRUE(gate.gate->override_.value);
  EXPECT_EQ(gate.gate->on_timeout.value, Decision::kGo);
  EXPECT_EQ(gate.gate->on_nogo.value, OnNogo::kAbort);
  EXPECT_TRUE(rb.steps[3].no_return.value);
  EXPECT_EQ(PlannedDuration(rb.steps[3]).count(), 0);
  EXPECT_EQ(rb.steps[4].run->kind, Action::Kind::kProbe);
  EXPECT_TRUE(rb.steps[4].IsIdempotent());  // checks default to idempotent
  EXPECT_EQ(rb.steps[4].timeout.value.count(), 600);  // from defaults
  EXPECT_EQ(rb.steps[5].retries.count.value, 3);
  EXPECT_EQ(rb.steps[5].run->probe->status.value, 204);
}

TEST(RunbookLoaderTest, GateDefaultsAreQuorumAllNogoOnTimeoutAndRollback) {
  auto c = Check(Header() + "steps:\n  - id: g\n    type: gate\n    approvers: [lead, dba]\n");
  ASSERT_FALSE(c.diagnostics.has_errors()) << c.Dump();
  const GateSpec& g = *c.runbook.steps[0].gate;
  EXPECT_TRUE(g.quorum.value.all);
  EXPECT_EQ(g.on_timeout.value, Decision::kNogo);
  EXPECT_EQ(g.on_nogo.value, OnNogo::kRollback);
}

TEST(RunbookLoaderTest, UnknownKeysAreErrorsWithSuggestionsButXKeysAreIgnored) {
  auto c = Check(Header() + "x-notes: anything\nsteps:\n  - id: a\n    type: manual\n"
                            "    owner: lead\n    x-jira: OPS-1\n    neds: [b]\n");
  EXPECT_TRUE(c.HasError(12, 5, "unknown key 'neds' in step 'a'; did you mean 'needs'?")) << c.Dump();
  EXPECT_EQ(c.diagnostics.error_count(), 1) << c.Dump();
}

TEST(RunbookLoaderTest, Yaml11BooleansAreRefused) {
  auto c = Check(Header() + "steps:\n  - id: a\n    type: milestone\n    no_return: yes\n");
  EXPECT_TRUE(c.HasError(9, 16, "write true or false")) << c.Dump();
  auto quoted = Check(Header() + "steps:\n  - id: a\n    type: milestone\n    no_return: \"true\"\n");
  EXPECT_TRUE(quoted.HasError(9, 16, "must be true or false")) << quoted.Dump();
}

TEST(RunbookLoaderTest, WrongTypesAreReportedAtTheValue) {
  auto c = Check(Header() + "steps:\n  - id: a\n    type: manual\n    owner: lead\n"
                            "    needs: b\n    duration: [5m]\n    title: {x: 1}\n");
  EXPECT_TRUE(c.HasError(10, 12, "must be a list; write [b]")) << c.Dump();
  EXPECT_TRUE(c.HasError(11, 15, "not a list")) << c.Dump();
  EXPECT_TRUE(c.HasError(12, 12, "must be a string, not a mapping")) << c.Dump();
}

TEST(RunbookLoaderTest, BadDurationsAndInstantsSayWhy) {
  auto c = Check(Header() + "steps:\n  - id: a\n    type: manual\n    owner: lead\n"
                            "    duration: 15 minutes\n    not_before: T+25:61\n"
                            "    deadline: 2026-12-05T22:00:00\n");
  EXPECT_TRUE(c.HasError(10, 15, "is not a duration")) << c.Dump();
  EXPECT_TRUE(c.HasError(11, 17, "is not a time")) << c.Dump();
  EXPECT_TRUE(c.HasError(12, 15, "offset")) << c.Dump();
}

TEST(RunbookLoaderTest, TypeSpecificRules) {
  auto c = Check(Header() +
                 "steps:\n"
                 "  - id: t\n"            // 7: task with no run
                 "  - id: m\n"            // 8
                 "    type: manual\n"     // 9: no owner
                 "    run: {on: local, command: [true]}\n"  // 10: run on manual
                 "  - id: ms\n"           // 11
                 "    type: milestone\n"
                 "    duration: 5m\n"     // 13: milestone with time
                 "  - id: c\n"            // 14
                 "    type: check\n"
                 "    signoff: {by: [lead]}\n"  // 16: no effect
                 "    run: {on: local, command: [true], shell: 'x'}\n");  // 17: two kinds
  EXPECT_TRUE(c.HasError(7, 5, "has no 'run'")) << c.Dump();
  EXPECT_TRUE(c.HasError(8, 5, "needs an 'owner'")) << c.Dump();
  EXPECT_TRUE(c.HasError(10, 5, "cannot have 'run'")) << c.Dump();
  EXPECT_TRUE(c.HasError(13, 15, "a milestone takes no time")) << c.Dump();
  EXPECT_TRUE(c.HasWarning(16, 5, "'signoff' has no effect on a check step")) << c.Dump();
  EXPECT_TRUE(c.HasError(17, 39, "exactly one of command, shell or probe")) << c.Dump();
}

TEST(RunbookLoaderTest, MissingTopLevelKeys) {
  auto c = Check("title: nothing else\n");
  EXPECT_TRUE(c.HasError(1, 1, "missing 'runbook: 1'")) << c.Dump();
  EXPECT_TRUE(c.HasError(1, 1, "missing 'name'")) << c.Dump();
  EXPECT_TRUE(c.HasError(1, 1, "missing 'steps'")) << c.Dump();
  auto version = Check("runbook: 2\nname: x\nsteps: []\n");
  EXPECT_TRUE(version.HasError(1, 10, "format version 2 is not supported")) << version.Dump();
  EXPECT_TRUE(version.HasError(3, 8, "'steps' is empty")) << version.Dump();
}

TEST(RunbookLoaderTest, EmptyAndNonMappingDocuments) {
  EXPECT_TRUE(Check("").HasError(1, 1, "empty"));
  EXPECT_TRUE(Check("- a\n- b\n").HasError(1, 1, "must be a mapping"));
  EXPECT_TRUE(Check("just text\n").HasError(1, 1, "must be a mapping"));
}

TEST(RunbookLoaderTest, WindowStartMustBeAbsolute) {
  auto c = Check(Header() + "window: {start: T+00:00}\nsteps:\n  - id: a\n    type: milestone\n");
  EXPECT_TRUE(c.HasError(6, 17, "must be an absolute time")) << c.Dump();
}

TEST(RunbookLoaderTest, IdsAndNamesFollowTheirPatterns) {
  auto c = Check("runbook: 1\nname: Bad_Name\nsteps:\n  - id: Stop-App\n    type: milestone\n");
  EXPECT_TRUE(c.HasError(2, 7, "name 'Bad_Name'")) << c.Dump();
  EXPECT_TRUE(c.HasError(4, 9, "step id 'Stop-App'")) << c.Dump();
}

}  // namespace
}  // namespace tminus
