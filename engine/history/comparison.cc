#include "engine/history/comparison.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace tminus {
namespace {

// Each attribution replans the runbook; past this many changed steps the rest are
// attributed together.
constexpr int kMaxAttributed = 2000;

std::vector<std::string> ChainIds(const RunHistory& h) {
  std::vector<std::string> ids;
  for (int i : h.actual_critical_path) ids.push_back(h.run->runbook.steps[i].id.value);
  return ids;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

absl::StatusOr<Comparison> CompareRuns(const RunHistory& a, const RunHistory& b) {
  const Runbook& ra = a.run->runbook;
  const Runbook& rb = b.run->runbook;
  if (ra.name.value != rb.name.value) {
    return absl::InvalidArgumentError("the journals hold runs of different runbooks ('" + ra.name.value +
                                      "' and '" + rb.name.value + "'); compare runs of the same runbook");
  }
  if (!b.planned) return absl::InvalidArgumentError("the second run's runbook cannot be planned: " + b.plan_problem);
  Comparison c;
  c.a = &a;
  c.b = &b;
  c.same_runbook = a.run->started.runbook_sha256 == b.run->started.runbook_sha256;
  c.end_a = a.end();
  c.end_b = b.end();
  c.end_delta = ToSeconds(c.end_b) - ToSeconds(c.end_a);

  std::map<std::string, int> index_a;
  for (size_t i = 0; i < ra.steps.size(); ++i) index_a[ra.steps[i].id.value] = static_cast<int>(i);
  auto fill = [](const RunHistory& h, int i, std::optional<Seconds>* took, std::optional<Offset>* start,
                 std::optional<StepState>* state, bool* chain) {
    const StepFacts& f = h.steps[i];
    *took = f.observed;
    *start = f.start;
    *state = f.state;
    *chain = f.on_actual_critical_path;
  };
  std::vector<bool> matched(ra.steps.size(), false);
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    StepComparison s;
    s.id = rb.steps[i].id.value;
    s.step_b = static_cast<int>(i);
    fill(b, s.step_b, &s.took_b, &s.start_b, &s.state_b, &s.chain_b);
    auto it = index_a.find(s.id);
    if (it != index_a.end()) {
      s.step_a = it->second;
      matched[it->second] = true;
      fill(a, s.step_a, &s.took_a, &s.start_a, &s.state_a, &s.chain_a);
    } else {
      c.only_in_b.push_back(s.id);
    }
    c.steps.push_back(std::move(s));
  }
  for (size_t i = 0; i < ra.steps.size(); ++i) {
    if (matched[i]) continue;
    StepComparison s;
    s.id = ra.steps[i].id.value;
    s.step_a = static_cast<int>(i);
    fill(a, s.step_a, &s.took_a, &s.start_a, &s.state_a, &s.chain_a);
    c.only_in_a.push_back(s.id);
    c.steps.push_back(std::move(s));
  }

  // Attribution over B's runbook: start from A's durations (B's planned where A never
  // finished the step, nothing for a step new in B) and change them to B's one step at a
  // time, in the order the steps run.
  const size_t n = rb.steps.size();
  PlanOptions options = b.plan_options;
  options.durations.assign(n, std::nullopt);
  std::vector<std::optional<Seconds>> target(n);
  for (size_t i = 0; i < n; ++i) {
    const StepComparison& s = c.steps[i];
    if (s.step_a < 0) options.durations[i] = Seconds(0);
    else if (s.took_a) options.durations[i] = s.took_a;
    else options.durations[i] = PlannedDuration(rb.steps[i]);
    target[i] = b.replayed.durations[i];
  }
  absl::StatusOr<Plan> base = MakePlan(rb, b.run->graph, options);
  if (!base.ok()) return base.status();
  Seconds previous = base->end;
  const Seconds start_end = base->end;
  int attributed = 0;
  std::vector<int> rest;
  // The order the steps ran in B (by actual start, then planned start).
  std::vector<int> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    const std::optional<Offset>& sx = b.steps[x].start;
    const std::optional<Offset>& sy = b.steps[y].start;
    if (sx.has_value() != sy.has_value()) return sx.has_value();
    if (sx && *sx != *sy) return *sx < *sy;
    return b.plan.steps[x].start < b.plan.steps[y].start;
  });
  for (int i : order) {
    if (options.durations[i] == target[i]) continue;
    if (attributed == kMaxAttributed) {
      rest.push_back(i);
      continue;
    }
    options.durations[i] = target[i];
    absl::StatusOr<Plan> plan = MakePlan(rb, b.run->graph, options);
    if (!plan.ok()) return plan.status();
    c.steps[i].effect_on_end = plan->end - previous;
    previous = plan->end;
    ++attributed;
  }
  if (!rest.empty()) {
    c.partially_attributed = true;
    for (int i : rest) options.durations[i] = target[i];
    absl::StatusOr<Plan> plan = MakePlan(rb, b.run->graph, options);
    if (!plan.ok()) return plan.status();
    previous = plan->end;
  }
  c.steps_delta = previous - start_end;
  c.outside_delta = c.end_delta - c.steps_delta;

  for (size_t i = 0; i < c.steps.size(); ++i) {
    if (c.steps[i].effect_on_end.count() != 0) c.movers.push_back(static_cast<int>(i));
  }
  std::stable_sort(c.movers.begin(), c.movers.end(), [&](int x, int y) {
    return std::llabs(c.steps[x].effect_on_end.count()) > std::llabs(c.steps[y].effect_on_end.count());
  });
  const std::vector<std::string> chain_a = ChainIds(a), chain_b = ChainIds(b);
  for (const std::string& id : chain_b) {
    if (!Contains(chain_a, id)) c.chain_joined.push_back(id);
  }
  for (const std::string& id : chain_a) {
    if (!Contains(chain_b, id)) c.chain_left.push_back(id);
  }
  return c;
}

}  // namespace tminus
