#include "control/metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/model/step_state.h"

namespace tminus::control {
namespace {

constexpr StepState kAllStates[] = {
    StepState::kPending,   StepState::kWaiting, StepState::kRunning,    StepState::kAwaitingSignoff,
    StepState::kSucceeded, StepState::kFailed,  StepState::kSkipped,    StepState::kCancelled,
    StepState::kUnknown,   StepState::kRolledBack, StepState::kRollbackFailed};

std::string Number(double v) { return absl::StrCat(v); }

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

void Histogram::Render(const std::string& name, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    absl::StrAppend(out, name, "_bucket{le=\"", Number(bounds_[i]), "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, name, "_bucket{le=\"+Inf\"} ", count_, "\n");
  absl::StrAppend(out, name, "_sum ", Number(sum_), "\n", name, "_count ", count_, "\n");
}

RunMetrics::RunMetrics(size_t steps, std::function<int()> agents_connected)
    : agents_connected_(std::move(agents_connected)),
      states_(steps, StepState::kPending),
      dispatch_latency_({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800}),
      commit_latency_({0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1}) {}

void RunMetrics::OnEvent(const RunEvent& event, const RunState& state) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++events_;
  if (event.step >= 0 && static_cast<size_t>(event.step) < states_.size()) {
    states_[event.step] = state.step(event.step).state;
  }
  switch (event.type) {
    case EventType::kDispatch:
      dispatched_[event.dispatch_id] = event.time;
      break;
    case EventType::kResult: {
      auto it = dispatched_.find(event.dispatch_id);
      if (it != dispatched_.end()) {
        dispatch_latency_.Observe(static_cast<double>((event.time - it->second).count()) / 1000.0);
        dispatched_.erase(it);
      }
      break;
    }
    case EventType::kRejected:
      ++rejected_;
      break;
    case EventType::kDeadlineMissed:
      ++deadline_misses_;
      break;
    case EventType::kRunEnded:
      phase_ = event.phase;
      break;
    default:
      break;
  }
}

void RunMetrics::RecordCommit(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  commit_latency_.Observe(seconds);
}

std::string RunMetrics::Render() const {
  const int agents = agents_connected_ ? agents_connected_() : 0;
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out += "# HELP tminus_steps Steps of the run by state.\n# TYPE tminus_steps gauge\n";
  for (StepState s : kAllStates) {
    size_t n = 0;
    for (StepState t : states_) n += t == s ? 1 : 0;
    absl::StrAppend(&out, "tminus_steps{state=\"", StepStateName(s), "\"} ", n, "\n");
  }
  out += "# HELP tminus_run_ended Whether the run has ended (1) or goes on (0).\n"
         "# TYPE tminus_run_ended gauge\n";
  absl::StrAppend(&out, "tminus_run_ended ", phase_ == RunPhase::kRunning ? 0 : 1, "\n");
  out += "# HELP tminus_agents_connected Agents connected to the coordinator now.\n"
         "# TYPE tminus_agents_connected gauge\n";
  absl::StrAppend(&out, "tminus_agents_connected ", agents, "\n");
  out += "# HELP tminus_events_total Events the engine recorded.\n# TYPE tminus_events_total counter\n";
  absl::StrAppend(&out, "tminus_events_total ", events_, "\n");
  out += "# HELP tminus_rejected_total Sign-offs, decisions and commands refused.\n"
         "# TYPE tminus_rejected_total counter\n";
  absl::StrAppend(&out, "tminus_rejected_total ", rejected_, "\n");
  out += "# HELP tminus_deadline_misses_total Deadlines missed.\n"
         "# TYPE tminus_deadline_misses_total counter\n";
  absl::StrAppend(&out, "tminus_deadline_misses_total ", deadline_misses_, "\n");
  out += "# HELP tminus_dispatch_latency_seconds An attempt's dispatch to its recorded result.\n"
         "# TYPE tminus_dispatch_latency_seconds histogram\n";
  dispatch_latency_.Render("tminus_dispatch_latency_seconds", &out);
  out += "# HELP tminus_journal_commit_seconds Journal commits (group commits and synced records).\n"
         "# TYPE tminus_journal_commit_seconds histogram\n";
  commit_latency_.Render("tminus_journal_commit_seconds", &out);
  return out;
}

}  // namespace tminus::control
