// The run's metrics in Prometheus' text format, for `GET /metrics` on the coordinator's
// HTTP address: steps by state, the dispatch latency histogram (an attempt's dispatch to
// its result, as the engine records them), agents connected, and journal commit latency.
//
// Updated on the engine's strand (as a RunObserver, and by the code that commits the
// journal); rendered from the HTTP server's thread. One lock guards both.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/exec/run_engine.h"

namespace tminus::control {

// A cumulative histogram with fixed upper bounds, in seconds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  // `name`_bucket{le=...}, `name`_sum and `name`_count lines.
  void Render(const std::string& name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class RunMetrics : public RunObserver {
 public:
  // `agents_connected` is called while rendering (from the HTTP thread); may be empty.
  RunMetrics(size_t steps, std::function<int()> agents_connected);

  void OnEvent(const RunEvent& event, const RunState& state) override;
  // A journal commit that took `seconds` (on the strand).
  void RecordCommit(double seconds);

  std::string Render() const;

 private:
  const std::function<int()> agents_connected_;
  mutable std::mutex mutex_;
  std::vector<StepState> states_;
  std::map<std::string, EngineTime> dispatched_;  // in flight: dispatch id -> when
  Histogram dispatch_latency_;
  Histogram commit_latency_;
  uint64_t events_ = 0;
  uint64_t rejected_ = 0;
  uint64_t deadline_misses_ = 0;
  RunPhase phase_ = RunPhase::kRunning;
};

}  // namespace tminus::control
