// Coordinator crashes and resumes on a manual clock. Attempts run in an AttemptWorld that
// outlives coordinators: an attempt on an agent target keeps running when the coordinator
// stops, one on the coordinator's own host dies with it. Each coordinator life has its own
// scheduler, executor, journal handle and engine; a sink that refuses every record after a
// given count stands in for the moment the process was killed (what it recorded before is
// on disk, nothing after it happens). A TestOperator answers whatever waits for a person.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/base/manual_scheduler.h"
#include "engine/exec/action_builder.h"
#include "engine/exec/journal_sink.h"
#include "engine/exec/resume.h"
#include "engine/exec/run_engine.h"
#include "engine/journal/journal.h"
#include "tests/exec/engine_harness.h"
#include "tests/test_util.h"

namespace tminus::testing {

// Where attempts run. Attempts on the targets in `surviving_targets` ("*": every target)
// outlive a coordinator stop. Each takes its step's planned duration (its rollback's, for a
// rollback; at least a second) and succeeds unless its dispatch id is listed as failing.
class AttemptWorld {
 public:
  struct Attempt {
    std::string step_id;
    bool rollback = false;
    bool survives = false;  // on a target whose attempts outlive a coordinator stop
    EngineTime start{0};
    EngineTime end{0};
    bool ok = true;
    bool cancelled = false;
    bool killed = false;  // died with the coordinator before it ended
    int starts = 0;       // how often an executor started this very attempt
  };

  AttemptWorld(const Runbook& runbook, std::set<std::string> surviving_targets,
               std::set<std::string> failing)
      : runbook_(runbook), surviving_(std::move(surviving_targets)), failing_(std::move(failing)) {}

  Attempt& Begin(const ActionRequest& request, EngineTime now) {
    Attempt& a = attempts[request.dispatch_id];
    ++a.starts;
    a.step_id = request.step_id;
    a.rollback = request.rollback;
    a.survives = surviving_.count("*") > 0 || surviving_.count(request.target) > 0;
    a.start = now;
    const Step* step = nullptr;
    for (const Step& s : runbook_.steps) {
      if (s.id.value == request.step_id) step = &s;
    }
    const Seconds planned = step == nullptr    ? Seconds(1)
                            : request.rollback ? PlannedRollbackDuration(*step)
                                               : PlannedDuration(*step);
    a.end = now + Millis(std::max<int64_t>(planned.count(), 1) * 1000);
    a.ok = failing_.count(request.dispatch_id) == 0;
    if (!request.rollback) ++run_starts[request.step_id];
    return a;
  }

  Attempt* Find(const std::string& dispatch_id) {
    auto it = attempts.find(dispatch_id);
    return it == attempts.end() ? nullptr : &it->second;
  }

  // The coordinator stopped at `now`: what ran on its own host dies with it.
  void CoordinatorStopped(EngineTime now) {
    for (auto& [id, a] : attempts) {
      if (!a.survives && !a.cancelled && a.end > now) a.killed = true;
    }
  }

  // Whether the attempt ran to a successful end (what a person would check before marking
  // a step done).
  bool Succeeded(const std::string& dispatch_id, EngineTime now) {
    const Attempt* a = Find(dispatch_id);
    return a != nullptr && a->ok && !a->cancelled && !a->killed && a->end <= now;
  }

  std::map<std::string, Attempt> attempts;  // by dispatch id
  std::map<std::string, int> run_starts;    // run-action starts per step id

 private:
  const Runbook& runbook_;
  const std::set<std::string> surviving_;
  const std::set<std::string> failing_;
};

// One coordinator's executor: starts attempts in the world and reports them on this
// coordinator's clock. Recover has the real semantics: an attempt that survived is
// re-attached (its result comes when it ends, or at once if it already has); anything
// else is reported unrecovered.
class WorldExecutor : public Executor {
 public:
  WorldExecutor(AttemptWorld* world, Scheduler* scheduler) : world_(world), scheduler_(scheduler) {}

  void Start(const ActionRequest& request, Done done) override {
    ++started;
    // Attempts that outlive the coordinator go to agents, whose placement is journaled.
    if (engine != nullptr && request.target != "local") {
      engine->RecordPlacement(request, {"agent-" + request.target + "-1", "agent-" + request.target + "-2"});
    }
    AttemptWorld::Attempt& a = world_->Begin(request, scheduler_->Now());
    Deliver(request.dispatch_id, a.end, std::move(done));
  }

