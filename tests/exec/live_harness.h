// Runs a runbook live on this host: the run engine on the real-time loop, every `on: local`
// action through a LocalExecutor and every event into a journal on disk. Also checks of the
// journal a run left, and of the processes it started (found through /proc).
#pragma once

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
#include "tests/exec/engine_harness.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace tminus::testing {

// The longest a live run may take before RunLive gives up on it. The tests' runs take about
// a second; the bound only keeps a broken engine from hanging CI.
inline constexpr std::chrono::seconds kWatchdog{30};
// How long a test polls for something that should already have happened.
inline constexpr std::chrono::seconds kSettle{5};

// Distinguishes the runs of one process (--gtest_repeat) in names that must be unique.
inline int NextSerial() {
  static std::atomic<int> serial{0};
  return ++serial;
}

inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}


// The runbook header with `dir` declared as a variable, so runbooks write ${dir}/file.
inline std::string HeaderWithDir(const TempDir& dir) {
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

// Keeps every event (EventLog) and stops the loop when the run ends. It runs on the loop's
// thread inside the engine, so it only records and asks the loop to stop after this task.
class StopAtRunEnd : public EventLog {
 public:
  explicit StopAtRunEnd(LoopScheduler* loop) : loop_(loop) {}
  void OnEvent(const RunEvent& event, const RunState& state) override {
    EventLog::OnEvent(event, state);
    if (event.type == EventType::kRunEnded) loop_->Stop();
  }

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
  std::chrono::steady_clock::duration elapsed{};
  bool ended = false;
};

// Runs `text` from start to end: the engine on a LoopScheduler driven by this thread, every
// `on: local` action through a LocalExecutor, every event into a new journal at
// `journal_path`.
inline std::unique_ptr<LiveRun> RunLive(const std::string& text, const std::string& journal_path,
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
  const std::chrono::steady_clock::time_point begin = std::chrono::steady_clock::now();
  bool watchdog_fired;
  {
    Watchdog watchdog(&loop);
    loop.Run();
    watchdog_fired = watchdog.Disarm();
  }
  run->elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_TRUE(started.ok()) << started;
  EXPECT_FALSE(watchdog_fired) << "the run did not end within " << kWatchdog.count() << "s";

  run->events = std::move(observer.events);
  run->state = engine->state();
  run->halted = engine->halted();
  run->ended = run->state.ended();
  run->journal_head = (*journal)->head();
  // Whatever the run cancelled must stop on its own, before the executor's destructor
  // would stop it anyway.
  const std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + kSettle;
  while (executor->RunningCount() > 0 && std::chrono::steady_clock::now() < deadline) {
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
inline std::vector<RunEvent> CheckJournal(const LiveRun& run) {
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
inline int FirstIndex(const std::vector<RunEvent>& events, EventType type, int step,
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
inline std::vector<pid_t> ProcessesWithArgument(const std::string& argument) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    ADD_FAILURE() << "cannot list /proc";
    return pids;
  }
  while (dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::filesystem::path dir = std::filesystem::path("/proc") / name;
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
inline std::vector<pid_t> WaitUntilGone(const std::string& argument) {
  const std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + kSettle;
  std::vector<pid_t> left = ProcessesWithArgument(argument);
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = ProcessesWithArgument(argument);
  }
  return left;
}

// Expects that `spotter` saw a process with `argument` and that none is left by kSettle.
inline void ExpectRanAndEnded(ProcessSpotter& spotter, const std::string& argument) {
  EXPECT_TRUE(spotter.Seen(argument)) << "no process with " << argument << " ever ran";
  const std::vector<pid_t> left = WaitUntilGone(argument);
  EXPECT_TRUE(left.empty()) << "pid " << (left.empty() ? 0 : left.front()) << " outlived it";
}

}  // namespace tminus::testing
