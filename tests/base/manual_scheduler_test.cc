#include "engine/base/manual_scheduler.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tminus {
namespace {

TEST(ManualSchedulerTest, TimersFireByDeadlineThenInTheOrderSet) {
  ManualScheduler s(EngineTime(1000));
  std::vector<std::string> fired;
  s.At(EngineTime(3000), [&] { fired.push_back("c"); });
  s.At(EngineTime(2000), [&] { fired.push_back("a"); });
  s.At(EngineTime(3000), [&] { fired.push_back("d"); });
  s.At(EngineTime(2000), [&] { fired.push_back("b"); });
  s.At(EngineTime(500), [&] { fired.push_back("past"); });  // passed: due at once
  EXPECT_EQ(s.timer_count(), 5u);
  s.RunUntilIdle();
  EXPECT_EQ(fired, std::vector<std::string>({"past"}));
  s.RunToCompletion();
  EXPECT_EQ(fired, std::vector<std::string>({"past", "a", "b", "c", "d"}));
  EXPECT_EQ(s.Now(), EngineTime(3000));
  EXPECT_EQ(s.timer_count(), 0u);
  EXPECT_FALSE(s.HasPending());
}

TEST(ManualSchedulerTest, CancelledTimersNeverFireAndStaleIdsAreIgnored) {
  ManualScheduler s;
  std::vector<int> fired;
  const auto a = s.At(EngineTime(10), [&] { fired.push_back(1); });
  const auto b = s.At(EngineTime(20), [&] { fired.push_back(2); });
  s.Cancel(a);
  s.Cancel(a);  // twice: no effect
  EXPECT_EQ(s.timer_count(), 1u);
  // The cancelled timer's slot is reused; its old id must not cancel the new timer.
  const auto c = s.At(EngineTime(15), [&] { fired.push_back(3); });
  EXPECT_NE(a, c);
  s.Cancel(a);
  s.Cancel(0);
  s.Cancel(~0ull);
  s.AdvanceBy(Millis(30));
  EXPECT_EQ(fired, std::vector<int>({3, 2}));
  s.Cancel(b);  // already fired: no effect
  EXPECT_EQ(s.Now(), EngineTime(30));
}

TEST(ManualSchedulerTest, AdvanceByFiresOnTheWayAndTasksMayScheduleMore) {
  ManualScheduler s;
  std::vector<int64_t> at;
  s.At(EngineTime(5), [&] {
    at.push_back(s.Now().count());
    s.At(s.Now() + Millis(5), [&] { at.push_back(s.Now().count()); });
    s.Post([&] { at.push_back(-s.Now().count()); });
  });
  s.At(EngineTime(100), [&] { at.push_back(s.Now().count()); });
  s.AdvanceBy(Millis(50));
  EXPECT_EQ(at, std::vector<int64_t>({5, -5, 10}));
  EXPECT_EQ(s.Now(), EngineTime(50));
  EXPECT_TRUE(s.HasPending());
  EXPECT_TRUE(s.AdvanceToNextTimer());
  EXPECT_EQ(at.back(), 100);
  EXPECT_FALSE(s.AdvanceToNextTimer());
}

TEST(ManualSchedulerTest, ManyCancellationsKeepOrderAfterTheHeapIsCompacted) {
  ManualScheduler s;
  std::vector<int> fired;
  std::vector<Scheduler::TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(s.At(EngineTime(1000 - i), [&fired, i] { fired.push_back(i); }));
  }
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 != 0) s.Cancel(ids[i]);
  }
  EXPECT_EQ(s.timer_count(), 100u);
  s.RunToCompletion();
  ASSERT_EQ(fired.size(), 100u);
  for (size_t k = 0; k < fired.size(); ++k) EXPECT_EQ(fired[k], 990 - static_cast<int>(10 * k));
}

}  // namespace
}  // namespace tminus