  void Cancel(const std::string& dispatch_id) override {
    auto it = pending_.find(dispatch_id);
    if (it == pending_.end()) return;
    scheduler_->Cancel(it->second.timer);
    Done done = std::move(it->second.done);
    pending_.erase(it);
    if (AttemptWorld::Attempt* a = world_->Find(dispatch_id)) {
      a->cancelled = true;
      a->end = scheduler_->Now();
    }
    ActionResult r;
    r.cancelled = true;
    r.error = "cancelled";
    done(std::move(r));
  }

  void Recover(const ActionRequest& request, Millis grace, Done done) override {
    (void)grace;
    recovered.push_back(request.dispatch_id);
    placed_on[request.dispatch_id] = request.placed_on;
    AttemptWorld::Attempt* a = world_->Find(request.dispatch_id);
    if (a == nullptr || !a->survives || a->killed || a->cancelled) {
      ActionResult lost;
      lost.unrecovered = true;
      lost.error = "no agent holds '" + request.dispatch_id + "'";
      done(std::move(lost));
      return;
    }
    Deliver(request.dispatch_id, std::max(a->end, scheduler_->Now()), std::move(done));
  }

  int started = 0;
  std::vector<std::string> recovered;  // dispatch ids asked about
  std::map<std::string, std::vector<std::string>> placed_on;  // what Recover was told
  RunEngine* engine = nullptr;  // records placements when set

 private:
  struct Pending {
    Scheduler::TimerId timer = 0;
    Done done;
  };

  void Deliver(const std::string& id, EngineTime at, Done done) {
    Pending& p = pending_[id];
    p.done = std::move(done);
    p.timer = scheduler_->At(at, [this, id] {
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      Done d = std::move(it->second.done);
      pending_.erase(it);
      const AttemptWorld::Attempt* a = world_->Find(id);
      ActionResult r;
      r.ok = a != nullptr && a->ok;
      r.exit_code = r.ok ? 0 : 1;
      if (!r.ok) r.error = "exit code 1, expected 0";
      d(std::move(r));
    });
  }

  AttemptWorld* world_;
  Scheduler* scheduler_;
  std::map<std::string, Pending> pending_;
};

// The journal, until the coordinator is killed: after `crash_after` records in the file
// (-1: never) every record is refused and the engine stops acting.
class CrashingSink : public EventSink {
 public:
  CrashingSink(Journal* journal, const Runbook& runbook, const Scheduler* clock,
               int64_t crash_after)
      : journal_(journal),
        inner_(journal, runbook, [clock] { return clock->Now().count(); }),
        crash_after_(crash_after) {}

  absl::Status Record(const RunEvent& event, bool sync) override {
    if (crash_after_ >= 0 && journal_->last_seq() >= crash_after_) {
      crashed_ = true;
      return absl::UnavailableError("the coordinator was killed here (test)");
    }
    return inner_.Record(event, sync);
  }
  absl::Status Flush() override { return inner_.Flush(); }
  std::string ChainHead() const override { return inner_.ChainHead(); }
  bool crashed() const { return crashed_; }

 private:
  Journal* journal_;
  JournalSink inner_;
  int64_t crash_after_;
  bool crashed_ = false;
};

// A person at the console who answers, one command at a time, whatever waits: signs off,
// decides gates (go unless told otherwise), skips paused failures, marks a step `unknown`
// done when the world shows its attempt succeeded and retries it otherwise, retries failed
// rollback actions, ends a run whose rollback was refused.
class TestOperator {
 public:
  explicit TestOperator(AttemptWorld* world, std::map<std::string, Decision> gates = {})
      : world_(world), gates_(std::move(gates)) {}

