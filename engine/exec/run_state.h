// The state of a run as a pure fold of its events: replaying a journal through Apply()
// gives exactly the state the engine had when it wrote it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/exec/run_event.h"
#include "engine/model/runbook.h"
#include "engine/model/step_state.h"

namespace tminus {

struct SignOffRecord {
  std::string person;
  std::string as;  // the role or name it counts for
  std::string comment;
  EngineTime time{0};
  std::optional<Decision> vote;  // gates: the person's go or no-go
};

struct StepStatus {
  StepState state = StepState::kPending;
  bool paused = false;  // failed and waiting for an operator
  int attempt = 0;      // attempts started so far (counting operator retries)
  int series_start = 1;     // first attempt of the current retry series (operator retry resets;
                            // a re-run after a coordinator restart moves it on by one)
  std::string dispatch_id;  // the attempt in flight, if any
  std::optional<EngineTime> ready_at;   // became ready (waiting, running or awaiting)
  std::optional<EngineTime> started_at;  // first attempt started / opened for sign-off
  std::optional<EngineTime> ended_at;    // reached succeeded/failed/skipped/cancelled
  std::string last_error;
  std::optional<Decision> decision;      // gates
  bool decided_by_override = false;
  std::vector<SignOffRecord> signoffs;   // manual sign-offs, or gate approvals (go votes)
  bool deadline_missed = false;
  // Rollback of this step.
  int rollback_attempt = 0;
  std::string rollback_dispatch_id;
  bool rollback_running = false;
  std::optional<EngineTime> rollback_started_at;
  std::optional<EngineTime> rollback_ended_at;
};

class RunState {
 public:
  explicit RunState(size_t steps = 0) : steps_(steps) {}

  void Apply(const RunEvent& event);

  const StepStatus& step(int i) const { return steps_[i]; }
  const std::vector<StepStatus>& steps() const { return steps_; }
  RunPhase phase() const { return phase_; }
  bool started() const { return started_; }
  bool ended() const { return phase_ != RunPhase::kRunning; }
  EngineTime started_at() const { return started_at_; }
  std::optional<EngineTime> ended_at() const { return ended_at_; }
  EngineTime t0() const { return t0_; }
  bool t0_known() const { return t0_known_; }
  const std::string& mode() const { return mode_; }
  bool no_return_passed() const { return no_return_passed_; }
  bool rolling_back() const { return rolling_back_; }
  bool rollback_paused() const { return rollback_paused_; }
  bool rollback_refused() const { return rollback_refused_; }
  bool rollback_forced() const { return rollback_forced_; }
  int64_t events() const { return events_; }
  // How many times a restarted coordinator resumed the run.
  int resumes() const { return resumes_; }

  // Equality of everything the fold tracks (for replay-equals-live checks).
  bool operator==(const RunState& other) const;
  // A readable description of the first difference, "" when equal.
  std::string Diff(const RunState& other) const;

 private:
  std::vector<StepStatus> steps_;
  RunPhase phase_ = RunPhase::kRunning;
  bool started_ = false;
  EngineTime started_at_{0};
  std::optional<EngineTime> ended_at_;
  EngineTime t0_{0};
  bool t0_known_ = false;
  std::string mode_;
  bool no_return_passed_ = false;
  bool rolling_back_ = false;
  bool rollback_paused_ = false;
  bool rollback_refused_ = false;
  bool rollback_forced_ = false;
  int64_t events_ = 0;
  int resumes_ = 0;
};

}  // namespace tminus
