#include "engine/validate/validator.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/base/suggest.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"

namespace tminus {
namespace {

class StepChecker {
 public:
  StepChecker(const Runbook& rb, const ValidateOptions& options, Diagnostics* d)
      : rb_(rb), options_(options), d_(d) {}

  void Run() {
    CheckIds();
    graph_ = StepGraph::Build(rb_);
    CheckNeeds();
    CheckCycles();
    CheckGates();
    CheckNoReturn();
    CheckTimeouts();
    CheckWindow();
    if (!d_->has_errors()) CheckPlan();
  }

 private:
  void CheckIds() {
    std::unordered_map<std::string_view, int> first;
    first.reserve(rb_.steps.size());
    for (const Step& s : rb_.steps) {
      if (!s.id.present()) continue;
      auto [it, inserted] = first.emplace(s.id.value, s.id.loc.line);
      if (!inserted) {
        d_->Error(s.id.loc, "duplicate step id '" + s.id.value + "' (first used at line " +
                                std::to_string(it->second) + ")");
      }
    }
  }

  const std::vector<std::string_view>& AllIds() {
    if (ids_.empty()) {
      for (const Step& s : rb_.steps) ids_.push_back(s.id.value);
    }
    return ids_;
  }

  // Reports an id in `what` that names no step; true when it names one.
  bool CheckStepRef(const SourcedString& ref, const std::string& what) {
    if (graph_.Find(ref.value) >= 0) return true;
    d_->Error(ref.loc, what + " '" + ref.value + "', which is not a step" +
                           DidYouMean(ref.value, AllIds()));
    return false;
  }

  void CheckNeeds() {
    for (const Step& s : rb_.steps) {
      for (size_t i = 0; i < s.needs.size(); ++i) {
        const SourcedString& need = s.needs[i];
        if (need.value == s.id.value) {
          d_->Error(need.loc, "step '" + s.id.value + "' needs itself");
          continue;
        }
        if (!CheckStepRef(need, "step '" + s.id.value + "' needs")) continue;
        for (size_t j = 0; j < i; ++j) {
          if (s.needs[j].value == need.value) {
            d_->Warning(need.loc, "step '" + s.id.value + "' lists '" + need.value +
                                      "' in needs twice");
          }
        }
      }
    }
  }

  void CheckCycles() {
    if (graph_.acyclic()) return;
    for (const std::vector<int>& cycle : graph_.Cycles()) {
      if (cycle.size() < 2) continue;  // a step needing itself is reported already
      std::string text;
      for (int i : cycle) text += "'" + rb_.steps[i].id.value + "' needs ";
      text += "'" + rb_.steps[cycle[0]].id.value + "'";
      // Point at the first step's need that continues the cycle.
      const Step& first = rb_.steps[cycle[0]];
      SourceLoc loc = first.id.loc;
      for (const SourcedString& need : first.needs) {
        if (need.value == rb_.steps[cycle[1]].id.value) loc = need.loc;
      }
      d_->Error(loc, "dependency cycle: " + text);
    }
  }

  void CheckGates() {
    for (size_t i = 0; i < rb_.steps.size(); ++i) {
      const Step& s = rb_.steps[i];
      if (!s.gate) continue;
      const std::string where = "gate '" + s.id.value + "'";
      std::vector<int> wanted;
      std::vector<const SourcedString*> wanted_refs;
      for (const SourcedString& c : s.gate->criteria) {
        if (!CheckStepRef(c, "criteria of " + where + " names")) continue;
        const int target = graph_.Find(c.value);
        if (NeedsDirectly(static_cast<int>(i), target)) continue;
        wanted.push_back(target);
        wanted_refs.push_back(&c);
      }
      if (!wanted.empty()) {
        const std::vector<bool> found = FindAncestors(static_cast<int>(i), wanted);
        for (size_t k = 0; k < wanted.size(); ++k) {
          if (found[k]) continue;
          d_->Error(wanted_refs[k]->loc, "criterion '" + wanted_refs[k]->value + "' of " + where +
                                             " is not a step the gate needs (directly or through "
                                             "others); add it to needs");
        }
      }
      for (const SourcedString& e : s.gate->approvers_exclude) {
        if (!CheckStepRef(e, "approvers_exclude of " + where + " names")) continue;
        const StepType t = rb_.steps[graph_.Find(e.value)].type.value;
        if (t != StepType::kManual && t != StepType::kGate) {
          d_->Warning(e.loc, "approvers_exclude of " + where + " names '" + e.value +
                                 "', a " + StepTypeName(t) + " step that nobody signs off");
        }
      }
      if (s.gate->approvers.empty() && s.gate->decide_by.present()) {
        d_->Warning(s.gate->decide_by.loc, where + " has no approvers, so it decides itself "
                                                   "when it opens; decide_by has no effect");
      }
    }
  }

