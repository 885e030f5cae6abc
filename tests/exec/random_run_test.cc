// Thousands of random valid runbooks and scenarios through the real engine, checking the
// invariants every run must keep. A failure prints its seed; TMINUS_SEED=N reruns one case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

#include "engine/exec/run_event.h"
#include "engine/exec/simulation.h"
#include "engine/loader/scenario_loader.h"
#include "engine/plan/planner.h"
#include "tests/test_util.h"

namespace tminus {
namespace {

struct Case {
  std::string runbook;
  std::string scenario;
  bool any_undecided_gate_without_deadline = false;
};

// Random runbook: steps depend only on earlier ones, so there is never a cycle.
Case Generate(uint64_t seed, bool with_scenario) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](int percent) { return pick(1, 100) <= percent; };
  const int n = pick(2, 24);
  std::ostringstream y, sc_steps, sc_signoffs, sc_gates, sc_rollback;
  y << "runbook: 1\nname: random\nroles:\n  lead: [alice, amir]\n  dba: [bob, carol]\n  app: [erin]\n";
  if (chance(30)) y << "defaults: {on_failure: " << (chance(50) ? "continue" : "rollback") << "}\n";
  y << "steps:\n";
  const char* roles[] = {"lead", "dba", "app"};
  std::vector<std::string> types;
  std::vector<std::vector<int>> needs(n);
  bool no_return_used = false;
  Case c;
  for (int i = 0; i < n; ++i) {
    const int roll = pick(1, 100);
    std::string type = roll <= 45 ? "task" : roll <= 60 ? "check" : roll <= 75 ? "manual"
                      : roll <= 90 ? "gate" : "milestone";
    if (i == 0 && type == "gate") type = "task";
    types.push_back(type);
    y << "  - id: s" << i << "\n    type: " << type << "\n";
    for (int j = 0; j < i; ++j) {
      if (chance(i < 4 ? 50 : 20)) needs[i].push_back(j);
    }
    if (!needs[i].empty()) {
      y << "    needs: [";
      for (size_t k = 0; k < needs[i].size(); ++k) y << (k ? ", " : "") << "s" << needs[i][k];
      y << "]\n";
    }
    const int minutes = pick(0, 40);
    if (type != "milestone") y << "    duration: " << minutes << "m\n";
    if (chance(20)) y << "    not_before: T+" << pick(0, 3) << ":" << (pick(0, 1) ? "30" : "00") << "\n";
    if (chance(15)) y << "    deadline: T+" << pick(0, 5) << ":" << (pick(0, 1) ? "15" : "45") << "\n";
    if (type == "task" || type == "check") {
      y << "    run: {on: local, command: [/bin/true]}\n";
      y << "    timeout: " << (minutes + pick(1, 30)) << "m\n";
      if (chance(30)) y << "    retries: {count: " << pick(1, 2) << ", delay: " << pick(0, 90) << "s}\n";
      if (chance(40)) {
        const char* policies[] = {"pause", "abort", "rollback", "continue"};
        y << "    on_failure: " << policies[pick(0, 3)] << "\n";
      }
      if (with_scenario && chance(20)) {
        sc_steps << "  s" << i << ": {";
        if (chance(50)) sc_steps << "fail: true"; else sc_steps << "fail_attempts: " << pick(1, 3);
        if (chance(30)) sc_steps << ", duration: " << pick(1, 90) << "m";
        sc_steps << "}\n";
      }
    }
    if (type == "manual") {
      y << "    owner: " << roles[pick(0, 2)] << "\n";
      if (chance(30)) y << "    signoff: {by: [lead, dba], quorum: " << (chance(50) ? "all" : "2") << "}\n";
      if (with_scenario && chance(30)) sc_signoffs << "  s" << i << ": {after: " << pick(0, 60) << "m}\n";
    }
    if ((type == "task" || type == "manual") && !no_return_used && chance(50)) {
      y << "    rollback: {on: local, command: [/bin/true], duration: " << pick(0, 20) << "m}\n";
      if (with_scenario && chance(15)) {
        sc_rollback << "  s" << i << ": {" << (chance(60) ? "fail: true" : "duration: 3m") << "}\n";
      }
    }
    if (type == "gate") {
      // Criteria: some of the gate's direct needs.
      std::vector<int> crit;
      for (int need : needs[i]) {
        if (chance(50)) crit.push_back(need);
      }
      if (!crit.empty()) {
        y << "    criteria: [";
        for (size_t k = 0; k < crit.size(); ++k) y << (k ? ", " : "") << "s" << crit[k];
        y << "]\n";
      }
      const bool approvers = chance(75);
      bool has_deadline = false;
      if (approvers) {
        y << "    approvers: [" << (chance(50) ? "lead, dba" : "lead") << "]\n";
        if (chance(40)) y << "    quorum: " << (chance(50) ? "1" : "all") << "\n";
        if (chance(30)) y << "    override: true\n";
        if (chance(30)) {
          y << "    decide_by: T+" << pick(0, 6) << ":00\n";
          has_deadline = true;
          if (chance(50)) y << "    on_timeout: go\n";
        }
      }
      if (chance(30)) y << "    on_nogo: abort\n";
      if (with_scenario && approvers && chance(40)) {
        const int d = pick(0, 2);
        sc_gates << "  s" << i << ": {decision: " << (d == 0 ? "go" : d == 1 ? "nogo" : "none")
                 << ", after: " << pick(0, 30) << "m}\n";
        if (d == 2 && !has_deadline) c.any_undecided_gate_without_deadline = true;
      }
    }
    if (type == "milestone" && !no_return_used && chance(25)) {
      y << "    no_return: true\n";
      no_return_used = true;
    }
  }
  c.runbook = y.str();
  if (with_scenario) {
    std::ostringstream s;
    if (!sc_steps.str().empty()) s << "steps:\n" << sc_steps.str();
    if (!sc_signoffs.str().empty()) s << "signoffs:\n" << sc_signoffs.str();
    if (!sc_gates.str().empty()) s << "gates:\n" << sc_gates.str();
    if (!sc_rollback.str().empty()) s << "rollback:\n" << sc_rollback.str();
    const char* pauses[] = {"abort", "rollback", "skip"};
    s << "on_pause: " << pauses[pick(0, 2)] << "\n";
    c.scenario = s.str();
  }
  return c;
}

