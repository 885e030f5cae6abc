#include "engine/executors/loop_scheduler.h"

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tminus {
namespace {

// Runs `scheduler` on a thread of its own until the end of the scope.
class RunThread {
 public:
  explicit RunThread(LoopScheduler& scheduler)
      : scheduler_(scheduler), thread_([&scheduler] { scheduler.Run(); }) {}
  ~RunThread() {
    scheduler_.Stop();
    thread_.join();
  }

 private:
  LoopScheduler& scheduler_;
  std::thread thread_;
};

TEST(LoopSchedulerTest, PostedTasksRunInOrderOnTheRunThread) {
  LoopScheduler scheduler;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 5; ++i) {
    scheduler.Post([&, i] {
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    });
  }
  scheduler.Post([&] { scheduler.Stop(); });
  scheduler.Run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  for (const std::thread::id& id : threads) EXPECT_EQ(id, std::this_thread::get_id());
}

TEST(LoopSchedulerTest, TimersFireByDeadlineThenCreationOrder) {
  LoopScheduler scheduler;
  std::vector<std::string> order;
  const EngineTime base = scheduler.Now() + Millis(50);
  scheduler.At(base + Millis(30), [&] { order.push_back("d"); });
  scheduler.At(base + Millis(10), [&] { order.push_back("b"); });
  scheduler.At(base + Millis(10), [&] { order.push_back("c"); });
  scheduler.At(base, [&] { order.push_back("a"); });
  scheduler.At(base + Millis(30), [&] {
    order.push_back("e");
    scheduler.Stop();
  });
  scheduler.Run();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_GE(scheduler.Now(), base + Millis(30));
}

TEST(LoopSchedulerTest, TimerFiresNoEarlierThanItsDeadline) {
  LoopScheduler scheduler;
  const EngineTime when = scheduler.Now() + Millis(100);
  EngineTime fired_at{0};
  scheduler.At(when, [&] {
    fired_at = scheduler.Now();
    scheduler.Stop();
  });
  scheduler.Run();
  EXPECT_GE(fired_at, when);
}

TEST(LoopSchedulerTest, PassedDeadlinesRunAtOnceInOrderSet) {
  LoopScheduler scheduler;
  std::vector<int> order;
  const EngineTime now = scheduler.Now();
  scheduler.At(now - Millis(10), [&] { order.push_back(1); });
  scheduler.At(now - Millis(500), [&] { order.push_back(2); });
  scheduler.At(now, [&] {
    order.push_back(3);
    scheduler.Stop();
  });
  scheduler.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(LoopSchedulerTest, PostedTasksRunBeforeDueTimers) {
  LoopScheduler scheduler;
  std::vector<std::string> order;
  scheduler.At(scheduler.Now(), [&] {
    order.push_back("timer");
    scheduler.Stop();
  });
  scheduler.Post([&] { order.push_back("posted"); });
  scheduler.Run();
  EXPECT_EQ(order, (std::vector<std::string>{"posted", "timer"}));
}

// A strand that is never idle still fires its timers: a task posted after a timer's
// deadline runs after it. Each posted task here posts the next, for ever.
TEST(LoopSchedulerTest, ADueTimerIsNotStarvedByTasksPostedAfterItsDeadline) {
  LoopScheduler scheduler;
  int posted_runs = 0;
  std::function<void()> busy = [&] {
    ++posted_runs;
    scheduler.Post(busy);
  };
  bool fired = false;
  scheduler.At(scheduler.Now() + std::chrono::milliseconds(20), [&] {
    fired = true;
    scheduler.Stop();
  });
  scheduler.Post(busy);
  std::promise<void> ran;
  std::thread guard([&scheduler, ended = ran.get_future()] {
    // Without the rule the timer never fires, and this ends the run.
    if (ended.wait_for(std::chrono::seconds(10)) != std::future_status::ready) scheduler.Stop();
  });
  scheduler.Run();
  ran.set_value();
  guard.join();
  EXPECT_TRUE(fired);
  EXPECT_GT(posted_runs, 0);
}

TEST(LoopSchedulerTest, CancelledTimersDoNotFire) {
  LoopScheduler scheduler;
  std::vector<std::string> order;
  const EngineTime now = scheduler.Now();
  const Scheduler::TimerId later = scheduler.At(now + Millis(20), [&] { order.push_back("x"); });
  Scheduler::TimerId due_now = 0;
  // The first due timer cancels another that is already due.
  scheduler.At(now, [&] {
    order.push_back("first");
    scheduler.Cancel(due_now);
  });
  due_now = scheduler.At(now, [&] { order.push_back("cancelled"); });
  scheduler.Cancel(later);
  scheduler.Cancel(12345);  // unknown: ignored
  scheduler.At(now + Millis(40), [&] {
    order.push_back("last");
    scheduler.Stop();
  });
  scheduler.Run();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "last"}));
}

TEST(LoopSchedulerTest, PostIsSafeFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  LoopScheduler scheduler;
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        scheduler.Post([&, t, i] {
          seen[t].push_back(i);  // only the strand touches `seen` and `total`
          if (++total == kThreads * kPerThread) scheduler.Stop();
        });
      }
    });
  }
  scheduler.Run();
  for (std::thread& poster : posters) poster.join();
  EXPECT_EQ(total, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ(seen[t][i], i);
  }
}

TEST(LoopSchedulerTest, PostFromAnotherThreadWakesAnIdleLoop) {
  LoopScheduler scheduler;
  std::thread::id ran_on;
  std::thread poster([&] {
    scheduler.Post([&] {
      ran_on = std::this_thread::get_id();
      scheduler.Stop();
    });
  });
  scheduler.Run();
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(LoopSchedulerTest, StopFromAnotherThreadEndsAnIdleRun) {
  LoopScheduler scheduler;
  bool fired = false;
  scheduler.At(scheduler.Now() + Millis(3'600'000), [&] { fired = true; });
  std::thread stopper([&] { scheduler.Stop(); });
  scheduler.Run();
  stopper.join();
  EXPECT_FALSE(fired);
}

TEST(LoopSchedulerTest, StopBeforeRunReturnsAtOnceAndIsConsumed) {
  LoopScheduler scheduler;
  scheduler.Stop();
  scheduler.Run();
  int ran = 0;
  scheduler.Post([&] {
    ++ran;
    scheduler.Stop();
  });
  scheduler.Run();
  EXPECT_EQ(ran, 1);
}

TEST(LoopSchedulerTest, TimerSetFromAnotherThreadWakesTheLoop) {
  LoopScheduler scheduler;
  RunThread loop(scheduler);
  std::promise<EngineTime> fired;
  const EngineTime when = scheduler.Now() + Millis(50);
  scheduler.At(when, [&] { fired.set_value(scheduler.Now()); });
  std::future<EngineTime> at = fired.get_future();
  ASSERT_EQ(at.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_GE(at.get(), when);
}

TEST(LoopSchedulerTest, NowFollowsTheSystemClockAndNeverGoesBack) {
  LoopScheduler scheduler;
  const auto system_now =
      std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch());
  EXPECT_LT(std::chrono::abs(scheduler.Now() - system_now), Millis(1000));
  EngineTime previous = scheduler.Now();
  for (int i = 0; i < 10000; ++i) {
    const EngineTime now = scheduler.Now();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

}  // namespace
}  // namespace tminus
