#include "engine/history/run_history.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tminus {
namespace {

// Beyond this many candidates the effect of each delay on the end is left unmeasured: each
// measurement replans the whole runbook.
constexpr size_t kMaxMeasuredDelays = 1000;

std::string AttemptWords(const RunEvent& e) {
  return std::string(e.rollback ? "rollback attempt " : "attempt ") + std::to_string(e.attempt);
}

// What went wrong with an attempt, for people.
std::string FailureDetail(const RunEvent& e) {
  std::string detail;
  if (e.timed_out) detail = "timed out";
  else if (e.cancelled) detail = "cancelled";
  else if (e.exit_code >= 0) detail = "exit code " + std::to_string(e.exit_code);
  if (e.error.empty() || e.error == detail) return detail;
  // The error usually says the exit code already ("exit code 3, expected 0").
  if (detail.empty() || e.error.find(detail) != std::string::npos) return e.error;
  return detail + ": " + e.error;
}

const char* OperatorWords(const std::string& command) {
  if (command == "retry") return "retry ordered";
  if (command == "skip") return "skipped by an operator";
  if (command == "mark_done") return "marked done by an operator";
  if (command == "abort") return "run aborted";
  if (command == "rollback") return "rollback ordered";
  if (command == "retry_rollback") return "rollback action retried";
  if (command == "skip_rollback") return "rollback action skipped";
  return nullptr;
}

// The plan options that reproduce the run's plan: its T0, in the runbook's offset.
PlanOptions RunPlanOptions(const RecordedRun& run, int utc_offset_minutes) {
  PlanOptions options;
  if (run.started.t0_known) {
    Instant t0;
    t0.kind = Instant::Kind::kAbsolute;
    t0.unix_seconds = run.started.t0_ms / 1000;
    t0.utc_offset_minutes = utc_offset_minutes;
    options.t0 = t0;
  }
  return options;
}

class Builder {
 public:
  Builder(const RecordedRun& run, RunHistory* h) : run_(run), h_(*h) {}

  void Build() {
    h_.run = &run_;
    h_.t0_ms = run_.started.t0_ms;
    const Runbook& rb = run_.runbook;
    if (rb.window.start.present() && !rb.window.start.value.relative()) {
      h_.utc_offset_minutes = rb.window.start.value.utc_offset_minutes;
    }
    h_.state = RunState(rb.steps.size());
    h_.steps.resize(rb.steps.size());
    for (const RunEvent& e : run_.events) {
      h_.state.Apply(e);
      Fold(e);
    }
    h_.started = At(h_.state.started_at());
    if (h_.state.ended_at()) h_.ended = At(*h_.state.ended_at());
    if (!run_.events.empty()) h_.last_event = At(run_.events.back().time);
    CopyStepStates();
    MakePlans();
    TraceActualCriticalPath();
    RankDelays();
    CountHosts();
  }

 private:
  Offset At(EngineTime t) const { return Offset(t.count() - h_.t0_ms); }

  void AddIncident(const RunEvent& e, std::string what, std::string detail) {
    h_.incidents.push_back({At(e.time), e.step, std::move(what), e.actor, std::move(detail)});
  }

