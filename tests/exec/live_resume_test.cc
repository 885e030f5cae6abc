// A live coordinator killed while a `local` attempt runs, and a new one resuming from the
// journal with a fresh LocalExecutor: the stop takes the process with it (the executor
// kills its process group), so the attempt cannot be re-attached. A task then waits as
// `unknown` for a person; a check runs again.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/exec/resume.h"
#include "tests/exec/live_harness.h"

namespace tminus {
namespace {

using testing::Check;
using testing::Checked;
using testing::HeaderWithDir;
using testing::NextSerial;
using testing::ProcessSpotter;
using testing::ReadBytes;
using testing::StopAtRunEnd;
using testing::TempDir;
using testing::Watchdog;

Executor* LocalOnly(LocalExecutor* local, const std::string& target) {
  return target == "local" ? local : nullptr;
}

// Runs `text` live into a new journal and kills the coordinator as soon as a process with
// `argument` runs: the loop stops, the executor stops its processes, the rest is dropped.
void RunUntilKilled(const std::string& text, const std::string& journal_path,
                    const std::string& argument) {
  const Checked checked = Check(text);
  ASSERT_FALSE(checked.diagnostics.has_errors()) << checked.Dump();
  const StepGraph graph = StepGraph::Build(checked.runbook);
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Create(journal_path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  LoopScheduler loop;
  JournalSink sink(journal->get(), checked.runbook, SystemWallMs);
  RunOptions options;
  options.mode = "run";
  options.runbook_text = text;
  options.runbook_sha256 = Sha256Hex(text);
  auto executor = std::make_unique<LocalExecutor>();
  auto engine = std::make_unique<RunEngine>(
      checked.runbook, graph, options, &loop,
      [local = executor.get()](const std::string& target) { return LocalOnly(local, target); },
      &sink);
  ProcessSpotter spotter({argument}, [&loop] { loop.Stop(); });
  loop.Post([&] { EXPECT_TRUE(engine->Start().ok()); });
  {
    Watchdog watchdog(&loop);
    loop.Run();
    EXPECT_FALSE(watchdog.Disarm()) << "the attempt never ran";
  }
  spotter.Stop();
  EXPECT_TRUE(spotter.Seen(argument));
  EXPECT_FALSE(engine->state().ended());
  executor.reset();
  engine.reset();
  journal->reset();
}

// What a resumed live run ended with.
struct Resumed {
  RunState state;
  std::string head;
  ResumeInput input;
};

// Posts `react` for every event the resumed engine records (people answering what waits).
class Reactor : public RunObserver {
 public:
  using React = std::function<void(RunEngine&, const RunEvent&, const RunState&)>;
  Reactor(RunEngine* engine, Scheduler* loop, React react)
      : engine_(engine), loop_(loop), react_(std::move(react)) {}
  void OnEvent(const RunEvent& event, const RunState& state) override {
    loop_->Post([this, event, &state] { react_(*engine_, event, state); });
  }

 private:
  RunEngine* engine_;
  Scheduler* loop_;
  React react_;
};

// Resumes the run in `journal_path` as `tminus resume` does, until it ends.
std::unique_ptr<Resumed> ResumeLive(const std::string& journal_path, Reactor::React react) {
  auto out = std::make_unique<Resumed>();
  absl::StatusOr<ResumeInput> input = LoadRunForResume(journal_path);
  EXPECT_TRUE(input.ok()) << input.status();
  if (!input.ok()) return out;
  out->input = *std::move(input);
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::OpenForAppend(journal_path);
  EXPECT_TRUE(journal.ok()) << journal.status();
  if (!journal.ok()) return out;
  LoopScheduler loop;
  JournalSink sink(journal->get(), out->input.runbook, SystemWallMs);
  auto executor = std::make_unique<LocalExecutor>();
  auto engine = std::make_unique<RunEngine>(
      out->input.runbook, out->input.graph, ResumeRunOptions(out->input, {}), &loop,
      [local = executor.get()](const std::string& target) { return LocalOnly(local, target); },
      &sink);
  StopAtRunEnd stop(&loop);
  Reactor reactor(engine.get(), &loop, std::move(react));
  engine->AddObserver(&stop);
  engine->AddObserver(&reactor);
  loop.Post([&] {
    const absl::Status status = engine->Resume(out->input.events, ResumeOptions{});
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok()) loop.Stop();
  });
  {
    Watchdog watchdog(&loop);
    loop.Run();
    EXPECT_FALSE(watchdog.Disarm()) << "the resumed run did not end";
  }
  out->state = engine->state();
  out->head = (*journal)->head();
  executor.reset();
  engine.reset();
  journal->reset();
  return out;
}

// The journal verifies as one finished run, and its fold is the state the run ended in.
void ExpectJournalIsTheRun(const std::string& path, const Resumed& run) {
  const VerifyResult verified = VerifyJournal(path, run.head);
  EXPECT_TRUE(verified.ok) << verified.problem;
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(path);
  ASSERT_TRUE(records.ok()) << records.status();
  RunState replayed(run.input.runbook.steps.size());
  int resumed = 0;
  for (const JournalRecord& r : *records) {
    absl::StatusOr<RunEvent> e =
        DecodeEvent(r.type, r.actor, r.payload, run.input.runbook, run.input.graph);
    ASSERT_TRUE(e.ok()) << e.status();
    replayed.Apply(*e);
    resumed += e->type == EventType::kRunResumed;
  }
  EXPECT_EQ(replayed.Diff(run.state), "");
  EXPECT_EQ(resumed, 1);
}

std::string Tag() { return "30." + std::to_string(getpid() % 1000) + std::to_string(NextSerial()); }

TEST(LiveResumeTest, ALocalTaskRunningAtTheStopResumesAsUnknownAndIsNotRunAgain) {
  TempDir dir;
  const std::string sleeper = Tag();
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - {id: work, timeout: 60s, run: {on: local, shell: "echo started >> ${dir}/log; /bin/sleep )" +
                           sleeper + R"("}}
  - {id: after, needs: [work], timeout: 20s, run: {on: local, command: [/usr/bin/touch, "${dir}/after"]}}
)";
  const std::string path = dir.File("journal.db");
  RunUntilKilled(text, path, sleeper);
  EXPECT_TRUE(testing::WaitUntilGone(sleeper).empty()) << "the stop did not take the process";

