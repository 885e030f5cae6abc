#include "control/status_report.h"

#include <algorithm>
#include <vector>

#include "engine/model/step_state.h"

namespace tminus::control {
namespace {

v1::StepState ToWire(StepState s) {
  switch (s) {
    case StepState::kPending: return v1::STEP_STATE_PENDING;
    case StepState::kWaiting: return v1::STEP_STATE_WAITING;
    case StepState::kRunning: return v1::STEP_STATE_RUNNING;
    case StepState::kAwaitingSignoff: return v1::STEP_STATE_AWAITING_SIGNOFF;
    case StepState::kSucceeded: return v1::STEP_STATE_SUCCEEDED;
    case StepState::kFailed: return v1::STEP_STATE_FAILED;
    case StepState::kSkipped: return v1::STEP_STATE_SKIPPED;
    case StepState::kCancelled: return v1::STEP_STATE_CANCELLED;
    case StepState::kUnknown: return v1::STEP_STATE_UNKNOWN;
    case StepState::kRolledBack: return v1::STEP_STATE_ROLLED_BACK;
    case StepState::kRollbackFailed: return v1::STEP_STATE_ROLLBACK_FAILED;
  }
  return v1::STEP_STATE_UNSPECIFIED;
}

v1::RunState ToWire(RunPhase p) {
  switch (p) {
    case RunPhase::kRunning: return v1::RUN_STATE_RUNNING;
    case RunPhase::kSucceeded: return v1::RUN_STATE_SUCCEEDED;
    case RunPhase::kAborted: return v1::RUN_STATE_ABORTED;
    case RunPhase::kRolledBack: return v1::RUN_STATE_ROLLED_BACK;
    case RunPhase::kFailed: return v1::RUN_STATE_FAILED;
  }
  return v1::RUN_STATE_UNSPECIFIED;
}

int64_t Ms(Seconds s) { return static_cast<int64_t>(s.count()) * 1000; }

}  // namespace

v1::StatusReply BuildStatus(const StatusInputs& in) {
  const Runbook& runbook = *in.runbook;
  const StepGraph& graph = *in.graph;
  const RunState& state = *in.state;
  const int n = graph.size();
  const int64_t now = in.now.count();
  const int64_t t0 = state.t0().count();

  v1::StatusReply reply;
  reply.set_run_id(in.run_id);
  reply.set_name(runbook.name.value);
  reply.set_title(runbook.title.value);
  reply.set_mode(state.mode());
  reply.set_state(ToWire(state.phase()));
  reply.set_rolling_back(state.rolling_back());
  reply.set_steps_total(n);
  reply.set_t0_unix_ms(t0);
  reply.set_started_unix_ms(state.started_at().count());
  reply.set_now_unix_ms(now);
  reply.set_agents_connected(in.agents_connected);
  if (in.plan != nullptr) {
    reply.set_planned_end_unix_ms(t0 + Ms(in.plan->end));
    if (in.plan->window_end) reply.set_window_end_unix_ms(t0 + Ms(*in.plan->window_end));
  }

  // Forecast: what ended ended; what runs ends at its planned duration from its start, or
  // now if that is past; what has not started starts at the latest of now, its planned
  // start (its not_before) and its needs' forecast ends.
  std::vector<int64_t> end(n, 0);
  std::vector<int> driver(n, -1);
  int done = 0;
  for (int i : graph.topological_order()) {
    const StepStatus& st = state.step(i);
    const int64_t duration = Ms(runbook.steps[i].duration.value);
    if (st.state == StepState::kSucceeded || st.state == StepState::kSkipped) ++done;
    if (st.ended_at) {
      end[i] = st.ended_at->count();
      continue;
    }
    // The need that finishes last drives the step (ties go to the need: the step starts
    // as it ends).
    // A step starts once ready, not at its planned start, unless it has a not_before (its
    // planned start is then the bound, at worst a little late when needs set it).
    const bool held = runbook.steps[i].not_before.present() && in.plan != nullptr;
    int64_t start = st.started_at ? st.started_at->count()
                                  : std::max(now, held ? t0 + Ms(in.plan->steps[i].start) : now);
    int64_t latest_need = -1;
    for (int need : graph.needs(i)) {
      if (end[need] > latest_need) {
        latest_need = end[need];
        driver[i] = need;
      }
    }
    if (latest_need < start && !st.started_at) driver[i] = -1;  // its not_before or now drives it
    if (!st.started_at) start = std::max(start, latest_need);
    end[i] = std::max(start + duration, st.started_at ? now : start + duration);
  }
  reply.set_steps_done(done);
  int last = -1;
  for (int i = 0; i < n; ++i) {
    if (last < 0 || end[i] > end[last]) last = i;
  }
  std::vector<bool> critical(n, false);
  std::vector<std::string> path;
  for (int i = last; i >= 0; i = driver[i]) {
    critical[i] = true;
    path.push_back(runbook.steps[i].id.value);
  }
  std::reverse(path.begin(), path.end());
  for (const std::string& id : path) reply.add_critical_path(id);
  if (last >= 0) reply.set_forecast_end_unix_ms(end[last]);

  for (int i = 0; i < n; ++i) {
    const Step& s = runbook.steps[i];
    const StepStatus& st = state.step(i);
    v1::StepStatus* out = reply.add_steps();
    out->set_id(s.id.value);
    out->set_title(s.title.value);
    out->set_stream(s.stream.value);
    out->set_type(StepTypeName(s.type.value));
    out->set_owner(s.owner.value);
    out->set_state(ToWire(st.state));
    if (st.decision) out->set_decision(*st.decision == Decision::kGo ? "go" : "nogo");
    out->set_attempts(st.attempt);
    if (in.plan != nullptr) {
      out->set_planned_start_unix_ms(t0 + Ms(in.plan->steps[i].start));
      out->set_planned_end_unix_ms(t0 + Ms(in.plan->steps[i].end));
    }
    if (st.started_at) out->set_started_unix_ms(st.started_at->count());
    if (st.ended_at) out->set_ended_unix_ms(st.ended_at->count());
    out->set_forecast_end_unix_ms(end[i]);
    out->set_on_critical_path(critical[i]);
    out->set_deadline_missed(st.deadline_missed);
    out->set_paused(st.paused);
    out->set_last_error(st.last_error);
    for (const SignOffRecord& r : st.signoffs) out->add_signed_by(r.person);
    if (st.state == StepState::kAwaitingSignoff) {
      if (s.gate) {
        for (const SourcedString& a : s.gate->approvers) out->add_waiting_for(a.value);
      } else {
        for (const SourcedString& a : s.Signers()) out->add_waiting_for(a.value);
      }
    }
  }
  return reply;
}

}  // namespace tminus::control
