// End to end on the coordinator's own host: the run engine on the real-time loop, the local
// executor running real programs, and the hash-chained journal on disk. Each test runs a
// small runbook in a fresh temporary directory, checks what the programs did there, and
// checks that the journal verifies and replays to the state the engine ended in.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/exec/action_builder.h"
#include "engine/exec/journal_sink.h"
#include "engine/exec/run_engine.h"
#include "engine/exec/run_event.h"
#include "engine/exec/run_state.h"
#include "engine/executors/local_executor.h"
#include "engine/executors/loop_scheduler.h"
#include "engine/journal/journal.h"
#include "engine/model/step_graph.h"
#include "tests/test_util.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::Check;
using testing::Checked;
using testing::Header;

// The longest any run here may take before the test gives up on it. The runs take about a
// second; the bound only keeps a broken engine from hanging CI.
constexpr std::chrono::seconds kWatchdog{30};
// How long a test polls for something that should already have happened.
constexpr std::chrono::seconds kSettle{5};

// Distinguishes the runs of one process (--gtest_repeat) in names that must be unique.
int NextSerial() {
  static std::atomic<int> serial{0};
  return ++serial;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A directory made with mkdtemp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tminus-live-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The runbook header with `dir` declared as a variable, so runbooks write ${dir}/file.
std::string HeaderWithDir(const TempDir& dir) {
  return Header() + "vars:\n  dir: \"" + dir.path().string() + "\"\n";
}

// Stops the loop unless disarmed first: a run that never ends fails its test instead of
// hanging it.
class Watchdog {
 public:
  explicit Watchdog(LoopScheduler* loop)
      : thread_([this, loop] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!disarmed_changed_.wait_for(lock, kWatchdog, [this] { return disarmed_; })) {
            fired_ = true;
            loop->Stop();
          }
        }) {}
  ~Watchdog() { Disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Returns whether the watchdog had already stopped the loop.
  bool Disarm() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      disarmed_ = true;
    }
    disarmed_changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable disarmed_changed_;
  bool disarmed_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: it uses the members above
};

// Keeps every event and stops the loop when the run ends. It runs on the loop's thread
// inside the engine, so it only records and asks the loop to stop after this task.
class StopAtRunEnd : public RunObserver {
 public:
  explicit StopAtRunEnd(LoopScheduler* loop) : loop_(loop) {}
  void OnEvent(const RunEvent& event, const RunState&) override {
    events.push_back(event);
    if (event.type == EventType::kRunEnded) loop_->Stop();
  }
  std::vector<RunEvent> events;

 private:
  LoopScheduler* loop_;
};

// A finished live run: what the engine saw and ended with, and where its journal is.
// Not movable: the graph refers to the runbook's strings.
struct LiveRun {
  LiveRun() = default;
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

  int Index(const std::string& id) const { return graph.Find(id); }
  const StepStatus& Step(const std::string& id) const { return state.step(Index(id)); }
  // The events of `type` for step `id`, in the order they happened.
  std::vector<RunEvent> Events(EventType type, const std::string& id) const {
    std::vector<RunEvent> out;
    for (const RunEvent& e : events) {
      if (e.type == type && e.step == Index(id)) out.push_back(e);
    }
    return out;
  }

  Checked checked;
  StepGraph graph;
  std::string journal_path;
  std::vector<RunEvent> events;  // as observers saw them
  RunState state;                // the engine's state when the run ended
  absl::Status halted;
  std::string journal_head;  // the journal's head after the last record
  Clock::duration elapsed{};
  bool ended = false;
};

