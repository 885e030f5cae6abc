// Prometheus histograms are cumulative: each bucket counts every observation at or below
// its bound, and +Inf counts them all.
#include "control/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace tminus::control {
namespace {

TEST(HistogramTest, BucketsAreCumulativeAndInfCountsEverything) {
  Histogram h({0.01, 1});
  h.Observe(0.003);
  h.Observe(0.01);  // on the bound: counts in it
  h.Observe(0.2);
  h.Observe(100);
  std::string out;
  h.Render("x", &out);
  EXPECT_NE(out.find("x_bucket{le=\"0.01\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"1\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_count 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_sum 100.213\n"), std::string::npos) << out;
}

TEST(RunMetricsTest, RendersEveryStateAndTheAgentsGauge) {
  RunMetrics metrics(3, [] { return 7; });
  metrics.RecordCommit(0.002);
  const std::string out = metrics.Render();
  EXPECT_NE(out.find("tminus_steps{state=\"pending\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tminus_steps{state=\"rollback_failed\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tminus_agents_connected 7\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tminus_journal_commit_seconds_count 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# TYPE tminus_dispatch_latency_seconds histogram\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace tminus::control
