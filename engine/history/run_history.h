// What happened in a recorded run, step by step and measured against its plan: the facts a
// post-cutover report, a rehearsal comparison and an evidence-based replan are made of.
// Everything here is derived from the journal's events alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/exec/run_state.h"
#include "engine/history/recorded_run.h"
#include "engine/plan/planner.h"

namespace tminus {

// Times are offsets from the run's T0 in milliseconds (negative before it).
using Offset = Millis;

struct AttemptFacts {
  std::string dispatch_id;
  int attempt = 0;
  bool rollback = false;  // an attempt of the step's rollback action
  std::string target;     // the action's `on:`
  std::vector<std::string> hosts;  // where it ran: agent ids, or host:port for SSH
  Offset dispatched{0};
  std::optional<Offset> ended;  // when its outcome was recorded
  bool ok = false;
  bool timed_out = false;
  bool cancelled = false;
  bool unrecovered = false;
  int exit_code = -1;
  std::string error;
};

struct StepFacts {
  StepState state = StepState::kPending;
  std::optional<Decision> decision;  // gates
  bool decided_by_override = false;
  std::optional<Offset> ready, start, end;
  std::optional<Offset> rollback_start, rollback_end;
  std::vector<AttemptFacts> attempts;  // run and rollback attempts, in dispatch order
  int failed_attempts = 0;             // run attempts that did not succeed
  // How long it took, from start (first attempt, or opened for sign-off) to its successful
  // end; unknown unless it succeeded.
  std::optional<Seconds> observed;
  std::optional<Offset> deadline_missed_at;
  bool on_actual_critical_path = false;
};

// A sign-off or a gate decision.
struct PersonAct {
  Offset at{0};
  int step = -1;
  bool decision = false;  // a gate decision (else a sign-off)
  std::string person;
  std::string as;
  std::string comment;
  Decision vote = Decision::kGo;
  bool override_ = false;
};

// Something that went off the plan: a failed attempt, an operator's retry, skip, mark
// done, abort or rollback, a refused command, a rollback and how it went, a resume.
struct Incident {
  Offset at{0};
  int step = -1;       // -1: the run as a whole
  std::string what;    // short: "attempt 2 failed", "skipped", "rollback started", ...
  std::string actor;   // who (engine, a person)
  std::string detail;  // the error, reason or comment
};

// A step that ran long or ended after its deadline, and what that cost the run's end.
struct Delay {
  int step = -1;
  Seconds planned{0};
  std::optional<Seconds> observed;
  Seconds overrun{0};                     // observed - planned when positive
  std::optional<Seconds> past_deadline;   // how long after its deadline it ended
  // How much earlier the run would have ended had this step alone taken its planned
  // duration, everything else as observed (the plan replayed with observed durations).
  Seconds effect_on_end{0};
};

struct HostUse {
  std::string host;    // agent id, host:port, or "local"
  std::string kind;    // "agent", "ssh", "local"
  std::vector<std::string> targets;
  int steps = 0;
  int attempts = 0;
  int failed = 0;
};

struct RunHistory {
  const RecordedRun* run = nullptr;
  RunState state;
  bool planned = false;  // whether `plan` and `replayed` hold plans
  std::string plan_problem;  // why not, when !planned
  Plan plan;       // as the runbook planned it from the run's T0
  Plan replayed;   // the same plan with every observed duration in place of the planned one
  PlanOptions plan_options;  // what reproduces `plan`: the run's T0, in the runbook's offset
  int64_t t0_ms = 0;   // engine time of T0
  int utc_offset_minutes = 0;  // for clock times: the runbook's (window.start), else UTC
  Offset started{0};
  std::optional<Offset> ended;
  Offset last_event{0};
  std::vector<StepFacts> steps;
  std::vector<PersonAct> acts;
  std::vector<Incident> incidents;
  std::vector<Delay> delays;  // the largest effect on the end first
  std::vector<int> actual_critical_path;  // first to last
  std::vector<HostUse> hosts;

  // The run's end, or its last event while it has not ended.
  Offset end() const { return ended.value_or(last_event); }
  bool rehearsal() const;  // mode is not "run" (a rehearsal or a simulation)
};

RunHistory BuildHistory(const RecordedRun& run);

// Seconds to Offset and back (offsets are rounded to the nearest second).
inline Offset ToOffset(Seconds s) { return Offset(s.count() * 1000); }
Seconds ToSeconds(Offset offset);

}  // namespace tminus
