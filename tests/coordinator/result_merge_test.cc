#include "coordinator/result_merge.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

ActionResult Ok(std::string out, int ms) {
  ActionResult r;
  r.ok = true;
  r.exit_code = 0;
  r.stdout_tail = std::move(out);
  r.duration = Millis(ms);
  return r;
}

ActionResult Fail(int code, std::string error) {
  ActionResult r;
  r.exit_code = code;
  r.error = std::move(error);
  return r;
}

TEST(MergeResults, OneAgentsResultIsTheAttempts) {
  ActionResult r = MergeResults({{"a", Fail(3, "exit code 3, expected 0")}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.error, "exit code 3, expected 0");  // no agent prefix for a single agent
}

TEST(MergeResults, SucceedsOnlyWhenEveryAgentSucceeded) {
  ActionResult all = MergeResults({{"a", Ok("x\n", 10)}, {"b", Ok("y", 30)}});
  EXPECT_TRUE(all.ok);
  EXPECT_EQ(all.duration, Millis(30));
  EXPECT_EQ(all.stdout_tail, "== a ==\nx\n== b ==\ny\n");

  ActionResult one_fails =
      MergeResults({{"a", Ok("", 10)}, {"b", Fail(2, "exit code 2, expected 0")}, {"c", Fail(7, "boom")}});
  EXPECT_FALSE(one_fails.ok);
  EXPECT_EQ(one_fails.exit_code, 2);  // the first failure's
  EXPECT_EQ(one_fails.error, "b: exit code 2, expected 0; c: boom");
}

TEST(MergeResults, TimedOutOrCancelledWhenAnyWas) {
  ActionResult t = Fail(-1, "timed out");
  t.timed_out = true;
  ActionResult r = MergeResults({{"a", Ok("", 1)}, {"b", t}});
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.error, "b: timed out");
}

}  // namespace
}  // namespace tminus
