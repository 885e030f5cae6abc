// A Scheduler whose clock moves only when told: for tests (AdvanceBy, RunUntilIdle) and
// for `simulate`, where the clock jumps straight to the next timer. Timers fire by
// deadline, then by the order they were set. Post() is thread-safe; everything else runs
// on the thread that drives it.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "engine/base/scheduler.h"
#include "engine/base/slot_pool.h"

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
  size_t timer_count() const { return live_; }

 private:
  // A timer's task lives in a slot; the id names the slot and the slot's reuse count, so
  // a cancelled or fired timer's id never matches a later timer in the same slot.
  struct Slot {
    Task task;
    TimerId id = 0;  // 0: free
    uint32_t reuse = 0;
  };
  // Heap entries. Cancelling leaves the entry in place; it is dropped when it surfaces.
  struct Entry {
    EngineTime when;
    uint64_t order;  // ties fire in the order set
    uint32_t slot;
    TimerId id;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.order > b.order;
  }

  bool RunOnePosted();
  bool FireOneDue();
  // The earliest live timer, or null; drops cancelled entries on the way.
  const Entry* Next();
  void PopNext();
  void FreeSlot(uint32_t slot);

  EngineTime now_;
  uint64_t next_order_ = 0;
  std::vector<Entry> heap_;
  SlotPool<Slot> slots_;
  size_t live_ = 0;
  mutable std::mutex posted_mutex_;
  std::deque<Task> posted_;
};

}  // namespace tminus