  // Which of `wanted` are ancestors of `step`: a backward search that stops once all are
  // found and never walks below the earliest wanted step in dependency order (an ancestor
  // of a step always comes before it), with a visited stamp reused across calls. Linear
  // overall when criteria sit close to their gates, as they do in real runbooks.
  std::vector<bool> FindAncestors(int step, const std::vector<int>& wanted) {
    std::vector<bool> found(wanted.size(), false);
    if (!graph_.acyclic()) {
      const std::vector<bool> all = graph_.Ancestors(step);
      for (size_t k = 0; k < wanted.size(); ++k) found[k] = all[wanted[k]];
      return found;
    }
    if (position_.empty()) {
      position_.resize(graph_.size());
      const std::vector<int>& order = graph_.topological_order();
      for (size_t p = 0; p < order.size(); ++p) position_[order[p]] = static_cast<int>(p);
      seen_.assign(graph_.size(), 0);
    }
    ++stamp_;
    int floor = position_[step];
    for (int w : wanted) floor = std::min(floor, position_[w]);
    size_t remaining = wanted.size();
    std::vector<int> work(graph_.needs(step).begin(), graph_.needs(step).end());
    while (!work.empty() && remaining > 0) {
      const int node = work.back();
      work.pop_back();
      if (seen_[node] == stamp_ || position_[node] < floor) continue;
      seen_[node] = stamp_;
      for (size_t k = 0; k < wanted.size(); ++k) {
        if (!found[k] && wanted[k] == node) {
          found[k] = true;
          --remaining;
        }
      }
      for (int need : graph_.needs(node)) {
        if (seen_[need] != stamp_) work.push_back(need);
      }
    }
    return found;
  }

  bool NeedsDirectly(int step, int target) const {
    for (int n : graph_.needs(step)) {
      if (n == target) return true;
    }
    return false;
  }

  void CheckNoReturn() {
    if (!graph_.acyclic()) return;
    // after[i]: step i (transitively) needs a no_return milestone.
    std::vector<int> after(graph_.size(), -1);
    for (int i : graph_.topological_order()) {
      for (int n : graph_.needs(i)) {
        const Step& need = rb_.steps[n];
        if (need.type.value == StepType::kMilestone && need.no_return.value) {
          after[i] = n;
        } else if (after[n] >= 0 && after[i] < 0) {
          after[i] = after[n];
        }
      }
      const Step& s = rb_.steps[i];
      if (after[i] >= 0 && s.rollback) {
        d_->Warning(s.rollback->loc, "step '" + s.id.value + "' comes after the point of no return '" +
                                         rb_.steps[after[i]].id.value +
                                         "', so its rollback can never be used unless forced");
      }
    }
  }

  // An automated step planned to take longer than its timeout would time out as planned.
  void CheckTimeouts() {
    for (const Step& s : rb_.steps) {
      if (!s.automated() || !s.timeout.present() || !s.duration.present()) continue;
      if (s.duration.value > s.timeout.value) {
        // Point at the step itself when the timeout comes from defaults.
        const bool inherited = s.timeout.loc.line == rb_.defaults.timeout.loc.line &&
                               s.timeout.loc.column == rb_.defaults.timeout.loc.column;
        d_->Warning(inherited ? s.duration.loc : s.timeout.loc, "step '" + s.id.value + "' is planned to take " +
                                       FormatDuration(s.duration.value) + " but times out after " +
                                       FormatDuration(s.timeout.value) +
                                       "; raise the timeout or shorten the duration");
      }
    }
  }

  void CheckWindow() {
    const Window& w = rb_.window;
    if (w.start.present() && w.end.present() && !w.end.value.relative() &&
        w.end.value.unix_seconds <= w.start.value.unix_seconds) {
      d_->Error(w.end.loc, "window.end is not after window.start");
    }
    if (w.end.present() && w.end.value.relative() && w.end.value.offset.count() <= 0) {
      d_->Error(w.end.loc, "window.end must be after T0");
    }
  }

  void CheckPlan() {
    PlanOptions plan_options;
    plan_options.t0 = options_.t0;
    absl::StatusOr<Plan> plan = MakePlan(rb_, graph_, plan_options);
    if (!plan.ok()) return;  // absolute times with T0 unknown: nothing to check against
    auto clock = [&](Seconds offset) {
      std::string s = FormatTTime(offset);
      if (plan->t0_unix) {
        s += " (" + FormatClock(*plan->t0_unix + offset.count(), plan->utc_offset_minutes) + ")";
      }
      return s;
    };
    if (!plan->fits_window) {
      d_->Warning(rb_.window.end.loc,
                  "the plan does not fit the window: it ends at " + clock(plan->end) + ", " +
                      FormatDuration(plan->end - *plan->window_end) + " after the window closes at " +
                      clock(*plan->window_end));
    }
    for (size_t i = 0; i < rb_.steps.size(); ++i) {
      const Step& s = rb_.steps[i];
      const PlannedStep& p = plan->steps[i];
      if (s.deadline.present()) {
        std::optional<Seconds> deadline = s.deadline.value.OffsetFrom(plan->t0_unix);
        if (deadline && p.end > *deadline) {
          d_->Warning(s.deadline.loc, "step '" + s.id.value + "' is planned to end at " +
                                          clock(p.end) + ", " + FormatDuration(p.end - *deadline) +
                                          " after its deadline " + clock(*deadline));
        }
      }
      if (s.gate && s.gate->decide_by.present() && !s.gate->approvers.empty()) {
        std::optional<Seconds> by = s.gate->decide_by.value.OffsetFrom(plan->t0_unix);
        if (by && p.start > *by) {
          d_->Warning(s.gate->decide_by.loc, "gate '" + s.id.value + "' is planned to open at " +
                                                 clock(p.start) + ", after its decide_by " +
                                                 clock(*by));
        }
      }
    }
  }

  const Runbook& rb_;
  const ValidateOptions& options_;
  Diagnostics* d_;
  StepGraph graph_;
  std::vector<std::string_view> ids_;
  std::vector<int> position_;
  std::vector<uint32_t> seen_;
  uint32_t stamp_ = 0;
};

}  // namespace

void ValidateRunbook(const Runbook& runbook, const ValidateOptions& options,
                     Diagnostics* diagnostics) {
  ValidateReferences(runbook, diagnostics);
  StepChecker(runbook, options, diagnostics).Run();
}

}  // namespace tminus
