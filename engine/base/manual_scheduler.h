// A Scheduler whose clock moves only when told: for tests (AdvanceBy, RunUntilIdle) and
// for `simulate`, where the clock jumps straight to the next timer. Timers fire by
// deadline, then by the order they were set. Post() is thread-safe; everything else runs
// on the thread that drives it.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <utility>

#include "engine/base/scheduler.h"

namespace tminus {

class ManualScheduler : public Scheduler {
 public:
  explicit ManualScheduler(EngineTime start = EngineTime(0)) : now_(start) {}

  EngineTime Now() const override { return now_; }
  TimerId At(EngineTime when, Task task) override;
  void Cancel(TimerId id) override;
  void Post(Task task) override;

  // Runs posted tasks and timers that are due now, until there are none.
  void RunUntilIdle();
  // Moves the clock forward by `d`, firing every timer due on the way, in order.
  void AdvanceBy(Millis d);
  // Jumps to the next timer and fires it (and everything due then). False when none.
  bool AdvanceToNextTimer();
  // Runs until nothing is posted and no timer is left: the whole simulated run.
  void RunToCompletion();

  bool HasPending() const;
  size_t timer_count() const { return timers_.size(); }

 private:
  bool RunOnePosted();
  bool FireOneDue();

  EngineTime now_;
  TimerId next_id_ = 1;
  // (deadline, id) -> task; ids grow, so ties fire in the order set.
  std::map<std::pair<EngineTime, TimerId>, Task> timers_;
  std::map<TimerId, EngineTime> deadlines_;
  mutable std::mutex posted_mutex_;
  std::deque<Task> posted_;
};

}  // namespace tminus