  void Fold(const RunEvent& e) {
    const bool has_step = e.step >= 0 && e.step < static_cast<int>(h_.steps.size());
    switch (e.type) {
      case EventType::kDispatch: {
        if (!has_step) break;
        AttemptFacts a;
        a.attempt = e.attempt;
        a.rollback = e.rollback;
        a.target = e.target;
        a.dispatched = At(e.time);
        a.hosts = TargetHosts(e.target);
        a.dispatch_id = e.dispatch_id;
        h_.steps[e.step].attempts.push_back(std::move(a));
        if (e.attempt > 1) AddIncident(e, "retry: " + AttemptWords(e) + " started", "");
        break;
      }
      case EventType::kPlaced:
        if (AttemptFacts* a = Find(e.step, e.dispatch_id)) a->hosts = e.hosts;
        break;
      case EventType::kResult: {
        if (e.late) break;
        AttemptFacts* a = Find(e.step, e.dispatch_id);
        if (a != nullptr) {
          a->ended = At(e.time);
          a->ok = e.ok;
          a->timed_out = e.timed_out;
          a->cancelled = e.cancelled;
          a->unrecovered = e.unrecovered;
          a->exit_code = e.exit_code;
          a->error = e.error;
        }
        if (e.unrecovered) {
          AddIncident(e, AttemptWords(e) + " lost in a coordinator restart", "its outcome is unknown");
        } else if (!e.ok) {
          if (has_step && !e.rollback) ++h_.steps[e.step].failed_attempts;
          AddIncident(e, AttemptWords(e) + " failed", FailureDetail(e));
        }
        break;
      }
      case EventType::kSignOff:
      case EventType::kDecision: {
        PersonAct act;
        act.at = At(e.time);
        act.step = e.step;
        act.decision = e.type == EventType::kDecision;
        act.person = e.actor;
        act.as = e.as;
        act.comment = e.reason;
        act.vote = e.decision;
        act.override_ = e.override_;
        h_.acts.push_back(std::move(act));
        break;
      }
      case EventType::kOperator:
        if (const char* words = OperatorWords(e.command_name)) {
          AddIncident(e, words, e.reason);
        } else {
          AddIncident(e, e.command_name, e.reason);
        }
        break;
      case EventType::kRejected:
        AddIncident(e, "refused: " + e.command_name, e.reason);
        break;
      case EventType::kStepState:
        if (!has_step) break;
        switch (e.state) {
          case StepState::kFailed:
            AddIncident(e, e.paused ? "failed; paused for an operator" : "failed", e.reason);
            break;
          case StepState::kSkipped:
            AddIncident(e, "skipped", e.reason);
            break;
          case StepState::kCancelled:
            AddIncident(e, "cancelled", e.reason);
            break;
          case StepState::kUnknown:
            AddIncident(e, "outcome unknown after a coordinator restart", e.reason);
            break;
          case StepState::kRolledBack:
            AddIncident(e, "rolled back", e.reason);
            break;
          case StepState::kRollbackFailed:
            AddIncident(e, "rollback failed", e.reason);
            break;
          default:
            break;
        }
        break;
      case EventType::kDeadlineMissed:
        if (has_step) h_.steps[e.step].deadline_missed_at = At(e.time);
        AddIncident(e, "deadline missed", e.reason);
        break;
      case EventType::kNoReturn:
        AddIncident(e, "point of no return passed", e.reason);
        break;
      case EventType::kRollbackStarted:
        AddIncident(e, e.forced ? "rollback started (forced)" : "rollback started", e.reason);
        break;
      case EventType::kRollbackRefused:
        AddIncident(e, "rollback refused: past the point of no return", e.reason);
        break;
      case EventType::kRollbackPaused:
        AddIncident(e, "rollback paused: an action failed", e.reason);
        break;
      case EventType::kRunResumed:
        AddIncident(e, "run resumed by a restarted coordinator",
                 e.in_flight.empty() ? "" : "in flight: " + e.in_flight);
        break;
      case EventType::kRunStarted:
      case EventType::kRunEnded:
        break;
    }
  }

  AttemptFacts* Find(int step, const std::string& dispatch_id) {
    if (step < 0 || step >= static_cast<int>(h_.steps.size())) return nullptr;
    std::vector<AttemptFacts>& attempts = h_.steps[step].attempts;
    for (auto a = attempts.rbegin(); a != attempts.rend(); ++a) {
      if (a->dispatch_id == dispatch_id) return &*a;
    }
    return nullptr;
  }

  // Where a target runs before the engine says which agents: SSH hosts and `local` are
  // known from the runbook; agents from the placed record that follows. Rehearsals and
  // simulations act on no host (a rehearsal's live checks are not told apart).
  std::vector<std::string> TargetHosts(const std::string& name) const {
    if (run_.started.mode != "run") return {};
    if (name == "local") return {"local"};
    const Target* target = run_.runbook.FindTarget(name);
    if (target == nullptr || target->kind != Target::Kind::kSsh) return {};
    std::vector<std::string> hosts;
    const int port = target->ssh.port.present() ? target->ssh.port.value : 22;
    for (const SourcedString& host : target->ssh.hosts) {
      hosts.push_back(host.value + ":" + std::to_string(port));
    }
    return hosts;
  }

  void CopyStepStates() {
    for (size_t i = 0; i < h_.steps.size(); ++i) {
      const StepStatus& s = h_.state.step(static_cast<int>(i));
      StepFacts& f = h_.steps[i];
      f.state = s.state;
      f.decision = s.decision;
      f.decided_by_override = s.decided_by_override;
      if (s.ready_at) f.ready = At(*s.ready_at);
      if (s.started_at) f.start = At(*s.started_at);
      if (s.ended_at) f.end = At(*s.ended_at);
      if (s.rollback_started_at) f.rollback_start = At(*s.rollback_started_at);
      if (s.rollback_ended_at) f.rollback_end = At(*s.rollback_ended_at);
      // A step that succeeded and was later rolled back still shows how long it took.
      const bool done = s.state == StepState::kSucceeded || s.state == StepState::kRolledBack ||
                        s.state == StepState::kRollbackFailed;
      if (done && f.start && f.end && *f.end >= *f.start) f.observed = ToSeconds(*f.end - *f.start);
    }
  }

  void MakePlans() {
    h_.plan_options = RunPlanOptions(run_, h_.utc_offset_minutes);
    absl::StatusOr<tminus::Plan> plan = MakePlan(run_.runbook, run_.graph, h_.plan_options);
    if (!plan.ok()) {
      h_.plan_problem = std::string(plan.status().message());
      return;
    }
    h_.plan = *std::move(plan);
    PlanOptions replay = h_.plan_options;
    replay.durations.resize(h_.steps.size());
    for (size_t i = 0; i < h_.steps.size(); ++i) replay.durations[i] = h_.steps[i].observed;
    absl::StatusOr<tminus::Plan> replayed = MakePlan(run_.runbook, run_.graph, replay);
    if (!replayed.ok()) {
      h_.plan_problem = std::string(replayed.status().message());
      return;
    }
    h_.replayed = *std::move(replayed);
    replay_options_ = std::move(replay);
    h_.planned = true;
  }

