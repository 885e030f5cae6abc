#include "engine/base/manual_scheduler.h"

#include <algorithm>
#include <utility>

namespace tminus {

Scheduler::TimerId ManualScheduler::At(EngineTime when, Task task) {
  if (when < now_) when = now_;
  const uint32_t slot = slots_.Acquire();
  Slot& s = slots_[slot];
  ++s.reuse;
  s.id = (static_cast<TimerId>(s.reuse) << 32) | (static_cast<TimerId>(slot) + 1);
  s.task = std::move(task);
  heap_.push_back({when, next_order_++, slot, s.id});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  ++live_;
  return s.id;
}

void ManualScheduler::FreeSlot(uint32_t slot) {
  slots_[slot].id = 0;
  slots_[slot].task = nullptr;
  slots_.Release(slot);
  --live_;
}

void ManualScheduler::Cancel(TimerId id) {
  const TimerId low = id & 0xffffffffu;
  if (low == 0 || low > slots_.size()) return;
  const uint32_t slot = static_cast<uint32_t>(low - 1);
  if (slots_[slot].id != id) return;
  FreeSlot(slot);
  // Cancelled entries wait in the heap until they surface; rebuild when they dominate.
  if (heap_.size() > 64 && heap_.size() > 4 * live_) {
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                               [this](const Entry& e) { return slots_[e.slot].id != e.id; }),
                heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later);
  }
}

const ManualScheduler::Entry* ManualScheduler::Next() {
  while (!heap_.empty() && slots_[heap_.front().slot].id != heap_.front().id) {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
  }
  return heap_.empty() ? nullptr : &heap_.front();
}

void ManualScheduler::PopNext() {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  heap_.pop_back();
}

void ManualScheduler::Post(Task task) {
  std::lock_guard<std::mutex> lock(posted_mutex_);
  posted_.push_back(std::move(task));
}

bool ManualScheduler::RunOnePosted() {
  Task task;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    if (posted_.empty()) return false;
    task = std::move(posted_.front());
    posted_.pop_front();
  }
  task();
  return true;
}

bool ManualScheduler::FireOneDue() {
  const Entry* next = Next();
  if (next == nullptr || next->when > now_) return false;
  const uint32_t slot = next->slot;
  PopNext();
  Task task = std::move(slots_[slot].task);
  FreeSlot(slot);
  task();
  return true;
}

void ManualScheduler::RunUntilIdle() {
  // Posted work first: it is the consequence of what already happened at this instant.
  while (RunOnePosted() || FireOneDue()) {
  }
}

void ManualScheduler::AdvanceBy(Millis d) {
  const EngineTime target = now_ + d;
  RunUntilIdle();
  for (const Entry* next = Next(); next != nullptr && next->when <= target; next = Next()) {
    now_ = next->when;
    RunUntilIdle();
  }
  now_ = target;
  RunUntilIdle();
}

bool ManualScheduler::AdvanceToNextTimer() {
  RunUntilIdle();
  const Entry* next = Next();
  if (next == nullptr) return false;
  now_ = next->when;
  RunUntilIdle();
  return true;
}

void ManualScheduler::RunToCompletion() {
  while (AdvanceToNextTimer()) {
  }
  RunUntilIdle();
}

bool ManualScheduler::HasPending() const {
  std::lock_guard<std::mutex> lock(posted_mutex_);
  return !posted_.empty() || live_ > 0;
}

}  // namespace tminus