// Runs `text` from start to end: the engine on a LoopScheduler driven by this thread, every
// `on: local` action through a LocalExecutor, every event into a new journal at
// `journal_path`.
std::unique_ptr<LiveRun> RunLive(const std::string& text, const std::string& journal_path,
                                 const std::map<std::string, std::string>& secrets = {}) {
  auto run = std::make_unique<LiveRun>();
  run->journal_path = journal_path;
  run->checked = Check(text);
  EXPECT_FALSE(run->checked.diagnostics.has_errors()) << run->checked.Dump();
  if (run->checked.diagnostics.has_errors()) return run;
  run->graph = StepGraph::Build(run->checked.runbook);
  run->state = RunState(run->checked.runbook.steps.size());

  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Create(journal_path);
  EXPECT_TRUE(journal.ok()) << journal.status();
  if (!journal.ok()) return run;

  LoopScheduler loop;
  JournalSink sink(journal->get(), run->checked.runbook, SystemWallMs);
  RunOptions options;
  options.mode = "run";
  options.runbook_text = text;
  options.runbook_sha256 = Sha256Hex(text);
  options.secrets = secrets;
  auto executor = std::make_unique<LocalExecutor>();
  auto engine = std::make_unique<RunEngine>(
      run->checked.runbook, run->graph, options, &loop,
      [local = executor.get()](const std::string& target) -> Executor* {
        return target == "local" ? local : nullptr;
      },
      &sink);
  StopAtRunEnd observer(&loop);
  engine->AddObserver(&observer);

  absl::Status started;
  // The engine lives on the loop's thread, from its first call on.
  loop.Post([&] {
    started = engine->Start();
    if (!started.ok()) loop.Stop();
  });
  const Clock::time_point begin = Clock::now();
  bool watchdog_fired;
  {
    Watchdog watchdog(&loop);
    loop.Run();
    watchdog_fired = watchdog.Disarm();
  }
  run->elapsed = Clock::now() - begin;
  EXPECT_TRUE(started.ok()) << started;
  EXPECT_FALSE(watchdog_fired) << "the run did not end within " << kWatchdog.count() << "s";

  run->events = std::move(observer.events);
  run->state = engine->state();
  run->halted = engine->halted();
  run->ended = run->state.ended();
  run->journal_head = (*journal)->head();
  // Whatever the run cancelled must stop on its own, before the executor's destructor
  // would stop it anyway.
  const Clock::time_point deadline = Clock::now() + kSettle;
  while (executor->RunningCount() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(executor->RunningCount(), 0u) << "attempts still running after the run ended";
  // The executor goes first: its workers still call into the engine's callbacks, which post
  // to the loop (those tasks never run). Closing the journal last checkpoints it into the
  // main file.
  executor.reset();
  engine.reset();
  journal->reset();
  return run;
}

// Checks the run's journal file: it verifies against the head the journal ended with, its
// run_ended names the hash of the record before it, it holds exactly the events the engine
// applied, and folding them gives the engine's final state. Returns the decoded events.
std::vector<RunEvent> CheckJournal(const LiveRun& run) {
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(run.journal_path);
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok() || records->size() < 2) {
    ADD_FAILURE() << "the journal holds fewer than two records";
    return {};
  }
  const VerifyResult verified = VerifyJournal(run.journal_path, run.journal_head);
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records, static_cast<int64_t>(records->size()));
  EXPECT_EQ(records->back().hash, run.journal_head);
  EXPECT_EQ(static_cast<int64_t>(records->size()), run.state.events());

  std::vector<RunEvent> decoded;
  RunState replayed(run.checked.runbook.steps.size());
  for (const JournalRecord& record : *records) {
    absl::StatusOr<RunEvent> event =
        DecodeEvent(record.type, record.actor, record.payload, run.checked.runbook, run.graph);
    EXPECT_TRUE(event.ok()) << "record " << record.seq << ": " << event.status();
    if (!event.ok()) return decoded;
    replayed.Apply(*event);
    decoded.push_back(*std::move(event));
  }
  EXPECT_EQ(replayed.Diff(run.state), "");
  EXPECT_EQ(replayed.phase(), run.state.phase());
  for (int i = 0; i < run.graph.size(); ++i) {
    EXPECT_EQ(replayed.step(i).state, run.state.step(i).state)
        << "step " << run.checked.runbook.steps[i].id.value;
  }

  // The journal is the live sequence, event for event.
  EXPECT_EQ(decoded.size(), run.events.size());
  for (size_t i = 0; i < std::min(decoded.size(), run.events.size()); ++i) {
    EXPECT_EQ(decoded[i].type, run.events[i].type) << "record " << i + 1;
    EXPECT_EQ(decoded[i].step, run.events[i].step) << "record " << i + 1;
    EXPECT_EQ(decoded[i].time, run.events[i].time) << "record " << i + 1;
  }

  // run_ended closes the chain over everything before it.
  const RunEvent& last = decoded.back();
  EXPECT_EQ(last.type, EventType::kRunEnded);
  EXPECT_EQ(last.chain_head, (*records)[records->size() - 2].hash);
  EXPECT_EQ(last.phase, run.state.phase());
  return decoded;
}

