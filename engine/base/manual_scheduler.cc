#include "engine/base/manual_scheduler.h"

namespace tminus {

Scheduler::TimerId ManualScheduler::At(EngineTime when, Task task) {
  if (when < now_) when = now_;
  const TimerId id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(task));
  deadlines_.emplace(id, when);
  return id;
}

void ManualScheduler::Cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase({it->second, id});
  deadlines_.erase(it);
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
  if (timers_.empty() || timers_.begin()->first.first > now_) return false;
  auto node = timers_.extract(timers_.begin());
  deadlines_.erase(node.key().second);
  node.mapped()();
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
  while (!timers_.empty() && timers_.begin()->first.first <= target) {
    now_ = timers_.begin()->first.first;
    RunUntilIdle();
  }
  now_ = target;
  RunUntilIdle();
}

bool ManualScheduler::AdvanceToNextTimer() {
  RunUntilIdle();
  if (timers_.empty()) return false;
  now_ = timers_.begin()->first.first;
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
  return !posted_.empty() || !timers_.empty();
}

}  // namespace tminus
