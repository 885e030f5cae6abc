// A real-time strand: Run() executes posted tasks and due timers, one at a time, on the
// thread that calls it, until Stop(). The live counterpart of ManualScheduler, with the
// same order: posted tasks first (they are the consequence of what already happened),
// then due timers by deadline and, for equal deadlines, in the order they were set.
// "First" is in time: a due timer runs before the tasks posted after its deadline (in
// the engine's milliseconds), so a strand kept busy by posts still fires its timers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

#include "engine/base/scheduler.h"

namespace tminus {

class LoopScheduler : public Scheduler {
 public:
  // Engine time starts at the system time of construction and then follows the steady
  // clock, so it never jumps backwards when the wall clock is adjusted.
  LoopScheduler();

  // Every method is safe from any thread; tasks run only inside Run().
  EngineTime Now() const override;
  // A deadline already passed counts as now (as in ManualScheduler).
  TimerId At(EngineTime when, Task task) override;
  void Cancel(TimerId id) override;
  void Post(Task task) override;

  // Runs tasks and due timers on the calling thread until Stop(), waiting when there is
  // nothing to do. A Stop() that came before Run() makes it return at once; each Run()
  // consumes one Stop().
  void Run();
  // Makes Run() return after the task it is running, if any. Pending work stays queued.
  void Stop();

 private:
  std::chrono::steady_clock::time_point SteadyAt(EngineTime when) const;

  const std::chrono::steady_clock::time_point steady_origin_;
  const EngineTime engine_origin_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  TimerId next_id_ = 1;
  std::deque<std::pair<EngineTime, Task>> posted_;  // with the time of the Post()
  // (deadline, id) -> task; ids grow, so ties fire in the order set.
  std::map<std::pair<EngineTime, TimerId>, Task> timers_;
  std::map<TimerId, EngineTime> deadlines_;  // for Cancel
};

}  // namespace tminus