  bool was_unknown = false;
  bool after_waited = false;
  std::unique_ptr<Resumed> run =
      ResumeLive(path, [&](RunEngine& engine, const RunEvent& e, const RunState& state) {
        if (e.type != EventType::kStepState || e.step != engine.FindStep("work") ||
            e.state != StepState::kUnknown) {
          return;
        }
        was_unknown = true;
        after_waited = state.step(engine.FindStep("after")).state == StepState::kPending;
        // The person finishes the change by hand and marks the step done.
        EXPECT_TRUE(engine.MarkDone("work", "alice", "finished by hand").ok());
      });
  EXPECT_TRUE(was_unknown);
  EXPECT_TRUE(after_waited) << "the dependant started before a person decided";
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  const int work = run->input.graph.Find("work");
  EXPECT_EQ(run->state.step(work).state, StepState::kSucceeded);
  EXPECT_EQ(run->state.step(work).attempt, 1);
  EXPECT_EQ(ReadBytes(dir.File("log")), "started\n") << "the task ran only once";
  EXPECT_TRUE(std::filesystem::exists(dir.File("after")));
  ExpectJournalIsTheRun(path, *run);
}

TEST(LiveResumeTest, ALocalCheckRunningAtTheStopRunsAgain) {
  TempDir dir;
  const std::string sleeper = Tag();
  // The first run waits for `go`, which appears only after the stop.
  const std::string text = HeaderWithDir(dir) + R"(steps:
  - {id: probe, type: check, timeout: 60s, run: {on: local, shell: "echo run >> ${dir}/runs; [ -e ${dir}/go ] || /bin/sleep )" +
                           sleeper + R"("}}
)";
  const std::string path = dir.File("journal.db");
  RunUntilKilled(text, path, sleeper);
  EXPECT_TRUE(testing::WaitUntilGone(sleeper).empty());
  std::ofstream(dir.File("go")).put('\n');

  std::unique_ptr<Resumed> run =
      ResumeLive(path, [](RunEngine&, const RunEvent&, const RunState&) {});
  EXPECT_EQ(run->state.phase(), RunPhase::kSucceeded);
  const int probe = run->input.graph.Find("probe");
  EXPECT_EQ(run->state.step(probe).state, StepState::kSucceeded);
  EXPECT_EQ(run->state.step(probe).attempt, 2);
  EXPECT_EQ(ReadBytes(dir.File("runs")), "run\nrun\n");
  ExpectJournalIsTheRun(path, *run);
}

}  // namespace
}  // namespace tminus