// Records events in journal form and folds them back, as a resume would.
class EncodingSink : public EventSink {
 public:
  explicit EncodingSink(const Runbook& rb) : rb_(rb) {}
  absl::Status Record(const RunEvent& e, bool) override {
    records.push_back({EventTypeName(e.type), e.actor, EncodePayload(e, rb_)});
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  std::string ChainHead() const override { return ""; }
  struct Record3 {
    std::string type, actor, payload;
  };
  std::vector<Record3> records;

 private:
  const Runbook& rb_;
};

bool DoneState(const StepStatus& s, const Step& step) {
  if (s.state == StepState::kSucceeded || s.state == StepState::kSkipped) return true;
  if (s.state == StepState::kFailed && !s.paused) {
    return step.automated() && step.on_failure.value == OnFailure::kContinue;
  }
  return false;
}

void CheckCase(uint64_t seed, bool with_scenario) {
  SCOPED_TRACE("seed " + std::to_string(seed) + (with_scenario ? " with scenario" : " plain") +
               " (rerun with TMINUS_SEED=" + std::to_string(seed) + ")");
  const Case c = Generate(seed, with_scenario);
  auto checked = testing::Check(c.runbook);
  ASSERT_FALSE(checked.diagnostics.has_errors()) << checked.Dump() << c.runbook;
  const Runbook& rb = checked.runbook;
  const StepGraph graph = StepGraph::Build(rb);
  Diagnostics sd;
  const Scenario scenario = LoadScenario(c.scenario, rb, &sd);
  ASSERT_FALSE(sd.has_errors()) << c.scenario;

  EncodingSink sink(rb);
  SimulationOptions options;
  options.sink = &sink;
  options.runbook_text = c.runbook;
  auto result = Simulate(rb, graph, scenario, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const RunState& st = result->state;
  const int n = graph.size();

  // Replaying the journal form gives the live state.
  RunState replay(rb.steps.size());
  for (const auto& r : sink.records) {
    auto e = DecodeEvent(r.type, r.actor, r.payload, rb, graph);
    ASSERT_TRUE(e.ok()) << e.status();
    replay.Apply(*e);
  }
  ASSERT_EQ(replay.Diff(st), "") << c.runbook << c.scenario;

  // When each step became done for its dependants, from the event stream.
  std::vector<std::optional<EngineTime>> done_at(n), first_start(n);
  for (const RunEvent& e : result->events) {
    if (e.type != EventType::kStepState) continue;
    if (!first_start[e.step] && (e.state == StepState::kRunning || e.state == StepState::kAwaitingSignoff ||
                                 (e.state == StepState::kSucceeded && !done_at[e.step]))) {
      first_start[e.step] = e.time;
    }
    const Step& step = rb.steps[e.step];
    const bool continue_failure = e.state == StepState::kFailed && !e.paused && step.automated() &&
                                  step.on_failure.value == OnFailure::kContinue;
    if (!done_at[e.step] && (e.state == StepState::kSucceeded || e.state == StepState::kSkipped || continue_failure)) {
      done_at[e.step] = e.time;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (!first_start[i]) continue;
    for (int need : graph.needs(i)) {
      ASSERT_TRUE(done_at[need].has_value()) << "s" << i << " started before s" << need << " was done";
      EXPECT_LE(done_at[need]->count(), first_start[i]->count()) << "s" << i << " before its need s" << need;
    }
    const auto& nb = rb.steps[i].not_before;
    if (nb.present()) {
      EXPECT_GE(first_start[i]->count(), nb.value.offset.count() * 1000) << "s" << i;
    }
  }

  // Every step ends in a state that fits how the run ended.
  if (result->stalled) {
    EXPECT_TRUE(c.any_undecided_gate_without_deadline) << result->stalled_reason << "\n" << c.runbook << c.scenario;
  } else {
    for (int i = 0; i < n; ++i) {
      const StepState s = st.step(i).state;
      EXPECT_TRUE(s != StepState::kRunning && s != StepState::kWaiting && s != StepState::kAwaitingSignoff)
          << "s" << i << " left " << StepStateName(s);
      if (st.phase() == RunPhase::kSucceeded) {
        EXPECT_TRUE(DoneState(st.step(i), rb.steps[i])) << "s" << i << " " << StepStateName(s);
      }
      if (st.phase() == RunPhase::kRolledBack && rb.steps[i].rollback) {
        EXPECT_NE(s, StepState::kSucceeded) << "s" << i << " was not rolled back";
      }
    }
  }

  // Rollbacks in reverse dependency order: a step's rollback starts after every rollback
  // of a step that (transitively) needed it has ended.
  for (int i = 0; i < n; ++i) {
    const auto start = st.step(i).rollback_started_at;
    if (!start) continue;
    std::vector<int> work(graph.dependants(i).begin(), graph.dependants(i).end());
    std::set<int> seen;
    while (!work.empty()) {
      const int d = work.back();
      work.pop_back();
      if (!seen.insert(d).second) continue;
      const auto& rd = st.step(d);
      if (rd.rollback_started_at) {
        ASSERT_TRUE(rd.rollback_ended_at.has_value());
        EXPECT_LE(rd.rollback_ended_at->count(), start->count()) << "s" << i << " rolled back before s" << d;
      }
      for (int dd : graph.dependants(d)) work.push_back(dd);
    }
  }

  // Without a scenario, the simulated times are the plan's (unless a decide_by or a
  // deadline cuts in first, which the plan does not model).
  if (!with_scenario && st.phase() == RunPhase::kSucceeded) {
    auto plan = MakePlan(rb, graph);
    ASSERT_TRUE(plan.ok());
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(st.step(i).started_at && st.step(i).ended_at);
      EXPECT_EQ(st.step(i).started_at->count(), plan->steps[i].start.count() * 1000) << "s" << i;
      EXPECT_EQ(st.step(i).ended_at->count(), plan->steps[i].end.count() * 1000) << "s" << i;
    }
  }
}

bool AnyDecideByBeforePlannedDecision(uint64_t seed) {
  const Case c = Generate(seed, false);
  auto checked = testing::Check(c.runbook);
  const StepGraph graph = StepGraph::Build(checked.runbook);
  auto plan = MakePlan(checked.runbook, graph);
  if (!plan.ok()) return true;
  for (size_t i = 0; i < checked.runbook.steps.size(); ++i) {
    const Step& s = checked.runbook.steps[i];
    if (s.gate && s.gate->decide_by.present() && !s.gate->approvers.empty() &&
        s.gate->decide_by.value.offset <= plan->steps[i].end) {
      return true;
    }
  }
  return false;
}

TEST(RandomRunTest, InvariantsHoldForThousandsOfRunbooksAndScenarios) {
  uint64_t first = 1, count = 3000;
  if (const char* n = std::getenv("TMINUS_RANDOM_CASES")) count = std::strtoull(n, nullptr, 10);
  if (const char* one = std::getenv("TMINUS_SEED")) {
    first = std::strtoull(one, nullptr, 10);
    count = 1;
  }
  int plain_checked = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    CheckCase(seed, /*with_scenario=*/true);
    if (!AnyDecideByBeforePlannedDecision(seed)) {
      CheckCase(seed, /*with_scenario=*/false);
      ++plain_checked;
    }
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing seed: " << seed;
      break;
    }
  }
  if (count > 1) {
    EXPECT_GT(plain_checked, static_cast<int>(count / 3));
  }
}

TEST(RandomRunTest, SameSeedSameRun) {
  const Case c = Generate(42, true);
  auto checked = testing::Check(c.runbook);
  const StepGraph graph = StepGraph::Build(checked.runbook);
  Diagnostics d;
  const Scenario sc = LoadScenario(c.scenario, checked.runbook, &d);
  auto a = Simulate(checked.runbook, graph, sc, {});
  auto b = Simulate(checked.runbook, graph, sc, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->state.Diff(b->state), "");
  EXPECT_EQ(a->events.size(), b->events.size());
}

}  // namespace
}  // namespace tminus
