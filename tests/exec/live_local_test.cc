// End to end on the coordinator's own host: the run engine on the real-time loop, the local
// executor running real programs, and the hash-chained journal on disk. Each test runs a
// small runbook in a fresh temporary directory, checks what the programs did there, and
// checks that the journal verifies and replays to the state the engine ended in.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/exec/live_harness.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::Check;
using testing::Checked;
using testing::CheckJournal;
using testing::ExpectRanAndEnded;
using testing::FirstIndex;
using testing::HeaderWithDir;
using testing::LiveRun;
using testing::NextSerial;
using testing::ProcessSpotter;
using testing::ReadBytes;
using testing::RunLive;
using testing::TempDir;

TEST(LiveLocalTest, ThreeLocalTasksRunInDependencyOrderAndTheJournalVerifies) {
  TempDir dir;
  // Listed against their order of dependency: the file order must not matter. b uses
  // mkdir (no -p), which fails if it runs twice; c appends, so its file counts its runs.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - {id: c, needs: [a, b], timeout: 20s, run: {on: local, shell: "echo c >> ${dir}/c"}}
  - {id: b, needs: [a], timeout: 20s, run: {on: local, command: [/bin/mkdir, "${dir}/b"]}}
  - {id: a, timeout: 20s, run: {on: local, command: [/usr/bin/touch, "${dir}/a"]}}
)";
  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"));
  ASSERT_TRUE(run->ended);
  EXPECT_TRUE(run->halted.ok()) << run->halted;
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  for (const char* id : {"a", "b", "c"}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(run->Step(id).state, StepState::kSucceeded);
    EXPECT_EQ(run->Step(id).attempt, 1);
    EXPECT_EQ(run->Events(EventType::kDispatch, id).size(), 1u);
    const std::vector<RunEvent> results = run->Events(EventType::kResult, id);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].ok) << results[0].error;
    EXPECT_EQ(results[0].exit_code, 0);
  }

  // Each marker exists, once, and nothing else was written beside the journal.
  EXPECT_TRUE(fs::is_regular_file(dir.File("a")));
  EXPECT_TRUE(fs::is_directory(dir.File("b")));
  EXPECT_EQ(ReadBytes(dir.File("c")), "c\n");
  std::set<std::string> written;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("journal.db", 0) != 0) written.insert(name);
  }
  EXPECT_EQ(written, (std::set<std::string>{"a", "b", "c"}));

  const std::vector<RunEvent> journal = CheckJournal(*run);
  ASSERT_FALSE(journal.empty());
  EXPECT_EQ(journal.front().type, EventType::kRunStarted);
  EXPECT_EQ(journal.front().runbook_text, text);
  EXPECT_EQ(journal.front().mode, "run");
  // No step is dispatched before every step it needs has succeeded, in the journal's order.
  for (int step = 0; step < run->graph.size(); ++step) {
    const int dispatched = FirstIndex(journal, EventType::kDispatch, step);
    ASSERT_GE(dispatched, 0);
    for (int need : run->graph.needs(step)) {
      const int succeeded = FirstIndex(journal, EventType::kStepState, need, StepState::kSucceeded);
      ASSERT_GE(succeeded, 0);
      EXPECT_LT(succeeded, dispatched)
          << run->checked.runbook.steps[step].id.value << " was dispatched before its need "
          << run->checked.runbook.steps[need].id.value << " succeeded";
    }
  }
}

