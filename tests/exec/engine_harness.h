// Drives the real run engine on a manual clock with the simulated executor, from inline
// YAML, so each rule of the format can be tested step by step without sleeping.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/manual_scheduler.h"
#include "engine/exec/run_engine.h"
#include "engine/exec/simulated_executor.h"
#include "engine/exec/simulated_operator.h"
#include "engine/loader/scenario_loader.h"
#include "engine/model/step_graph.h"
#include "tests/test_util.h"

namespace tminus::testing {

class EventLog : public RunObserver {
 public:
  void OnEvent(const RunEvent& e, const RunState&) override { events.push_back(e); }
  std::vector<RunEvent> events;
};

class EngineHarness {
 public:
  // T0 is engine time 0; the clock starts at T0 (or at `start_offset_s`).
  // `extra_roles`: roles given to people outside the runbook (RunOptions::extra_roles).
  explicit EngineHarness(const std::string& yaml, const std::string& scenario_yaml = "",
                         bool simulated_people = false, int64_t start_offset_s = 0,
                         std::map<std::string, std::vector<std::string>> extra_roles = {})
      : checked_(Check(yaml)), scheduler_(EngineTime(start_offset_s * 1000)) {
    EXPECT_FALSE(checked_.diagnostics.has_errors()) << checked_.Dump();
    graph_ = StepGraph::Build(checked_.runbook);
    Diagnostics d;
    scenario_ = LoadScenario(scenario_yaml, checked_.runbook, &d);
    EXPECT_FALSE(d.has_errors());
    executor_ = std::make_unique<SimulatedExecutor>(checked_.runbook, graph_, scenario_, &scheduler_);
    RunOptions options;
    options.mode = "simulate";
    options.t0 = EngineTime(0);
    options.runbook_text = yaml;
    options.extra_roles = std::move(extra_roles);
    engine_ = std::make_unique<RunEngine>(
        checked_.runbook, graph_, options, &scheduler_,
        [this](const std::string&) { return executor_.get(); }, sink_ ? sink_ : &null_sink_);
    engine_->AddObserver(&log_);
    if (simulated_people) {
      people_ = std::make_unique<SimulatedOperator>(engine_.get(), scenario_, &scheduler_);
      engine_->AddObserver(people_.get());
    }
  }

  void Start() {
    ASSERT_TRUE(engine_->Start().ok());
    scheduler_.RunUntilIdle();
  }
  void Advance(int seconds) { scheduler_.AdvanceBy(Millis(seconds * 1000)); }
  void RunAll() { scheduler_.RunToCompletion(); }

  RunEngine& engine() { return *engine_; }
  const Runbook& runbook() const { return checked_.runbook; }
  const RunState& state() const { return engine_->state(); }
  const std::vector<RunEvent>& events() const { return log_.events; }
  int64_t now_s() const { return scheduler_.Now().count() / 1000; }

  int Index(const std::string& id) const { return graph_.Find(id); }
  StepState State(const std::string& id) const { return state().step(Index(id)).state; }
  const StepStatus& Step(const std::string& id) const { return state().step(Index(id)); }
  // Times of step `id` in seconds from T0; -1 until they happen.
  int64_t StartS(const std::string& id) const { return Seconds(Step(id).started_at); }
  int64_t EndS(const std::string& id) const { return Seconds(Step(id).ended_at); }
  int64_t RollbackStartS(const std::string& id) const {
    return Seconds(Step(id).rollback_started_at);
  }
  int64_t RollbackEndS(const std::string& id) const { return Seconds(Step(id).rollback_ended_at); }
  int Count(EventType type) const {
    int n = 0;
    for (const RunEvent& e : log_.events) n += e.type == type;
    return n;
  }

 private:
  static int64_t Seconds(const std::optional<EngineTime>& t) { return t ? t->count() / 1000 : -1; }

  Checked checked_;
  StepGraph graph_;
  Scenario scenario_;
  ManualScheduler scheduler_;
  NullSink null_sink_;
  EventSink* sink_ = nullptr;
  std::unique_ptr<SimulatedExecutor> executor_;
  std::unique_ptr<RunEngine> engine_;
  std::unique_ptr<SimulatedOperator> people_;
  EventLog log_;
};

inline std::string Roles() {
  return "runbook: 1\n"
         "name: t\n"
         "roles:\n"
         "  lead: [alice]\n"
         "  dba: [bob, carol]\n"
         "  app: [erin]\n";
}

}  // namespace tminus::testing
