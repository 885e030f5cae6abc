// Comparing two recorded runs: the end's difference is split exactly between the steps
// that moved it and the time outside the steps, and the chain's shift is named.
#include <gtest/gtest.h>

#include <numeric>

#include "engine/history/comparison.h"
#include "tests/history/history_fixture.h"

namespace tminus {
namespace {

using testing::Record;
using testing::Recorded;
using testing::TempDir;

const StepComparison& Step(const Comparison& c, const std::string& id) {
  for (const StepComparison& s : c.steps) {
    if (s.id == id) return s;
  }
  ADD_FAILURE() << "no step " << id;
  return c.steps.front();
}

Seconds SumOfEffects(const Comparison& c) {
  Seconds sum{0};
  for (const StepComparison& s : c.steps) sum += s.effect_on_end;
  return sum;
}

TEST(ComparisonTest, TheStepThatRanLongIsWhyTheSecondRunEndedLater) {
  TempDir dir;
  Recorded a = Record(dir, "a", "");
  Recorded b = Record(dir, "b", "steps: {backup: {duration: 45m}, config: {duration: 70m}}\n");
  auto c = CompareRuns(a.history, b.history);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->same_runbook);
  EXPECT_EQ(c->end_delta, Seconds(15 * 60));
  EXPECT_EQ(c->steps_delta, Seconds(15 * 60));
  EXPECT_EQ(c->outside_delta, Seconds(0));
  ASSERT_EQ(c->movers.size(), 1u);
  EXPECT_EQ(c->steps[c->movers[0]].id, "backup");
  EXPECT_EQ(Step(*c, "backup").effect_on_end, Seconds(15 * 60));
  EXPECT_EQ(*Step(*c, "backup").delta(), Seconds(15 * 60));
  // config ran 50m long but within its slack: a duration change that moved nothing.
  EXPECT_EQ(*Step(*c, "config").delta(), Seconds(50 * 60));
  EXPECT_EQ(Step(*c, "config").effect_on_end, Seconds(0));
  EXPECT_TRUE(c->chain_joined.empty());
  EXPECT_TRUE(c->chain_left.empty());
  EXPECT_EQ(SumOfEffects(*c), c->steps_delta);
}

TEST(ComparisonTest, ABranchThatTookOverTheChainIsNamed) {
  TempDir dir;
  Recorded a = Record(dir, "a", "");
  Recorded b = Record(dir, "b", "steps: {config: {duration: 80m}, copy: {duration: 30m}}\n");
  auto c = CompareRuns(a.history, b.history);
  ASSERT_TRUE(c.ok()) << c.status();
  // B: freeze 10 + config 80 + gate 5 = 95m, against 85m.
  EXPECT_EQ(c->end_delta, Seconds(10 * 60));
  EXPECT_EQ(SumOfEffects(*c), c->steps_delta);
  EXPECT_EQ(c->steps_delta + c->outside_delta, c->end_delta);
  EXPECT_EQ(c->chain_joined, (std::vector<std::string>{"config"}));
  EXPECT_EQ(c->chain_left, (std::vector<std::string>{"backup", "copy"}));
  // In the order the steps ran: config (from 10m) first took the chain over and moved the
  // end by 10m; copy (from 40m) then ran 10m faster, off the chain: no effect.
  EXPECT_EQ(Step(*c, "config").effect_on_end, Seconds(10 * 60));
  EXPECT_EQ(Step(*c, "copy").effect_on_end, Seconds(0));
  EXPECT_EQ(*Step(*c, "copy").delta(), Seconds(-10 * 60));
  ASSERT_EQ(c->movers.size(), 1u);
  EXPECT_EQ(c->steps[c->movers[0]].id, "config");
}

TEST(ComparisonTest, ARunbookEditedBetweenTheRunsIsMatchedById) {
  TempDir dir;
  Recorded a = Record(dir, "a", "");
  std::string edited = testing::NightRunbook();
  edited += "  - {id: smoke, needs: [done], duration: 15m, run: {on: local, command: [x]}}\n";
  Recorded b = Record(dir, "b", "", edited);
  auto c = CompareRuns(a.history, b.history);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->same_runbook);
  EXPECT_EQ(c->only_in_b, (std::vector<std::string>{"smoke"}));
  EXPECT_TRUE(c->only_in_a.empty());
  EXPECT_EQ(c->end_delta, Seconds(15 * 60));
  // A step new in B counts from nothing.
  EXPECT_EQ(Step(*c, "smoke").effect_on_end, Seconds(15 * 60));
  EXPECT_EQ(c->steps_delta, Seconds(15 * 60));
  EXPECT_EQ(c->outside_delta, Seconds(0));
}

TEST(ComparisonTest, RunsOfDifferentRunbooksAreRefused) {
  TempDir dir;
  Recorded a = Record(dir, "a", "");
  Recorded b = Record(dir, "b", "", testing::NightRunbook("other"));
  auto c = CompareRuns(a.history, b.history);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("different runbooks"), std::string::npos);
}

}  // namespace
}  // namespace tminus