  // Does one thing, if anything waits; true when it did.
  bool Act(RunEngine& engine, EngineTime now) {
    const Runbook& rb = engine.runbook();
    const RunState& state = engine.state();
    if (state.ended()) return false;
    for (size_t i = 0; i < rb.steps.size(); ++i) {
      const Step& s = rb.steps[i];
      const StepStatus& st = state.step(static_cast<int>(i));
      const std::string& id = s.id.value;
      switch (st.state) {
        case StepState::kAwaitingSignoff:
          if (Answer(engine, s, st)) return true;
          break;
        case StepState::kFailed:
          if (st.paused && !s.gate && Try("skip " + id)) {
            return Attempted(engine.Skip(id, "ops", "skipped by the operator"));
          }
          break;
        case StepState::kUnknown: {
          const std::string attempt = DispatchId(id, st.attempt, false);
          if (world_->Succeeded(attempt, now) && Try("mark " + attempt)) {
            return Attempted(engine.MarkDone(id, "ops", "the agent's log shows it finished"));
          }
          if (Try("retry " + attempt)) return Attempted(engine.Retry(id, "ops", "run it again"));
          break;
        }
        case StepState::kRollbackFailed:
          if (state.rolling_back() && !st.rollback_running &&
              Try("retry " + DispatchId(id, st.rollback_attempt, true))) {
            return Attempted(engine.Retry(id, "ops", "retry the rollback action"));
          }
          break;
        case StepState::kPending:
        case StepState::kWaiting:
        case StepState::kRunning:
        case StepState::kSucceeded:
        case StepState::kSkipped:
        case StepState::kCancelled:
        case StepState::kRolledBack:
          break;
      }
    }
    if (state.rollback_refused() && Try("abort")) {
      return Attempted(engine.Abort("ops", "the rollback was refused; ending the run"));
    }
    return false;
  }

  int commands = 0;

 private:
  // A command is given once: a refused one is not repeated, as a person would not.
  bool Try(const std::string& command) { return tried_.insert(command).second; }
  bool Attempted(const absl::Status&) {
    ++commands;
    return true;
  }

  static std::vector<std::string> People(const Runbook& rb, const std::string& entry) {
    if (const Role* role = rb.FindRole(entry)) {
      std::vector<std::string> people;
      for (const SourcedString& p : role->people) people.push_back(p.value);
      return people;
    }
    return {entry};
  }

  bool Answer(RunEngine& engine, const Step& s, const StepStatus& st) {
    const Runbook& rb = engine.runbook();
    StringList entries;
    if (s.gate) {
      entries = s.gate->approvers;
    } else {
      entries = s.signoff.by;
      if (entries.empty()) entries.push_back(s.owner);
    }
    for (const SourcedString& entry : entries) {
      for (const std::string& person : People(rb, entry.value)) {
        bool done = false;
        for (const SignOffRecord& r : st.signoffs) done = done || r.person == person;
        if (done || !Try(s.id.value + " by " + person)) continue;
        if (s.gate) {
          auto it = gates_.find(s.id.value);
          const Decision d = it == gates_.end() ? Decision::kGo : it->second;
          return Attempted(engine.Decide(s.id.value, person, d, "decided by the test operator"));
        }
        return Attempted(engine.SignOff(s.id.value, person, "done"));
      }
    }
    return false;
  }

  AttemptWorld* world_;
  std::map<std::string, Decision> gates_;
  std::set<std::string> tried_;
};

// One coordinator process: from Start() or Resume() until the run ends or it is killed.
class Coordinator {
 public:
  enum class Stop { kEnded, kCrashed, kStalled };

  // `crash_after`: the journal record count after which this coordinator is killed (-1:
  // never). The clock starts at `now`.
  Coordinator(AttemptWorld* world, std::string journal_path, EngineTime now, int64_t crash_after,
              bool sync_decisions = true)
      : world_(world),
        path_(std::move(journal_path)),
        scheduler_(now),
        crash_after_(crash_after),
        sync_decisions_(sync_decisions),
        executor_(world, &scheduler_) {}

  ~Coordinator() { Kill(); }
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // A new run of `text`, T0 at engine time 0, into a new journal.
  absl::Status Start(const std::string& text) {
    Checked checked = Check(text);
    if (checked.diagnostics.has_errors()) return absl::InvalidArgumentError(checked.Dump());
    input_.runbook = std::move(checked.runbook);
    input_.graph = StepGraph::Build(input_.runbook);
    auto journal = Journal::Create(path_);
    if (!journal.ok()) return journal.status();
    journal_ = *std::move(journal);
    RunOptions options;
    options.mode = "run";
    options.t0 = EngineTime(0);
    options.runbook_text = text;
    options.runbook_sha256 = Sha256Hex(text);
    options.sync_decisions = sync_decisions_;
    MakeEngine(std::move(options));
    return engine_->Start();
  }

  // Takes over the run in the journal, as `tminus resume` does.
  absl::Status Resume(const ResumeOptions& resume_options = {}) {
    absl::StatusOr<ResumeInput> input = LoadRunForResume(path_);
    if (!input.ok()) return input.status();
    input_ = *std::move(input);
    auto journal = Journal::OpenForAppend(path_);
    if (!journal.ok()) return journal.status();
    journal_ = *std::move(journal);
    RunOptions options = ResumeRunOptions(input_, {});
    options.sync_decisions = sync_decisions_;
    MakeEngine(std::move(options));
    return engine_->Resume(input_.events, resume_options);
  }

