#include "engine/plan/planner.h"

#include <algorithm>

namespace tminus {

std::optional<Instant> ResolveT0(const Runbook& runbook, const PlanOptions& options) {
  if (options.t0) return options.t0;
  if (runbook.window.start.present()) return runbook.window.start.value;
  return std::nullopt;
}

std::vector<int> PlanOrder(const Plan& plan) {
  std::vector<int> order(plan.steps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return plan.steps[a].start < plan.steps[b].start; });
  return order;
}

absl::StatusOr<Plan> MakePlan(const Runbook& runbook, const StepGraph& graph,
                              const PlanOptions& options) {
  if (!graph.acyclic()) return absl::InvalidArgumentError("the steps' dependencies form a cycle");
  Plan plan;
  const std::optional<Instant> t0 = ResolveT0(runbook, options);
  if (t0) {
    plan.t0_unix = t0->unix_seconds;
    plan.utc_offset_minutes = t0->utc_offset_minutes;
  }
  auto offset_of = [&](const Sourced<Instant>& instant, const std::string& what)
      -> absl::StatusOr<Seconds> {
    std::optional<Seconds> offset = instant.value.OffsetFrom(plan.t0_unix);
    if (!offset) {
      return absl::InvalidArgumentError(
          what + " is an absolute time (line " + std::to_string(instant.loc.line) +
          "), so the plan needs T0: set window.start or pass --t0");
    }
    return *offset;
  };

  const int n = graph.size();
  plan.steps.resize(n);
  plan.durations.resize(n);
  std::vector<std::optional<Seconds>> not_before(n);
  plan.origin = Seconds(0);
  for (int i = 0; i < n; ++i) {
    const Step& step = runbook.steps[i];
    plan.durations[i] = PlannedDuration(step);
    if (i < static_cast<int>(options.durations.size()) && options.durations[i]) {
      plan.durations[i] = *options.durations[i];
    }
    if (step.not_before.present()) {
      auto offset = offset_of(step.not_before, "not_before of step '" + step.id.value + "'");
      if (!offset.ok()) return offset.status();
      not_before[i] = *offset;
      plan.origin = std::min(plan.origin, *offset);
    }
  }
  if (runbook.window.end.present()) {
    auto offset = offset_of(runbook.window.end, "window.end");
    if (!offset.ok()) return offset.status();
    plan.window_end = *offset;
  }

  // Forward pass in dependency order.
  plan.end = plan.origin;
  for (int i : graph.topological_order()) {
    PlannedStep& p = plan.steps[i];
    bool has_start = false;
    if (not_before[i]) {
      p.start = *not_before[i];
      has_start = true;
    }
    for (int need : graph.needs(i)) {
      const Seconds need_end = plan.steps[need].end;
      if (!has_start || need_end > p.start) {
        p.start = need_end;
        p.driver = need;
        has_start = true;
      } else if (need_end == p.start && p.driver < 0) {
        p.driver = need;  // a tie with not_before: the path follows the dependency
      }
    }
    if (!has_start) p.start = plan.origin;
    p.end = p.start + plan.durations[i];
    plan.end = std::max(plan.end, p.end);
  }

  // Backward pass: latest finish is the project end for steps nothing needs.
  std::vector<Seconds> latest_start(n);
  const std::vector<int>& order = graph.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const int i = *it;
    Seconds latest_finish = plan.end;
    for (int d : graph.dependants(i)) latest_finish = std::min(latest_finish, latest_start[d]);
    latest_start[i] = latest_finish - plan.durations[i];
    plan.steps[i].slack = latest_start[i] - plan.steps[i].start;
    plan.steps[i].critical = plan.steps[i].slack.count() == 0;
  }

  // The critical path: from the step that ends last (the last such in dependency order, so
  // a closing milestone is included), back through the needs that set each start.
  int last = -1;
  for (int i : order) {
    if (plan.steps[i].end == plan.end) last = i;
  }
  for (int s = last; s >= 0; s = plan.steps[s].driver) plan.critical_path.push_back(s);
  std::reverse(plan.critical_path.begin(), plan.critical_path.end());

  plan.fits_window = !plan.window_end || plan.end <= *plan.window_end;
  return plan;
}

}  // namespace tminus
