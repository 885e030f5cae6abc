#include "engine/plan/planner.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace tminus {
namespace {

using testing::Check;
using testing::Header;

struct Planned {
  Runbook runbook;
  Plan plan;
  int Index(const std::string& id) const {
    for (size_t i = 0; i < runbook.steps.size(); ++i) {
      if (runbook.steps[i].id.value == id) return static_cast<int>(i);
    }
    ADD_FAILURE() << "no step " << id;
    return 0;
  }
  const PlannedStep& Step(const std::string& id) const { return plan.steps[Index(id)]; }
  std::vector<std::string> CriticalPath() const {
    std::vector<std::string> ids;
    for (int i : plan.critical_path) ids.push_back(runbook.steps[i].id.value);
    return ids;
  }
};

Planned PlanOf(const std::string& yaml, PlanOptions options = {}) {
  auto c = Check(yaml);
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
  Planned p;
  p.runbook = std::move(c.runbook);
  auto plan = MakePlan(p.runbook, StepGraph::Build(p.runbook), options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (plan.ok()) p.plan = std::move(*plan);
  return p;
}

// Worked by hand (times in minutes from T0):
//   freeze  not_before T-60, 15m        -> -60 .. -45
//   backup  needs freeze, 60m           -> -45 .. 15
//   precheck not_before T-30, 10m       -> -30 .. -20
//   go      gate, needs backup+precheck, 5m -> 15 .. 20
//   migrate needs go, 120m              -> 20 .. 140
//   docs    needs go, 30m               -> 20 .. 50   (slack 140-50 = 90)
//   smoke   needs migrate, not_before T+02:30, 10m -> 150 .. 160 (not_before wins)
//   done    milestone, needs smoke, docs -> 160 .. 160
// End 160; backward pass: done LF 160; smoke LS 150; migrate LF=150 -> slack 10;
// docs LF 160 -> LS 130, slack 110; go LF = min(LS migrate 30, LS docs 130) = 30 -> slack 10.
// Critical path: smoke's start is set by its not_before, so the chain is smoke -> done.
TEST(PlannerTest, MatchesTheCriticalPathWorkedByHand) {
  auto p = PlanOf(Header() + R"(window: {start: 2026-12-05T22:00:00-05:00, end: T+03:00}
steps:
  - {id: freeze, type: manual, owner: lead, not_before: T-01:00, duration: 15m}
  - {id: backup, type: manual, owner: dba, needs: [freeze], duration: 1h}
  - {id: precheck, type: manual, owner: dba, not_before: T-30m, duration: 10m}
  - {id: go, type: gate, needs: [backup, precheck], duration: 5m}
  - {id: migrate, type: manual, owner: dba, needs: [go], duration: 2h}
  - {id: docs, type: manual, owner: lead, needs: [go], duration: 30m}
  - {id: smoke, type: manual, owner: lead, needs: [migrate], not_before: T+02:30, duration: 10m}
  - {id: done, type: milestone, needs: [smoke, docs]}
)");
  const auto m = [](int minutes) { return Seconds(minutes * 60); };
  EXPECT_EQ(p.plan.origin, m(-60));
  EXPECT_EQ(p.plan.end, m(160));
  EXPECT_EQ(p.Step("freeze").start, m(-60));
  EXPECT_EQ(p.Step("freeze").end, m(-45));
  EXPECT_EQ(p.Step("backup").start, m(-45));
  EXPECT_EQ(p.Step("backup").end, m(15));
  EXPECT_EQ(p.Step("precheck").start, m(-30));
  EXPECT_EQ(p.Step("go").start, m(15));
  EXPECT_EQ(p.Step("migrate").start, m(20));
  EXPECT_EQ(p.Step("migrate").end, m(140));
  EXPECT_EQ(p.Step("docs").end, m(50));
  EXPECT_EQ(p.Step("smoke").start, m(150));
  EXPECT_EQ(p.Step("done").start, m(160));
  EXPECT_EQ(p.Step("done").end, m(160));

  EXPECT_EQ(p.Step("smoke").slack, m(0));
  EXPECT_EQ(p.Step("done").slack, m(0));
  EXPECT_EQ(p.Step("migrate").slack, m(10));
  EXPECT_EQ(p.Step("go").slack, m(10));
  EXPECT_EQ(p.Step("backup").slack, m(10));
  EXPECT_EQ(p.Step("freeze").slack, m(10));
  EXPECT_EQ(p.Step("docs").slack, m(110));
  EXPECT_EQ(p.Step("precheck").slack, m(45));  // LF = go LS 25 -> LS 15; start -30
  EXPECT_TRUE(p.Step("smoke").critical);
  EXPECT_FALSE(p.Step("migrate").critical);
  EXPECT_EQ(p.CriticalPath(), (std::vector<std::string>{"smoke", "done"}));
  ASSERT_TRUE(p.plan.window_end.has_value());
  EXPECT_EQ(*p.plan.window_end, m(180));
  EXPECT_TRUE(p.plan.fits_window);
}

TEST(PlannerTest, CriticalPathFollowsTheLongestChain) {
  auto p = PlanOf(Header() + R"(steps:
  - {id: a, type: manual, owner: lead, duration: 10m}
  - {id: b, type: manual, owner: lead, duration: 30m}
  - {id: c, type: manual, owner: lead, needs: [a, b], duration: 20m}
  - {id: d, type: manual, owner: lead, needs: [a], duration: 5m}
  - {id: end, type: milestone, needs: [c, d]}
)");
  EXPECT_EQ(p.plan.origin, Seconds(0));
  EXPECT_EQ(p.plan.end, Seconds(50 * 60));
  EXPECT_EQ(p.CriticalPath(), (std::vector<std::string>{"b", "c", "end"}));
  EXPECT_EQ(p.Step("a").slack, Seconds(20 * 60));
  EXPECT_EQ(p.Step("d").slack, Seconds(35 * 60));
  EXPECT_FALSE(p.plan.t0_unix.has_value());
  EXPECT_FALSE(p.plan.window_end.has_value());
  EXPECT_TRUE(p.plan.fits_window);
}

TEST(PlannerTest, WindowFitAndT0Override) {
  auto p = PlanOf(Header() + R"(window: {start: 2026-12-05T22:00:00-05:00, end: 2026-12-05T23:00:00-05:00}
steps:
  - {id: a, type: manual, owner: lead, duration: 90m}
)");
  EXPECT_FALSE(p.plan.fits_window);
  EXPECT_EQ(*p.plan.window_end, Seconds(3600));
  PlanOptions options;
  std::string why;
  options.t0 = ParseInstant("2026-12-05T21:00:00-05:00", &why);
  auto q = PlanOf(Header() + R"(window: {start: 2026-12-05T22:00:00-05:00, end: 2026-12-05T23:00:00-05:00}
steps:
  - {id: a, type: manual, owner: lead, duration: 90m}
)", options);
  EXPECT_EQ(*q.plan.window_end, Seconds(7200));
  EXPECT_TRUE(q.plan.fits_window);
}

TEST(PlannerTest, AbsoluteTimesNeedT0) {
  auto c = Check(Header() + "steps:\n  - {id: a, type: manual, owner: lead, not_before: "
                            "2026-12-05T22:00:00Z}\n");
  ASSERT_FALSE(c.diagnostics.has_errors()) << c.Dump();
  auto plan = MakePlan(c.runbook, StepGraph::Build(c.runbook));
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("needs T0"), std::string::npos);
}

TEST(PlannerTest, AbsoluteNotBeforeIsPlacedAgainstT0) {
  auto p = PlanOf(Header() + R"(window: {start: 2026-12-05T22:00:00-05:00}
steps:
  - {id: a, type: manual, owner: lead, not_before: 2026-12-06T03:30:00+01:00, duration: 5m}
)");
  EXPECT_EQ(p.Step("a").start, Seconds(-30 * 60));
  EXPECT_EQ(p.plan.origin, Seconds(-30 * 60));
}

}  // namespace
}  // namespace tminus
