#include "engine/executors/loop_scheduler.h"

#include <algorithm>
#include <utility>

namespace tminus {

LoopScheduler::LoopScheduler()
    : steady_origin_(std::chrono::steady_clock::now()),
      engine_origin_(
          std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())) {
}

EngineTime LoopScheduler::Now() const {
  return engine_origin_ +
         std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - steady_origin_);
}

std::chrono::steady_clock::time_point LoopScheduler::SteadyAt(EngineTime when) const {
  return steady_origin_ + (when - engine_origin_);
}

Scheduler::TimerId LoopScheduler::At(EngineTime when, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  when = std::max(when, Now());
  const TimerId id = next_id_++;
  const auto key = std::make_pair(when, id);
  // Run() sleeps until the earliest timer; wake it when that changes.
  const bool earliest = timers_.empty() || key < timers_.begin()->first;
  timers_.emplace(key, std::move(task));
  deadlines_.emplace(id, when);
  if (earliest) wake_.notify_all();
  return id;
}

void LoopScheduler::Cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = deadlines_.find(id);
  if (found == deadlines_.end()) return;
  timers_.erase(std::make_pair(found->second, id));
  deadlines_.erase(found);
}

void LoopScheduler::Post(Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  posted_.emplace_back(Now(), std::move(task));
  if (posted_.size() == 1) wake_.notify_all();
}

void LoopScheduler::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    Task task;
    const bool timer_first = !posted_.empty() && !timers_.empty() &&
                             timers_.begin()->first.first < posted_.front().first &&
                             timers_.begin()->first.first <= Now();
    if (!posted_.empty() && !timer_first) {
      task = std::move(posted_.front().second);
      posted_.pop_front();
    } else if (timers_.empty()) {
      wake_.wait(lock);
      continue;
    } else if (timers_.begin()->first.first > Now()) {
      wake_.wait_until(lock, SteadyAt(timers_.begin()->first.first));
      continue;
    } else {
      auto node = timers_.extract(timers_.begin());
      deadlines_.erase(node.key().second);
      task = std::move(node.mapped());
    }
    lock.unlock();
    task();
    task = nullptr;  // release what it holds outside the lock
    lock.lock();
  }
  stop_ = false;
}

void LoopScheduler::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = true;
  wake_.notify_all();
}

}  // namespace tminus