  // Back from the step that ended last, through the need that ended last before each
  // step started, until a step that waited for nothing but its not_before or the start.
  void TraceActualCriticalPath() {
    int last = -1;
    for (size_t i = 0; i < h_.steps.size(); ++i) {
      const StepFacts& f = h_.steps[i];
      if (!f.end) continue;
      if (last < 0 || *f.end >= *h_.steps[last].end) last = static_cast<int>(i);
    }
    std::vector<int> path;
    std::vector<bool> seen(h_.steps.size(), false);
    for (int s = last; s >= 0 && !seen[s];) {
      seen[s] = true;
      path.push_back(s);
      int driver = -1;
      for (int need : run_.graph.needs(s)) {
        const std::optional<Offset>& end = h_.steps[need].end;
        if (!end) continue;
        if (driver < 0 || *end > *h_.steps[driver].end) driver = need;
      }
      if (driver >= 0 && h_.planned) {
        // It waited for its not_before, not for the need: the chain starts here.
        const PlannedStep& p = h_.plan.steps[s];
        const Step& step = run_.runbook.steps[s];
        if (step.not_before.present() && p.driver < 0 &&
            ToOffset(p.start) > *h_.steps[driver].end) {
          driver = -1;
        }
      }
      s = driver;
    }
    std::reverse(path.begin(), path.end());
    for (int s : path) h_.steps[s].on_actual_critical_path = true;
    h_.actual_critical_path = std::move(path);
  }

  void RankDelays() {
    const Runbook& rb = run_.runbook;
    std::vector<Delay> delays;
    for (size_t i = 0; i < h_.steps.size(); ++i) {
      const StepFacts& f = h_.steps[i];
      Delay d;
      d.step = static_cast<int>(i);
      d.planned = PlannedDuration(rb.steps[i]);
      d.observed = f.observed;
      if (f.observed && *f.observed > d.planned) d.overrun = *f.observed - d.planned;
      if (f.deadline_missed_at && rb.steps[i].deadline.present()) {
        const std::optional<Seconds> deadline =
            rb.steps[i].deadline.value.OffsetFrom(h_.plan.t0_unix);
        if (deadline && f.end) d.past_deadline = ToSeconds(*f.end) - *deadline;
        if (!d.past_deadline) d.past_deadline = Seconds(0);
      }
      if (d.overrun.count() > 0 || d.past_deadline) delays.push_back(d);
    }
    // Measure the largest overruns first; only steps critical in the replayed plan can
    // move its end.
    std::stable_sort(delays.begin(), delays.end(),
                     [](const Delay& a, const Delay& b) { return a.overrun > b.overrun; });
    size_t measured = 0;
    for (Delay& d : delays) {
      if (!h_.planned || d.overrun.count() == 0) continue;
      if (!h_.replayed.steps[d.step].critical) continue;
      if (measured++ == kMaxMeasuredDelays) break;
      PlanOptions without = replay_options_;
      without.durations[d.step] = d.planned;
      absl::StatusOr<tminus::Plan> plan = MakePlan(rb, run_.graph, without);
      if (plan.ok()) d.effect_on_end = h_.replayed.end - plan->end;
    }
    std::stable_sort(delays.begin(), delays.end(), [](const Delay& a, const Delay& b) {
      if (a.effect_on_end != b.effect_on_end) return a.effect_on_end > b.effect_on_end;
      return a.overrun > b.overrun;
    });
    h_.delays = std::move(delays);
  }

  void CountHosts() {
    std::map<std::string, HostUse> hosts;
    for (size_t i = 0; i < h_.steps.size(); ++i) {
      std::map<std::string, bool> in_step;
      for (const AttemptFacts& a : h_.steps[i].attempts) {
        for (const std::string& host : a.hosts) {
          HostUse& use = hosts[host];
          use.host = host;
          const Target* target = run_.runbook.FindTarget(a.target);
          use.kind = a.target == "local" ? "local"
                     : (target && target->kind == Target::Kind::kSsh) ? "ssh" : "agent";
          if (std::find(use.targets.begin(), use.targets.end(), a.target) == use.targets.end()) {
            use.targets.push_back(a.target);
          }
          ++use.attempts;
          if (a.ended && !a.ok) ++use.failed;
          if (!in_step[host]) ++use.steps;
          in_step[host] = true;
        }
      }
    }
    for (auto& [name, use] : hosts) h_.hosts.push_back(std::move(use));
  }

  const RecordedRun& run_;
  RunHistory& h_;
  PlanOptions replay_options_;
};

}  // namespace

bool RunHistory::rehearsal() const { return run == nullptr || run->started.mode != "run"; }

Seconds ToSeconds(Offset offset) {
  const int64_t ms = offset.count();
  return Seconds(ms >= 0 ? (ms + 500) / 1000 : -((-ms + 500) / 1000));
}

RunHistory BuildHistory(const RecordedRun& run) {
  RunHistory history;
  Builder(run, &history).Build();
  return history;
}

}  // namespace tminus
