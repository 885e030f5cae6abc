// The attempt store: the concurrency limit and its FIFO queue, duplicates (while queued,
// running, finished, and after acknowledgement), acknowledgements, and the lists a
// reconnect needs.
#include "agent/attempt_store.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/dispatch_translate.h"

namespace tminus::agent {
namespace {

v1::DispatchId Id(const std::string& step, uint32_t attempt = 1) {
  v1::DispatchId id;
  id.set_run_id("run-1");
  id.set_step_id(step);
  id.set_attempt(attempt);
  id.set_host("agent-a");
  return id;
}

ActionRequest Request(const v1::DispatchId& id) {
  ActionRequest request;
  request.dispatch_id = AttemptKey(id);
  request.step_id = id.step_id();
  request.argv = {"true"};
  return request;
}

v1::Result Ok(const v1::DispatchId& id) {
  v1::Result result;
  *result.mutable_id() = id;
  result.set_ok(true);
  result.set_exit_code(0);
  return result;
}

AttemptStore::Admission Admit(AttemptStore& store, const std::string& step, int64_t now = 100) {
  return store.Admit(Id(step), Request(Id(step)), 0, now);
}

std::vector<std::string> Steps(const std::vector<const AttemptStore::Attempt*>& attempts) {
  std::vector<std::string> steps;
  for (const AttemptStore::Attempt* attempt : attempts) steps.push_back(attempt->id.step_id());
  return steps;
}

std::vector<std::string> Keys(std::initializer_list<const char*> steps) {
  std::vector<std::string> keys;
  for (const char* step : steps) keys.push_back(AttemptKey(Id(step)));
  return keys;
}

TEST(AttemptStoreTest, AttemptsStartAtOnceWhileSlotsAreFree) {
  AttemptStore store({2});
  const AttemptStore::Admission a = Admit(store, "a", 100);
  EXPECT_FALSE(a.duplicate);
  EXPECT_TRUE(a.start_now);
  EXPECT_EQ(a.started_unix_ms, 100);
  EXPECT_TRUE(Admit(store, "b").start_now);
  EXPECT_EQ(store.running(), 2u);
  EXPECT_EQ(store.Get(AttemptKey(Id("a")))->phase, AttemptStore::Phase::kRunning);
  EXPECT_EQ(store.Get(AttemptKey(Id("a")))->request.argv, std::vector<std::string>{"true"});
}

TEST(AttemptStoreTest, TheConcurrencyLimitQueuesTheRestInArrivalOrder) {
  AttemptStore store({2});
  Admit(store, "a");
  Admit(store, "b");
  const AttemptStore::Admission c = Admit(store, "c");
  EXPECT_FALSE(c.start_now);
  EXPECT_EQ(c.started_unix_ms, 0) << "a queued attempt has not started";
  EXPECT_FALSE(Admit(store, "d").start_now);
  EXPECT_FALSE(Admit(store, "e").start_now);
  EXPECT_EQ(store.running(), 2u);
  EXPECT_EQ(store.queued(), 3u);

  EXPECT_EQ(store.Finish(AttemptKey(Id("b")), Ok(Id("b")), 200), Keys({"c"}));
  EXPECT_EQ(store.Get(AttemptKey(Id("c")))->started_unix_ms, 200);
  EXPECT_EQ(store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 300), Keys({"d"}));
  EXPECT_EQ(store.Finish(AttemptKey(Id("d")), Ok(Id("d")), 400), Keys({"e"}));
  EXPECT_EQ(store.running(), 2u);
  EXPECT_EQ(store.queued(), 0u);
}

TEST(AttemptStoreTest, ANewDispatchWaitsBehindTheQueueEvenWhenASlotIsFree) {
  AttemptStore store({1});
  Admit(store, "a");
  Admit(store, "b");
  // "a" ends: "b" starts, and "c", arriving later, must not overtake it.
  EXPECT_EQ(store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 200), Keys({"b"}));
  EXPECT_FALSE(Admit(store, "c").start_now);
}

TEST(AttemptStoreTest, AKnownDispatchIsADuplicateInEveryPhase) {
  AttemptStore store({1});
  Admit(store, "a", 100);
  Admit(store, "b", 150);
  AttemptStore::Admission again = Admit(store, "a", 170);
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.start_now);
  EXPECT_EQ(again.started_unix_ms, 100) << "the first start, not now";
  again = Admit(store, "b");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.started_unix_ms, 0);
  EXPECT_EQ(store.queued(), 1u) << "queued once";

  store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 200);
  again = Admit(store, "a");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.start_now);
  EXPECT_EQ(store.Get(AttemptKey(Id("a")))->phase, AttemptStore::Phase::kFinished);
  EXPECT_TRUE(store.Get(AttemptKey(Id("a")))->result.ok()) << "the result is kept";
}

TEST(AttemptStoreTest, AnAcknowledgedIdIsForgottenButStillADuplicate) {
  AttemptStore store({1});
  Admit(store, "a");
  store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 200);
  EXPECT_TRUE(store.Acknowledge(AttemptKey(Id("a"))));
  EXPECT_EQ(store.Get(AttemptKey(Id("a"))), nullptr);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(store.WasAcknowledged(AttemptKey(Id("a"))));
  const AttemptStore::Admission again = Admit(store, "a");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.start_now);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.Acknowledge(AttemptKey(Id("a")))) << "nothing left to forget";
}