TEST(LiveLocalTest, AFailureWithOnFailureRollbackUndoesEarlierStepsInReverseOrder) {
  TempDir dir;
  // b's rollback is slow on purpose: were the two rollbacks started together, a's line
  // would come first. c fails, so its own rollback must not run.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - id: a
    timeout: 20s
    run: {on: local, command: [/usr/bin/touch, "${dir}/a"]}
    rollback: {on: local, shell: "echo a >> ${dir}/undone"}
  - id: b
    needs: [a]
    timeout: 20s
    run: {on: local, command: [/usr/bin/touch, "${dir}/b"]}
    rollback: {on: local, shell: "sleep 0.3 && echo b >> ${dir}/undone"}
  - id: c
    needs: [b]
    timeout: 20s
    on_failure: rollback
    run: {on: local, shell: "echo failing >&2; exit 3"}
    rollback: {on: local, shell: "echo c >> ${dir}/undone"}
)";
  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"));
  ASSERT_TRUE(run->ended);
  EXPECT_TRUE(run->halted.ok()) << run->halted;
  EXPECT_EQ(run->state.phase(), RunPhase::kRolledBack);
  EXPECT_STREQ(RunPhaseName(run->state.phase()), "rolled_back");
  EXPECT_EQ(run->Step("a").state, StepState::kRolledBack);
  EXPECT_EQ(run->Step("b").state, StepState::kRolledBack);
  EXPECT_EQ(run->Step("c").state, StepState::kFailed);
  EXPECT_TRUE(fs::exists(dir.File("a")));
  EXPECT_TRUE(fs::exists(dir.File("b")));

  // The failing attempt's real outcome reached the journal.
  const std::vector<RunEvent> failed = run->Events(EventType::kResult, "c");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].ok);
  EXPECT_EQ(failed[0].exit_code, 3);
  EXPECT_EQ(failed[0].stderr_tail, "failing\n");

  // Both rollback actions really ran, the dependant's first; the failed step's did not.
  EXPECT_EQ(ReadBytes(dir.File("undone")), "b\na\n");

  const std::vector<RunEvent> journal = CheckJournal(*run);
  ASSERT_FALSE(journal.empty());
  const int a = run->Index("a");
  const int b = run->Index("b");
  const int c = run->Index("c");
  const int rollback_started = FirstIndex(journal, EventType::kRollbackStarted, -1);
  const int b_undone = FirstIndex(journal, EventType::kStepState, b, StepState::kRolledBack);
  int a_undo_dispatched = -1;
  for (size_t i = 0; i < journal.size(); ++i) {
    if (journal[i].type == EventType::kDispatch && journal[i].step == a && journal[i].rollback) {
      a_undo_dispatched = static_cast<int>(i);
    }
    EXPECT_FALSE(journal[i].type == EventType::kDispatch && journal[i].step == c &&
                 journal[i].rollback)
        << "the failed step's rollback was dispatched";
  }
  ASSERT_GE(rollback_started, 0);
  ASSERT_GE(b_undone, 0);
  ASSERT_GE(a_undo_dispatched, 0);
  EXPECT_LT(rollback_started, b_undone);
  EXPECT_LT(b_undone, a_undo_dispatched);
}

