// The run engine: carries out a runbook exactly as the format defines it. Single-threaded:
// every method runs on the scheduler's strand, and executors' results come back through
// Scheduler::Post. For each input it decides, records the event (durably, for decisions
// and dispatches), applies it to its state, and only then acts.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/base/scheduler.h"
#include "engine/exec/event_sink.h"
#include "engine/exec/executor.h"
#include "engine/exec/run_state.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace tminus {

// Told about every event after it is recorded and applied (people, dashboards, the
// simulated operator). Must not call back into the engine synchronously: post instead.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnEvent(const RunEvent& event, const RunState& state) = 0;
};

struct RunOptions {
  std::string mode = "run";  // "simulate", "run", "rehearsal"
  // T0 in engine time; when unset the run's start is T0.
  std::optional<EngineTime> t0;
  // False when T0 is only a stand-in (a simulation of a runbook with no window.start).
  bool t0_known = true;
  // Gates without approvers decide after their planned duration (simulate), not at once.
  bool auto_gates_take_planned_duration = false;
  // The runbook's text, recorded in run_started with its SHA-256.
  std::string runbook_text;
  std::string runbook_sha256;
  // Live runs: the run's id, sent to agents with every dispatch and kept in run_started.
  std::string run_id;
  // Decisions and dispatches are synced to the journal before they are acted on. A
  // simulation acts on nothing outside itself, so it may group-commit everything.
  bool sync_decisions = true;
  // Resolved secret values by name (absent in simulation: "***" is substituted).
  std::map<std::string, std::string> secrets;
  // Roles given to people outside the runbook (the coordinator's operators file), person
  // -> roles: a person may sign off or approve for these too.
  std::map<std::string, std::vector<std::string>> extra_roles;
};

// How a run is taken over from its journal after a coordinator restart.
struct ResumeOptions {
  // How long an executor may take to say whether it can re-attach to an attempt that was in
  // flight at the stop (Executor::Recover).
  Millis recover_grace{30000};
};

// Runs one runbook on one strand. The executors and the scheduler it is given must outlive
// it, and executors must be destroyed (or have reported every attempt) before the engine
// is: an attempt's completion posts back to the engine's scheduler.
class RunEngine {
 public:
  using ExecutorFor = std::function<Executor*(const std::string& target)>;

  RunEngine(const Runbook& runbook, const StepGraph& graph, RunOptions options,
            Scheduler* scheduler, ExecutorFor executors, EventSink* sink);
  ~RunEngine();

  void AddObserver(RunObserver* observer) { observers_.push_back(observer); }

  // Records run_started and starts every step that is ready.
  absl::Status Start();
  // Takes over a run that a stopped coordinator left unfinished, instead of Start():
  // `journaled` is every event of its journal, in order, decoded against this engine's
  // runbook (the copy the journal holds). Folds them into the state, records run_resumed
  // (durably), finishes what the stop interrupted, re-arms the timers and asks the
  // executors about every attempt that was in flight (see run_resume.cc). Fails when the
  // events are not a run that started and has not ended.
  absl::Status Resume(const std::vector<RunEvent>& journaled, const ResumeOptions& options);

  // People. Each returns OK, or the reason it was refused (recorded as a rejected event).
  absl::Status SignOff(const std::string& step, const std::string& person,
                       const std::string& comment);
  absl::Status Decide(const std::string& gate, const std::string& person, Decision decision,
                      const std::string& reason);
  absl::Status Retry(const std::string& step, const std::string& person, const std::string& reason);
  absl::Status Skip(const std::string& step, const std::string& person, const std::string& reason);
  absl::Status MarkDone(const std::string& step, const std::string& person,
                        const std::string& reason);
  absl::Status Abort(const std::string& person, const std::string& reason);
  absl::Status Rollback(const std::string& person, bool force, const std::string& reason);

  // A result an executor received for an attempt it had already reported (an agent given
  // up for lost that came back): journaled as late, changes nothing.
  void ReportLate(const std::string& step_id, int attempt, bool rollback, ActionResult result);

  // An executor chose the hosts an attempt goes to (agents matching its target): recorded
  // as a `placed` event, so that a resumed run knows every host that must report. The
  // executor sends nothing before the record is durable. False when the attempt is no
  // longer in flight (or the journal failed): then nothing may be sent. On the strand.
  bool RecordPlacement(const ActionRequest& request, const std::vector<std::string>& hosts);

  const RunState& state() const { return state_; }
  // Moves the state out when the engine is done with it (it must not be used after).
  RunState ReleaseState() { return std::move(state_); }
  const Runbook& runbook() const { return runbook_; }
  // The index of step `id`, or -1.
  int FindStep(const std::string& id) const { return graph_.Find(id); }
  // Set when recording an event failed: the engine has stopped acting.
  const absl::Status& halted() const { return halted_; }
  // Flushes group-committed events (call when the strand goes idle).
  absl::Status Flush();