TEST(AttemptStoreTest, OnlyFinishedAttemptsCanBeAcknowledged) {
  AttemptStore store({1});
  Admit(store, "a");
  Admit(store, "b");
  EXPECT_FALSE(store.Acknowledge(AttemptKey(Id("a")))) << "running";
  EXPECT_FALSE(store.Acknowledge(AttemptKey(Id("b")))) << "queued";
  EXPECT_FALSE(store.Acknowledge(AttemptKey(Id("unknown"))));
  EXPECT_EQ(store.size(), 2u);
}

TEST(AttemptStoreTest, RememberedAcknowledgementsAreBounded) {
  AttemptStore store({1, 2});
  for (const char* step : {"a", "b", "c"}) {
    Admit(store, step);
    store.Finish(AttemptKey(Id(step)), Ok(Id(step)), 200);
    store.Acknowledge(AttemptKey(Id(step)));
  }
  EXPECT_FALSE(store.WasAcknowledged(AttemptKey(Id("a")))) << "the oldest is forgotten";
  EXPECT_TRUE(store.WasAcknowledged(AttemptKey(Id("b"))));
  EXPECT_TRUE(store.WasAcknowledged(AttemptKey(Id("c"))));
}

TEST(AttemptStoreTest, AcknowledgementsFromBeforeARestartAreDuplicatesToo) {
  AttemptStore store({1, 2});
  for (const char* step : {"a", "b", "c"}) store.RememberAcknowledged(AttemptKey(Id(step)));
  EXPECT_FALSE(store.WasAcknowledged(AttemptKey(Id("a")))) << "bounded like live ones";
  const AttemptStore::Admission again = Admit(store, "c");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.start_now);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(Admit(store, "a").start_now) << "forgotten, so it is new";
}

TEST(AttemptStoreTest, UnacknowledgedResultsAreListedInTheOrderTheyFinished) {
  AttemptStore store({3});
  Admit(store, "a");
  Admit(store, "b");
  Admit(store, "c");
  store.Finish(AttemptKey(Id("c")), Ok(Id("c")), 200);
  store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 300);
  EXPECT_EQ(Steps(store.Unacknowledged()), (std::vector<std::string>{"c", "a"}));
  EXPECT_FALSE(store.Unacknowledged()[0]->result_sent);
  store.MarkSent(AttemptKey(Id("c")));
  EXPECT_TRUE(store.Unacknowledged()[0]->result_sent);
  store.Acknowledge(AttemptKey(Id("c")));
  EXPECT_EQ(Steps(store.Unacknowledged()), (std::vector<std::string>{"a"}));
}

TEST(AttemptStoreTest, KnownListsActiveAttemptsThenFinishedOnes) {
  AttemptStore store({1});
  Admit(store, "a");
  Admit(store, "b");
  Admit(store, "c");
  store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 200);  // b starts
  EXPECT_EQ(Steps(store.Known()), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(store.Known()[0]->phase, AttemptStore::Phase::kRunning);
  EXPECT_EQ(store.Known()[1]->phase, AttemptStore::Phase::kQueued);
  EXPECT_EQ(store.Known()[2]->phase, AttemptStore::Phase::kFinished);
}

TEST(AttemptStoreTest, AQueuedAttemptCanEndWithoutRunning) {
  AttemptStore store({1});
  Admit(store, "a");
  Admit(store, "b");
  Admit(store, "c");
  v1::Result cancelled = Ok(Id("b"));
  cancelled.set_ok(false);
  cancelled.set_cancelled(true);
  EXPECT_TRUE(store.FinishQueued(AttemptKey(Id("b")), cancelled));
  EXPECT_FALSE(store.FinishQueued(AttemptKey(Id("a")), cancelled)) << "running, not queued";
  EXPECT_EQ(store.queued(), 1u);
  EXPECT_TRUE(store.Get(AttemptKey(Id("b")))->result.cancelled());
  EXPECT_EQ(store.Finish(AttemptKey(Id("a")), Ok(Id("a")), 200), Keys({"c"}));
  EXPECT_TRUE(store.Finish(AttemptKey(Id("b")), Ok(Id("b")), 200).empty())
      << "finishing what is not running changes nothing";
}

TEST(AttemptStoreTest, AnAttemptThatCannotRunTakesNoSlot) {
  AttemptStore store({1});
  v1::Result failed = Ok(Id("bad"));
  failed.set_ok(false);
  const AttemptStore::Admission bad = store.AdmitFinished(Id("bad"), failed);
  EXPECT_FALSE(bad.duplicate);
  EXPECT_FALSE(bad.start_now);
  EXPECT_TRUE(Admit(store, "a").start_now);
  EXPECT_EQ(Steps(store.Unacknowledged()), std::vector<std::string>{"bad"});
  EXPECT_TRUE(store.AdmitFinished(Id("bad"), failed).duplicate);
}

TEST(AttemptStoreTest, AZeroLimitStillRunsOneAtATime) {
  AttemptStore store({0});
  EXPECT_TRUE(Admit(store, "a").start_now);
  EXPECT_FALSE(Admit(store, "b").start_now);
}

}  // namespace
}  // namespace tminus::agent