TEST(LiveLocalTest, SecretsReachTheProcessButNeverTheJournal) {
  TempDir dir;
  const int serial = NextSerial();
  // Unique per run, so no unrelated text in the files can contain it by chance.
  const std::string secret = "tok" + std::to_string(getpid()) + "x" + std::to_string(serial) + "x" +
                             std::to_string(Clock::now().time_since_epoch().count() % 1000003);
  const std::string variable = "TMINUS_LIVE_TEST_TOKEN_" + std::to_string(serial);
  const std::string text = HeaderWithDir(dir) + "secrets:\n  token: {env: " + variable + "}\n" +
                           R"(steps:
  - {id: show, timeout: 20s, run: {on: local, command: [/bin/echo, "token=${secrets.token}"]}}
  - id: keep
    needs: [show]
    timeout: 20s
    run:
      on: local
      shell: >-
        printf %s '${secrets.token}' > ${dir}/token &&
        echo 'wrote ${secrets.token}' >&2
)";

  // Resolve the secret as the coordinator does, from its environment, then take it out of
  // the environment again so that the only way into the processes is the substitution.
  absl::StatusOr<std::map<std::string, std::string>> secrets;
  {
    ASSERT_EQ(setenv(variable.c_str(), secret.c_str(), 1), 0);
    const Checked checked = Check(text);
    ASSERT_FALSE(checked.diagnostics.has_errors()) << checked.Dump();
    secrets = ResolveSecrets(checked.runbook);
    unsetenv(variable.c_str());
  }
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  ASSERT_EQ(secrets->at("token"), secret);

  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"), *secrets);
  ASSERT_TRUE(run->ended);
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  EXPECT_EQ(run->Step("show").state, StepState::kSucceeded);
  EXPECT_EQ(run->Step("keep").state, StepState::kSucceeded);

  // The process received the value itself.
  EXPECT_EQ(ReadBytes(dir.File("token")), secret);

  // Captured output shows *** in its place.
  const std::vector<RunEvent> shown = run->Events(EventType::kResult, "show");
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].stdout_tail, "token=***\n");
  const std::vector<RunEvent> kept = run->Events(EventType::kResult, "keep");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].stderr_tail, "wrote ***\n");

  CheckJournal(*run);
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(run->journal_path);
  ASSERT_TRUE(records.ok()) << records.status();
  // Dispatches record the action as written, with the reference, not the value.
  int dispatches = 0;
  for (const JournalRecord& record : *records) {
    if (record.type != EventTypeName(EventType::kDispatch)) continue;
    ++dispatches;
    EXPECT_NE(record.payload.find("${secrets.token}"), std::string::npos) << record.payload;
  }
  EXPECT_EQ(dispatches, 2);
  for (const JournalRecord& record : *records) {
    EXPECT_EQ(record.payload.find(secret), std::string::npos)
        << "record " << record.seq << " (" << record.type << ") holds the secret";
    EXPECT_EQ(record.actor.find(secret), std::string::npos) << "record " << record.seq;
  }
  // Every byte SQLite left on disk: the main file and any write-ahead log or index beside
  // it. The redacted output is there in plain text, so the search reads the real content.
  std::string all_bytes;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("journal.db", 0) == 0) all_bytes += ReadBytes(entry.path());
  }
  EXPECT_NE(all_bytes.find("token=***"), std::string::npos);
  EXPECT_EQ(all_bytes.find(secret), std::string::npos) << "the journal files hold the secret";
}

TEST(LiveLocalTest, ATimeoutKillsTheWholeProcessGroupWithinSeconds) {
  TempDir dir;
  // Arguments no other process has, so the scan of /proc finds only these children.
  const std::string tag = std::to_string(getpid() % 1000) + std::to_string(NextSerial());
  const std::string sleeper = "30." + tag;
  const std::string background = "31." + tag;
  const std::string foreground = "32." + tag;
  // `shell` leaves a background job behind when it is killed: the group kill must get it.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - {id: sleep, timeout: 1s, on_failure: continue, run: {on: local, command: [/bin/sleep, ")" +
                           sleeper + R"("]}}
  - {id: group, timeout: 1s, on_failure: continue, run: {on: local, shell: "/bin/sleep )" +
                           background + " & /bin/sleep " + foreground + R"(; wait"}}
)";
  ProcessSpotter spotter({sleeper, background, foreground});
  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"));
  spotter.Stop();
  ASSERT_TRUE(run->ended);
  // The sleeps would take 30s; the bounds leave room for a loaded machine.
  EXPECT_LT(run->elapsed, std::chrono::seconds(15)) << "the timeout did not stop the sleeps";
  // on_failure: continue lets the run end once both steps have failed.
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  for (const char* id : {"sleep", "group"}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(run->Step(id).state, StepState::kFailed);
    const std::vector<RunEvent> results = run->Events(EventType::kResult, id);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].ok);
    EXPECT_TRUE(results[0].timed_out);
    EXPECT_FALSE(results[0].cancelled);
    EXPECT_EQ(results[0].exit_code, -1);
    EXPECT_NE(results[0].error.find("timed out"), std::string::npos) << results[0].error;
    EXPECT_GE(results[0].duration_ms, 1000);
    EXPECT_LT(results[0].duration_ms, 15000);
    EXPECT_EQ(run->Step(id).last_error, results[0].error);
  }

  for (const std::string& argument : {sleeper, background, foreground}) {
    ExpectRanAndEnded(spotter, argument);
  }
  CheckJournal(*run);
}

