// The engine's only window on time and threads. The run engine reads time from Now(),
// waits with At(), and receives every input through Post(); so the same engine runs on
// a real clock, on a virtual clock in `simulate`, and under a manual clock in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace tminus {

using Millis = std::chrono::milliseconds;
// Engine time: milliseconds since the Unix epoch, advancing monotonically.
using EngineTime = Millis;

class Scheduler {
 public:
  using TimerId = uint64_t;
  using Task = std::function<void()>;

  virtual ~Scheduler() = default;
  // Engine time now. Only meaningful on the scheduler's strand.
  virtual EngineTime Now() const = 0;
  // Runs `task` on the strand at `when` (or at once, in order, if it has passed). Timers
  // due at the same time fire in the order they were set.
  virtual TimerId At(EngineTime when, Task task) = 0;
  // A timer that has not fired will not fire.
  virtual void Cancel(TimerId id) = 0;
  // Runs `task` on the strand as soon as possible. Safe from any thread.
  virtual void Post(Task task) = 0;
};

}  // namespace tminus