 private:
  friend class RunEngineTestPeer;
  struct JournalFacts;  // what a resume learns from the journal beyond the state (run_resume.cc)

  bool Emit(RunEvent event, bool sync);
  bool SetState(int step, StepState to, bool sync = false, const std::string& reason = "",
                bool paused = false);
  bool Ended(int step) const;
  void NotifyObservers(const RunEvent& event);

  // Execution.
  std::optional<EngineTime> InstantTime(const Sourced<Instant>& instant) const;
  bool IsDone(int step) const;
  void StepFinished(int step);
  void MaybeReady(int step);
  void ArmNotBefore(int step);
  void Begin(int step);
  // `rerun`: the attempt replaces one lost in a coordinator restart (see LostAttempt).
  void Dispatch(int step, int attempt, bool rollback, bool rerun = false);
  // The request for one attempt, as `executor` (null: none reaches the target) takes it.
  ActionRequest RequestFor(int step, int attempt, bool rollback, const Executor* executor) const;
  // The callback an executor reports the attempt to: it posts the result to the strand.
  Executor::Done ReportTo(int step, int attempt, bool rollback, bool recovered);
  void OnResult(int step, int attempt, bool rollback, ActionResult result,
                const std::string& reason = "");
  // The failed attempt ended at `failed_at`: retry after the delay, or apply on_failure.
  void AttemptFailed(int step, EngineTime failed_at);
  void ApplyFailurePolicy(int step);
  void ComputeNotBefore();
  void ScheduleDeadlines();
  void CheckRunEnd();
  void EndRun(RunPhase phase, const std::string& reason);
  void CancelActiveSteps(const std::string& reason);
  void DoAbort(const std::string& actor, const std::string& reason);
  // What an operator's abort does once recorded.
  void AbortNow(const std::string& person, const std::string& reason);

  // Resume (run_resume.cc).
  void RestoreDone();
  void RebuildRollback(const JournalFacts& facts);
  void FinishInterrupted(const JournalFacts& facts);
  void Recover(int step, bool rollback, Millis grace, const std::vector<std::string>& placed_on);
  void OnRecovered(int step, int attempt, bool rollback, ActionResult result);
  void LostAttempt(int step);
  void ResumeStep(int step, const JournalFacts& facts);
  void ResumeGate(int gate);

  // Gates and sign-offs.
  void OpenGate(int gate);
  // What an open gate does next: decide itself, or wait for approvers until decide_by.
  void ArmGate(int gate, EngineTime opened_at);
  void FinishGate(int gate, Decision decision, const std::string& actor, const std::string& reason,
                  bool override_used);
  bool CriteriaFailed(int gate, std::string* which) const;
  std::vector<std::string> ExcludedPeople(int gate) const;
  bool QuorumMet(const StringList& entries, const Quorum& quorum,
                 const std::vector<std::string>& people) const;
  bool Eligible(const std::string& person, const SourcedString& entry) const;
  absl::Status Reject(const std::string& actor, const std::string& command, int step,
                      const std::string& why);

  // Rollback.
  void StartRollback(const std::string& actor, bool forced, const std::string& reason);
  void RollbackNodeReady(int step);
  void RollbackNodeComplete(int step);
  void ResumeRollback();
  void MaybeFinishRollback();

  const Runbook& runbook_;
  const StepGraph& graph_;
  RunOptions options_;
  Scheduler* scheduler_;
  ExecutorFor executors_;
  EventSink* sink_;
  std::vector<RunObserver*> observers_;
  RunState state_;
  absl::Status halted_;
  EngineTime t0_{0};
  int done_count_ = 0;
  std::vector<char> done_;
  bool abort_when_rollback_idle_ = false;
  // Rollback bookkeeping: dependants whose rollback has not completed, per step.
  std::vector<int> rollback_waiting_;
  std::vector<char> rollback_complete_;
  std::vector<int> rollback_ready_;  // in the set, ready, not started (while halted)
  int rollback_remaining_ = 0;
  int rollback_running_ = 0;
  // Per step, the attempt dispatched and not yet reported (0: none), of the run action and
  // of the rollback action. A result for anything else is late.
  std::vector<int> run_in_flight_;
  std::vector<int> rollback_in_flight_;
  // Per step, `not_before` in engine time (kNoTime when it has none), set at Start.
  static constexpr EngineTime kNoTime = EngineTime::min();
  std::vector<EngineTime> not_before_;
};

}  // namespace tminus
