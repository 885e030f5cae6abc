#include "engine/exec/simulation.h"

#include "engine/base/manual_scheduler.h"
#include "engine/exec/run_engine.h"
#include "engine/exec/simulated_executor.h"
#include "engine/exec/simulated_operator.h"
#include "engine/journal/journal.h"
#include "engine/plan/planner.h"

namespace tminus {
namespace {

class Recorder : public RunObserver {
 public:
  explicit Recorder(std::vector<RunEvent>* events) : events_(events) {}
  void OnEvent(const RunEvent& event, const RunState&) override { events_->push_back(event); }

 private:
  std::vector<RunEvent>* events_;
};

std::string StallReason(const Runbook& rb, const RunState& state) {
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepStatus& s = state.step(static_cast<int>(i));
    if (s.state == StepState::kAwaitingSignoff) {
      return "the run waits forever on '" + rb.steps[i].id.value +
             (rb.steps[i].gate ? "': the gate is never decided and has no decide_by"
                               : "': nobody signs it off");
    }
    if (s.state == StepState::kFailed && s.paused) {
      return "the run waits on an operator for the failed step '" + rb.steps[i].id.value + "'";
    }
  }
  if (state.rollback_refused()) return "the run waits on an operator after a refused rollback";
  return "nothing is left to happen, but the run has not ended";
}

}  // namespace

absl::StatusOr<SimulationResult> Simulate(const Runbook& runbook, const StepGraph& graph,
                                          const Scenario& scenario,
                                          const SimulationOptions& options) {
  PlanOptions plan_options;
  plan_options.t0 = options.t0;
  absl::StatusOr<Plan> plan = MakePlan(runbook, graph, plan_options);
  if (!plan.ok()) return plan.status();

  SimulationResult result;
  result.t0_known = plan->t0_unix.has_value();
  result.t0 = EngineTime(plan->t0_unix.value_or(0) * 1000);
  result.utc_offset_minutes = plan->utc_offset_minutes;

  ManualScheduler scheduler(result.t0 + Millis(plan->origin.count() * 1000));
  SimulatedExecutor executor(runbook, graph, scenario, &scheduler);
  NullSink null_sink;
  EventSink* sink = options.sink ? options.sink : &null_sink;

  RunOptions run_options;
  run_options.mode = "simulate";
  run_options.t0 = result.t0;
  run_options.t0_known = result.t0_known;
  run_options.auto_gates_take_planned_duration = true;
  run_options.sync_decisions = false;
  run_options.runbook_text = options.runbook_text;
  run_options.runbook_sha256 = Sha256Hex(options.runbook_text);

  RunEngine engine(runbook, graph, run_options, &scheduler,
                   [&executor](const std::string&) { return &executor; }, sink);
  SimulatedOperator people(&engine, scenario, &scheduler);
  Recorder recorder(&result.events);
  if (options.keep_events) engine.AddObserver(&recorder);
  engine.AddObserver(&people);

  absl::Status started = engine.Start();
  if (started.ok()) {
    // Nothing outside the simulation depends on its journal while it runs, so records are
    // group-committed and flushed once at the end (the run_ended record is synced).
    scheduler.RunToCompletion();
    engine.Flush().IgnoreError();
  }
  result.halted = engine.halted();
  if (result.halted.ok() && !engine.state().ended()) {
    result.stalled = true;
    result.stalled_reason = StallReason(runbook, engine.state());
  }
  result.state = engine.ReleaseState();
  return result;
}

}  // namespace tminus