// The position in `events` of the first event of `type` for `step` (with `state`, for step
// events), or -1.
int FirstIndex(const std::vector<RunEvent>& events, EventType type, int step,
               std::optional<StepState> state = std::nullopt) {
  for (size_t i = 0; i < events.size(); ++i) {
    const RunEvent& e = events[i];
    if (e.type == type && e.step == step && (!state || e.state == *state)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// The pids of live processes (zombies excluded) that have `argument` among their arguments.
std::vector<pid_t> ProcessesWithArgument(const std::string& argument) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    ADD_FAILURE() << "cannot list /proc";
    return pids;
  }
  while (dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const fs::path dir = fs::path("/proc") / name;
    const std::string cmdline = ReadBytes(dir / "cmdline");
    bool found = false;
    for (size_t at = 0; at < cmdline.size() && !found;) {
      const size_t end = std::min(cmdline.find('\0', at), cmdline.size());
      found = cmdline.compare(at, end - at, argument) == 0;
      at = end + 1;
    }
    if (!found) continue;
    // A process killed but not yet reaped by its new parent is a zombie: it runs nothing.
    const std::string stat = ReadBytes(dir / "stat");
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
    pids.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  closedir(proc);
  return pids;
}

// Watches /proc from its own thread while a run goes on, noting which of `arguments`
// appeared in some process: proof that the process ran, and that the scan can see it.
// `all_seen`, if given, runs once on that thread when every argument has been seen.
class ProcessSpotter {
 public:
  explicit ProcessSpotter(std::vector<std::string> arguments,
                          std::function<void()> all_seen = nullptr)
      : arguments_(std::move(arguments)), all_seen_(std::move(all_seen)), thread_([this] {
          while (!stop_.load()) {
            size_t seen = 0;
            for (const std::string& argument : arguments_) {
              std::lock_guard<std::mutex> lock(mutex_);
              if (!ProcessesWithArgument(argument).empty()) seen_.insert(argument);
              seen = seen_.size();
            }
            if (seen == arguments_.size() && all_seen_) {
              all_seen_();
              all_seen_ = nullptr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }) {}
  ~ProcessSpotter() { Stop(); }
  ProcessSpotter(const ProcessSpotter&) = delete;
  ProcessSpotter& operator=(const ProcessSpotter&) = delete;

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  bool Seen(const std::string& argument) {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.count(argument) > 0;
  }

 private:
  const std::vector<std::string> arguments_;
  std::function<void()> all_seen_;  // only the thread uses it
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::set<std::string> seen_;
  std::thread thread_;  // last: it uses the members above
};

// Polls until no live process has `argument`; returns those still there at the deadline.
std::vector<pid_t> WaitUntilGone(const std::string& argument) {
  const Clock::time_point deadline = Clock::now() + kSettle;
  std::vector<pid_t> left = ProcessesWithArgument(argument);
  while (!left.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = ProcessesWithArgument(argument);
  }
  return left;
}

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
    SCOPED_TRACE(argument);
    EXPECT_TRUE(spotter.Seen(argument)) << "the process never ran";
    const std::vector<pid_t> left = WaitUntilGone(argument);
    EXPECT_TRUE(left.empty()) << "pid " << (left.empty() ? 0 : left.front()) << " outlived it";
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

  EXPECT_TRUE(spotter.Seen(sleeper)) << "the sleep never ran";
  const std::vector<pid_t> left = WaitUntilGone(sleeper);
  EXPECT_TRUE(left.empty()) << "pid " << (left.empty() ? 0 : left.front()) << " outlived it";
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