TEST(LiveLocalTest, ARollbackCancelsARunningStepAndStopsItsProcess) {
  TempDir dir;
  const std::string sleeper =
      "30." + std::to_string(getpid() % 1000) + std::to_string(NextSerial());
  // `fail` fails only once this test has seen `slow`'s sleep running (it then creates `go`),
  // so the rollback has a live process to cancel. `slow` never succeeded, so its rollback
  // must not run.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - id: slow
    timeout: 20s
    run: {on: local, command: [/bin/sleep, ")" +
                           sleeper + R"("]}
    rollback: {on: local, shell: "echo slow >> ${dir}/undone"}
  - id: fail
    timeout: 20s
    on_failure: rollback
    run: {on: local, shell: "while [ ! -e ${dir}/go ]; do sleep 0.01; done; exit 1"}
)";
  ProcessSpotter spotter({sleeper}, [&dir] { std::ofstream(dir.File("go")).put('\n'); });
  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"));
  spotter.Stop();
  ASSERT_TRUE(run->ended);
  EXPECT_LT(run->elapsed, std::chrono::seconds(15)) << "the rollback waited for the sleep";
  EXPECT_EQ(run->state.phase(), RunPhase::kRolledBack);
  EXPECT_EQ(run->Step("slow").state, StepState::kCancelled);
  EXPECT_EQ(run->Step("fail").state, StepState::kFailed);
  EXPECT_FALSE(fs::exists(dir.File("undone")));
  const std::vector<RunEvent> dispatches = run->Events(EventType::kDispatch, "slow");
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_FALSE(dispatches[0].rollback);

  ExpectRanAndEnded(spotter, sleeper);
  CheckJournal(*run);
}

TEST(LiveLocalTest, RetriedStepReplaysToTheLiveState) {
  TempDir dir;
  // The command counts its attempts in a file and succeeds on the third.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - id: flaky
    timeout: 20s
    retries: 2
    run:
      on: local
      shell: >-
        n=$$(cat ${dir}/count 2>/dev/null || echo 0); n=$$((n + 1));
        echo $$n > ${dir}/count; test $$n -ge 3
  - id: after
    needs: [flaky]
    timeout: 20s
    run: {on: local, command: [/usr/bin/touch, "${dir}/after"]}
)";
  std::unique_ptr<LiveRun> run = RunLive(text, dir.File("journal.db"));
  ASSERT_TRUE(run->ended);
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  EXPECT_EQ(ReadBytes(dir.File("count")), "3\n");
  EXPECT_TRUE(fs::exists(dir.File("after")));
  EXPECT_EQ(run->Step("flaky").state, StepState::kSucceeded);
  EXPECT_EQ(run->Step("flaky").attempt, 3);
  const std::vector<RunEvent> results = run->Events(EventType::kResult, "flaky");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].exit_code, 1);
  EXPECT_FALSE(results[1].ok);
  EXPECT_TRUE(results[2].ok);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(results[i].attempt, i + 1);

  // The fold of the journal equals the live state (CheckJournal), including the attempts.
  const std::vector<RunEvent> journal = CheckJournal(*run);
  RunState replayed(run->checked.runbook.steps.size());
  for (const RunEvent& e : journal) replayed.Apply(e);
  EXPECT_EQ(replayed.step(run->Index("flaky")).attempt, 3);
  EXPECT_EQ(replayed.phase(), RunPhase::kSucceeded);
}

}  // namespace
}  // namespace tminus