  // Runs until the run ends, this coordinator is killed, or nothing is left to happen.
  // `person`, if given, acts whenever the strand is idle.
  Stop Drive(TestOperator* person, int max_rounds = 100000) {
    for (int round = 0; round < max_rounds; ++round) {
      scheduler_.RunUntilIdle();
      if (sink_->crashed()) return Stop::kCrashed;
      if (engine_->state().ended()) return Stop::kEnded;
      if (person != nullptr && person->Act(*engine_, scheduler_.Now())) continue;
      if (sink_->crashed()) return Stop::kCrashed;
      if (!scheduler_.AdvanceToNextTimer()) return Stop::kStalled;
    }
    ADD_FAILURE() << "the run did not settle in " << max_rounds << " rounds";
    return Stop::kStalled;
  }

  // Moves the clock (for tests that step through a run by hand).
  void Advance(Millis d) { scheduler_.AdvanceBy(d); }
  void RunUntilIdle() { scheduler_.RunUntilIdle(); }

  // The process dies: nothing it had not recorded happens, what runs on its host dies.
  // What it recorded is on disk.
  void Kill() {
    if (engine_ == nullptr) return;
    world_->CoordinatorStopped(scheduler_.Now());
    if (journal_ != nullptr) journal_->Flush().IgnoreError();
    engine_.reset();
    journal_.reset();
  }

  RunEngine& engine() { return *engine_; }
  const RunState& state() const { return engine_->state(); }
  const Runbook& runbook() const { return input_.runbook; }
  const StepGraph& graph() const { return input_.graph; }
  EngineTime now() const { return scheduler_.Now(); }
  bool crashed() const { return sink_ != nullptr && sink_->crashed(); }
  WorldExecutor& executor() { return executor_; }
  const std::vector<RunEvent>& events() const { return log_.events; }
  int Index(const std::string& id) const { return input_.graph.Find(id); }
  const StepStatus& Step(const std::string& id) const { return state().step(Index(id)); }
  StepState State(const std::string& id) const { return Step(id).state; }

 private:
  void MakeEngine(RunOptions options) {
    sink_ =
        std::make_unique<CrashingSink>(journal_.get(), input_.runbook, &scheduler_, crash_after_);
    engine_ = std::make_unique<RunEngine>(
        input_.runbook, input_.graph, std::move(options), &scheduler_,
        [this](const std::string&) -> Executor* { return &executor_; }, sink_.get());
    engine_->AddObserver(&log_);
    executor_.engine = engine_.get();
  }

  AttemptWorld* world_;
  std::string path_;
  ManualScheduler scheduler_;
  int64_t crash_after_;
  bool sync_decisions_;
  ResumeInput input_;
  WorldExecutor executor_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<CrashingSink> sink_;
  EventLog log_;
  std::unique_ptr<RunEngine> engine_;  // last: destroyed first
};

// A directory for journals, removed with everything in it. On tmpfs where there is one:
// these tests create, close and reopen journals by the thousand, and there their syncs
// cost nothing.
class JournalDir {
 public:
  JournalDir() {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0
            ? std::filesystem::path("/dev/shm")
            : std::filesystem::temp_directory_path();
    std::string pattern = (base / "tminus-resume-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed in " << base;
    path_ = pattern;
  }
  ~JournalDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  JournalDir(const JournalDir&) = delete;
  JournalDir& operator=(const JournalDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Every record of the journal at `path`, decoded against `runbook`.
inline std::vector<RunEvent> JournalEvents(const std::string& path, const Runbook& runbook,
                                           const StepGraph& graph) {
  std::vector<RunEvent> events;
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(path);
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return events;
  for (const JournalRecord& r : *records) {
    absl::StatusOr<RunEvent> e = DecodeEvent(r.type, r.actor, r.payload, runbook, graph);
    EXPECT_TRUE(e.ok()) << "record " << r.seq << ": " << e.status();
    if (e.ok()) events.push_back(*std::move(e));
  }
  return events;
}

// The fold of the whole journal: what a replay says the run's state is.
inline RunState Replay(const std::vector<RunEvent>& events, size_t steps) {
  RunState state(steps);
  for (const RunEvent& e : events) state.Apply(e);
  return state;
}

}  // namespace tminus::testing
