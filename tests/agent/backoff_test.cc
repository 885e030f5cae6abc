// The reconnect delay: doubling from the initial step to the maximum, full jitter, reset
// after a connection.
#include "agent/backoff.h"

#include <vector>

#include <gtest/gtest.h>

namespace tminus::agent {
namespace {

TEST(BackoffTest, StepsDoubleFromTheInitialDelayToTheMaximum) {
  Backoff backoff({Millis(200), Millis(3000)}, [](int64_t bound) { return bound; });
  std::vector<int64_t> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(backoff.Next().count());
  EXPECT_EQ(delays, (std::vector<int64_t>{200, 400, 800, 1600, 3000, 3000, 3000}));
  EXPECT_EQ(backoff.Maximum(), Millis(3000));
}

TEST(BackoffTest, FullJitterDrawsBetweenZeroAndTheStep) {
  std::vector<int64_t> bounds;
  Backoff backoff({Millis(200), Millis(30000)}, [&bounds](int64_t bound) {
    bounds.push_back(bound);
    return int64_t{0};
  });
  EXPECT_EQ(backoff.Next(), Millis(0));
  EXPECT_EQ(backoff.Next(), Millis(0));
  EXPECT_EQ(bounds, (std::vector<int64_t>{200, 400}));

  Backoff real({Millis(200), Millis(30000)}, SystemUniform());
  for (int i = 0; i < 20; ++i) {
    const Millis delay = real.Next();
    EXPECT_GE(delay, Millis(0));
    EXPECT_LE(delay, Millis(30000));
  }
}

TEST(BackoffTest, ADrawOutsideTheStepIsClamped) {
  Backoff backoff({Millis(200), Millis(30000)}, [](int64_t bound) { return bound * 10; });
  EXPECT_EQ(backoff.Next(), Millis(200));
}

TEST(BackoffTest, ResetStartsFromTheInitialDelayAgain) {
  Backoff backoff({Millis(200), Millis(30000)}, [](int64_t bound) { return bound; });
  backoff.Next();
  backoff.Next();
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), Millis(200));
}

}  // namespace
}  // namespace tminus::agent
