// Runs attempts on agents. A step `on: X` where `targets.X.agents` is a label selector runs
// on every connected agent whose labels include all of the selector's pairs, and succeeds
// only if it succeeds on each. With no such agent the attempt waits, says so, and fails at
// the step's timeout naming the selector; the first matching agent to connect takes it.
//
// An agent that goes silent for the heartbeat timeout fails its attempts (retries apply);
// one that reconnects in time and reports keeps them. Results are matched by dispatch id
// and attempt; a second delivery of a result already counted is only acknowledged, and a
// result for an attempt that was already over goes to the late-result sink, to be
// journaled and ignored. An agent may forget a result (ResultAck) only once the engine's
// record of it is durable.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/agent_hub.h"
#include "engine/base/scheduler.h"
#include "engine/exec/executor.h"
#include "engine/model/runbook.h"

namespace tminus {

struct AgentExecutorOptions {
  std::string run_id;
  uint32_t output_cap_bytes = 64 * 1024;
  // An agent that has not reported this long after the attempt's timeout is failed.
  Millis report_grace{30000};
  // Runs `then` once everything the engine recorded so far is durable (on the strand).
  std::function<void(std::function<void()> then)> after_durable;
  // Records which agents an attempt goes to (RunEngine::RecordPlacement), on the strand;
  // false when the attempt is over. When set (with after_durable), an attempt's dispatches
  // are sent only once that record is durable, so a restarted coordinator knows every
  // agent that must report. Unset (tests of the protocol alone): sent at once.
  std::function<bool(const ActionRequest&, const std::vector<std::string>&)> record_placement;
  // A result for an attempt that was already over (step id, attempt, rollback, result).
  std::function<void(const std::string&, int, bool, ActionResult)> late_result;
  std::function<void(const std::string&)> log;
};

class AgentExecutor : public Executor, public AgentListener {
 public:
  AgentExecutor(const Runbook& runbook, Scheduler* scheduler, AgentHub* hub,
                AgentExecutorOptions options);
  ~AgentExecutor() override;

  // Executor (on the engine's strand).
  void Start(const ActionRequest& request, Done done) override;
  void Cancel(const std::string& dispatch_id) override;
  bool DefersUntilDurable() const override {
    return options_.record_placement && options_.after_durable;
  }
  // Waits `grace` for agents to say (in their Hello) that they still run or hold the
  // attempt; re-attaches when they did, else reports `unrecovered`. With the journaled
  // placement (request.placed_on) every agent placed must report, and recovery ends as
  // soon as they all have; without one, whichever agents report are taken.
  void Recover(const ActionRequest& request, Millis grace, Done done) override;

  // AgentListener (on gRPC's and the hub's threads).
  void OnAgentConnected(const AgentInfo& agent, const std::vector<v1::KnownAttempt>& known) override;
  void OnAgentAccepted(const std::string& agent, const v1::Accepted& accepted) override;
  void OnAgentResult(const std::string& agent, const v1::Result& result) override;
  void OnAgentLost(const std::string& agent, const std::string& why) override;

  // Attempts not yet reported (for status and tests).
  size_t InFlight() const;
  // ResultAcks decided but not yet handed to the hub (they wait for the engine's records
  // to be durable). Counted before the results are reported to the engine, so it is
  // nonzero when the engine learns of a result whose ack is still owed.
  size_t AcksOwed() const { return acks_owed_.load(); }

  // A resumed run: until EndRecovery(), a result for an attempt this executor does not
  // know is kept (and not acknowledged) for Recover() to claim, instead of being taken
  // for late. Agents reconnect and deliver before the engine has said what it recovers.
  void BeginRecovery();
  // Whatever no Recover() claimed is late after all: journaled, then acknowledged.
  void EndRecovery();

 private:
  struct Host {
    std::string agent;
    bool reported = false;
    bool from_agent = false;  // the result came from the agent (it needs an ack)
    bool sent = false;        // the agent was sent the dispatch (or claimed it)
    ActionResult result;
  };
  static Host MakeHost(const std::string& agent) {
    Host h;
    h.agent = agent;
    return h;
  }
  struct Attempt {
    ActionRequest request;
    std::vector<std::pair<std::string, std::string>> selector;
    std::vector<Host> hosts;  // empty while waiting for an agent (or for claims)
    Done done;
    bool waiting = false;     // no matching agent yet
    bool recovering = false;  // collecting claims after a restart
    bool cancelled = false;
    Scheduler::TimerId timer = 0;
    std::vector<std::string> expected;  // recovering: the journaled placement (or empty)
  };
  // Agents an attempt was placed on whose dispatches wait for the placement record.
  struct Placement {
    std::string id;
    ActionRequest request;
    std::vector<std::string> agents;
  };
  // Work decided under the lock and done after it: messages to send, attempts to report.
  struct Outbox {
    std::vector<std::pair<std::string, v1::CoordinatorMessage>> messages;
    std::vector<std::pair<Done, ActionResult>> reports;
    std::vector<std::pair<std::string, v1::DispatchId>> acks;  // after the reports are durable
    std::vector<std::string> log;
    std::vector<Placement> placements;  // recorded on the strand, then sent once durable
  };

  bool Matches(const Attempt& attempt, const std::map<std::string, std::string>& labels) const;
  std::string SelectorText(const Attempt& attempt) const;
  void Place(const std::string& id, Attempt& attempt, const std::vector<std::string>& agents,
             Outbox& out);
  void SetHostResult(Attempt& attempt, Host& host, ActionResult result, bool from_agent);
  // Reports the attempt when every host has; erases it.
  void MaybeComplete(const std::string& id, Outbox& out);
  void Complete(const std::string& id, ActionResult result, Outbox& out);
  void Arm(const std::string& id, Attempt& attempt, Millis after, std::function<void()> fire);
  void Flush(Outbox& out);
  // On the strand: records each placement, then sends its dispatches once durable.
  void RecordAndSend(std::vector<Placement> placements);
  void SendPlaced(const std::vector<Placement>& placements);
  // Recovery: adds `agent`'s claim (when the placement allows it); ends the recovery
  // when every placed agent has claimed.
  void Claim(const std::string& id, Attempt& attempt, const std::string& agent);
  void MaybeEndRecovery(const std::string& id, Outbox& out);
  void EndRecoveryOf(const std::string& id, Attempt& attempt, Millis grace, Outbox& out);

  void WaitTimedOut(const std::string& id);
  void ReportDeadline(const std::string& id);
  void RecoveryEnded(const std::string& id, Millis grace);

  const Runbook& runbook_;
  Scheduler* scheduler_;
  AgentHub* hub_;
  const AgentExecutorOptions options_;

  std::atomic<size_t> acks_owed_{0};
  mutable std::mutex mutex_;
  std::map<std::string, Attempt> attempts_;  // by engine dispatch id
  // Agents whose result of a finished attempt was counted, by dispatch id: their second
  // delivery is only acknowledged.
  std::map<std::string, std::set<std::string>> counted_;
  // What each connected agent said it knows, by agent (dispatch id -> finished).
  std::map<std::string, std::map<std::string, bool>> known_;
  bool recovering_ = false;
  // While recovering: results for unknown attempts, by dispatch id, then agent.
  std::map<std::string, std::map<std::string, v1::Result>> parked_;
};

}  // namespace tminus
