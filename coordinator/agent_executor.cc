#include "coordinator/agent_executor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "coordinator/result_merge.h"
#include "coordinator/wire.h"
#include "engine/model/time_spec.h"

namespace tminus {
namespace {

std::string Duration(Millis d) { return FormatDuration(Seconds(d.count() / 1000)); }

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Joined(const std::vector<std::string>& list) {
  std::string text;
  for (const std::string& item : list) absl::StrAppend(&text, text.empty() ? "" : ", ", item);
  return text;
}

ActionResult Failure(std::string error) {
  ActionResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace

AgentExecutor::AgentExecutor(const Runbook& runbook, Scheduler* scheduler, AgentHub* hub,
                             AgentExecutorOptions options)
    : runbook_(runbook), scheduler_(scheduler), hub_(hub), options_(std::move(options)) {}

AgentExecutor::~AgentExecutor() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, attempt] : attempts_) {
    if (attempt.timer != 0) scheduler_->Cancel(attempt.timer);
  }
}

size_t AgentExecutor::InFlight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return attempts_.size();
}

bool AgentExecutor::Matches(const Attempt& attempt,
                            const std::map<std::string, std::string>& labels) const {
  for (const auto& [key, value] : attempt.selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

std::string AgentExecutor::SelectorText(const Attempt& attempt) const {
  std::string text;
  for (const auto& [key, value] : attempt.selector) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", key, "=", value);
  }
  return "{" + text + "}";
}

void AgentExecutor::Flush(Outbox& out) {
  for (const std::string& line : out.log) {
    if (options_.log) options_.log(line);
  }
  const bool acking = !out.acks.empty() && options_.after_durable;
  if (acking) acks_owed_ += out.acks.size();  // before the engine can hear of the results
  for (auto& [agent, message] : out.messages) hub_->Send(agent, std::move(message));
  for (auto& [done, result] : out.reports) done(std::move(result));
  if (!out.placements.empty()) {
    scheduler_->Post([this, placements = std::move(out.placements)]() mutable {
      RecordAndSend(std::move(placements));
    });
  }
  if (acking) {
    // The reports above were posted to the engine's strand; this runs after they are
    // recorded and synced.
    options_.after_durable([this, acks = std::move(out.acks)] {
      for (const auto& [agent, id] : acks) {
        v1::CoordinatorMessage ack;
        *ack.mutable_result_ack()->mutable_id() = id;
        hub_->Send(agent, std::move(ack));
      }
      acks_owed_ -= acks.size();
    });
  }
}

void AgentExecutor::Arm(const std::string& id, Attempt& attempt, Millis after,
                        std::function<void()> fire) {
  if (attempt.timer != 0) scheduler_->Cancel(attempt.timer);
  attempt.timer = scheduler_->At(scheduler_->Now() + after, std::move(fire));
}

void AgentExecutor::Start(const ActionRequest& request, Done done) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string id = request.dispatch_id;
    const Target* target = runbook_.FindTarget(request.target);
    if (target == nullptr || target->kind != Target::Kind::kAgents) {
      out.reports.emplace_back(std::move(done),
                               Failure("target '" + request.target + "' is not a group of agents"));
    } else {
      Attempt& attempt = attempts_[id];
      attempt.request = request;
      attempt.done = std::move(done);
      for (const auto& [key, value] : target->labels) {
        attempt.selector.emplace_back(key.value, value.value);
      }
      const std::vector<std::string> agents = hub_->Matching(attempt.selector);
      if (!agents.empty()) {
        Place(id, attempt, agents, out);
      } else {
        attempt.waiting = true;
        out.log.push_back(absl::StrCat(
            "step '", request.step_id, "' waits for an agent matching ", SelectorText(attempt),
            " (target '", request.target, "')",
            request.timeout.count() > 0 ? "; it fails if none connects within " + Duration(request.timeout)
                                        : "; it has no timeout"));
        if (request.timeout.count() > 0) {
          Arm(id, attempt, request.timeout, [this, id] { WaitTimedOut(id); });
        }
      }
    }
  }
  Flush(out);
}

void AgentExecutor::Place(const std::string& id, Attempt& attempt,
                          const std::vector<std::string>& agents, Outbox& out) {
  attempt.waiting = false;
  const bool journaled = DefersUntilDurable();
  for (const std::string& agent : agents) {
    attempt.hosts.push_back(MakeHost(agent));
    if (journaled) continue;
    attempt.hosts.back().sent = true;
    v1::CoordinatorMessage message;
    *message.mutable_dispatch() =
        ToDispatch(attempt.request, options_.run_id, agent, options_.output_cap_bytes);
    out.messages.emplace_back(agent, std::move(message));
  }
  if (journaled) out.placements.push_back({id, attempt.request, agents});
  if (attempt.request.timeout.count() > 0) {
    Arm(id, attempt, attempt.request.timeout + options_.report_grace,
        [this, id] { ReportDeadline(id); });
  } else if (attempt.timer != 0) {
    scheduler_->Cancel(attempt.timer);
    attempt.timer = 0;
  }
}

void AgentExecutor::RecordAndSend(std::vector<Placement> placements) {
  std::vector<Placement> recorded;
  Outbox out;
  for (Placement& p : placements) {
    if (options_.record_placement(p.request, p.agents)) {
      recorded.push_back(std::move(p));
      continue;
    }
    // The engine gave the attempt up before its placement was recorded: nothing was sent.
    std::lock_guard<std::mutex> lock(mutex_);
    if (attempts_.count(p.id) != 0) {
      ActionResult r = Failure("not sent: the attempt was over before its agents were recorded");
      r.cancelled = true;
      Complete(p.id, std::move(r), out);
    }
  }
  Flush(out);
  if (recorded.empty()) return;
  options_.after_durable([this, recorded = std::move(recorded)] { SendPlaced(recorded); });
}

void AgentExecutor::SendPlaced(const std::vector<Placement>& placements) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Placement& p : placements) {
      auto it = attempts_.find(p.id);
      if (it == attempts_.end()) continue;
      Attempt& attempt = it->second;
      for (Host& host : attempt.hosts) {
        if (host.sent || host.reported || !Contains(p.agents, host.agent)) continue;
        if (attempt.cancelled) {
          ActionResult r = Failure("cancelled before it was sent to agent '" + host.agent + "'");
          r.cancelled = true;
          SetHostResult(attempt, host, std::move(r), false);
          continue;
        }
        host.sent = true;
        v1::CoordinatorMessage message;
        *message.mutable_dispatch() =
            ToDispatch(attempt.request, options_.run_id, host.agent, options_.output_cap_bytes);
        out.messages.emplace_back(host.agent, std::move(message));
      }
      if (attempt.cancelled) MaybeComplete(p.id, out);
    }
  }
  Flush(out);
}

void AgentExecutor::SetHostResult(Attempt& attempt, Host& host, ActionResult result,
                                  bool from_agent) {
  (void)attempt;
  host.reported = true;
  host.from_agent = from_agent;
  host.result = std::move(result);
}

void AgentExecutor::MaybeComplete(const std::string& id, Outbox& out) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return;
  Attempt& attempt = it->second;
  if (attempt.waiting || attempt.recovering || attempt.hosts.empty()) return;
  std::vector<std::pair<std::string, ActionResult>> results;
  for (const Host& host : attempt.hosts) {
    if (!host.reported) return;
    results.emplace_back(host.agent, host.result);
  }
  Complete(id, MergeResults(results), out);
}

void AgentExecutor::Complete(const std::string& id, ActionResult result, Outbox& out) {
  auto it = attempts_.find(id);
  Attempt& attempt = it->second;
  if (attempt.timer != 0) scheduler_->Cancel(attempt.timer);
  std::set<std::string>& counted = counted_[id];
  for (const Host& host : attempt.hosts) {
    if (!host.from_agent) continue;
    counted.insert(host.agent);
    out.acks.emplace_back(host.agent, WireId(attempt.request, options_.run_id, host.agent));
  }
  out.reports.emplace_back(std::move(attempt.done), std::move(result));
  attempts_.erase(it);
}

void AgentExecutor::WaitTimedOut(const std::string& id) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = attempts_.find(id);
    if (it == attempts_.end() || !it->second.waiting) return;
    it->second.timer = 0;
    Complete(id,
             Failure(absl::StrCat("no agent matching ", SelectorText(it->second), " (target '",
                                  it->second.request.target, "') connected within the timeout (",
                                  Duration(it->second.request.timeout), ")")),
             out);
  }
  Flush(out);
}

void AgentExecutor::ReportDeadline(const std::string& id) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = attempts_.find(id);
    if (it == attempts_.end()) return;
    Attempt& attempt = it->second;
    attempt.timer = 0;
    for (Host& host : attempt.hosts) {
      if (host.reported) continue;
      SetHostResult(attempt, host,
                    Failure(absl::StrCat("agent '", host.agent, "' did not report within the timeout (",
                                         Duration(attempt.request.timeout), ") plus ",
                                         Duration(options_.report_grace))),
                    false);
      v1::CoordinatorMessage cancel;
      *cancel.mutable_cancel()->mutable_id() = WireId(attempt.request, options_.run_id, host.agent);
      cancel.mutable_cancel()->set_reason("no result within the timeout");
      out.messages.emplace_back(host.agent, std::move(cancel));
    }
    MaybeComplete(id, out);
  }
  Flush(out);
}

void AgentExecutor::Cancel(const std::string& dispatch_id) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = attempts_.find(dispatch_id);
    if (it == attempts_.end()) return;
    Attempt& attempt = it->second;
    attempt.cancelled = true;
    if (attempt.waiting || attempt.recovering) {
      ActionResult r = Failure("cancelled before it was placed on an agent");
      r.cancelled = true;
      // Claimed attempts are told to stop too.
      for (const Host& host : attempt.hosts) {
        v1::CoordinatorMessage cancel;
        *cancel.mutable_cancel()->mutable_id() = WireId(attempt.request, options_.run_id, host.agent);
        out.messages.emplace_back(host.agent, std::move(cancel));
      }
      attempt.hosts.clear();
      Complete(dispatch_id, std::move(r), out);
    } else {
      for (const Host& host : attempt.hosts) {
        if (host.reported) continue;
        v1::CoordinatorMessage cancel;
        *cancel.mutable_cancel()->mutable_id() = WireId(attempt.request, options_.run_id, host.agent);
        cancel.mutable_cancel()->set_reason("cancelled by the run");
        out.messages.emplace_back(host.agent, std::move(cancel));
      }
    }
  }
  Flush(out);
}

void AgentExecutor::Recover(const ActionRequest& request, Millis grace, Done done) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string id = request.dispatch_id;
    const Target* target = runbook_.FindTarget(request.target);
    Attempt& attempt = attempts_[id];
    attempt.request = request;
    attempt.done = std::move(done);
    attempt.recovering = true;
    attempt.expected = request.placed_on;
    if (target != nullptr) {
      for (const auto& [key, value] : target->labels) attempt.selector.emplace_back(key.value, value.value);
    }
    for (const auto& [agent, known] : known_) {
      if (known.count(id) != 0) Claim(id, attempt, agent);
    }
    // Results delivered before the engine asked: the attempt finished while no
    // coordinator ran. Each is the agent's claim and its result at once.
    auto parked = parked_.find(id);
    if (parked != parked_.end()) {
      for (const auto& [agent, result] : parked->second) {
        Claim(id, attempt, agent);
        for (Host& h : attempt.hosts) {
          if (h.agent == agent) SetHostResult(attempt, h, FromWire(result), true);
        }
      }
      parked_.erase(parked);
    }
    Arm(id, attempt, grace, [this, id, grace] { RecoveryEnded(id, grace); });
    MaybeEndRecovery(id, out);
  }
  Flush(out);
}

void AgentExecutor::Claim(const std::string& id, Attempt& attempt, const std::string& agent) {
  (void)id;
  if (!attempt.expected.empty() && !Contains(attempt.expected, agent)) return;
  for (const Host& h : attempt.hosts) {
    if (h.agent == agent) return;
  }
  attempt.hosts.push_back(MakeHost(agent));
  attempt.hosts.back().sent = true;  // it has the attempt
}

void AgentExecutor::MaybeEndRecovery(const std::string& id, Outbox& out) {
  auto it = attempts_.find(id);
  if (it == attempts_.end() || !it->second.recovering || it->second.expected.empty()) return;
  Attempt& attempt = it->second;
  for (const std::string& agent : attempt.expected) {
    bool claimed = false;
    for (const Host& h : attempt.hosts) claimed = claimed || h.agent == agent;
    if (!claimed) return;
  }
  if (attempt.timer != 0) scheduler_->Cancel(attempt.timer);
  attempt.timer = 0;
  EndRecoveryOf(id, attempt, Millis(0), out);
}

void AgentExecutor::RecoveryEnded(const std::string& id, Millis grace) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = attempts_.find(id);
    if (it == attempts_.end() || !it->second.recovering) return;
    it->second.timer = 0;
    EndRecoveryOf(id, it->second, grace, out);
  }
  Flush(out);
}

void AgentExecutor::EndRecoveryOf(const std::string& id, Attempt& attempt, Millis grace,
                                  Outbox& out) {
  attempt.recovering = false;
  std::vector<std::string> claimed;
  for (const Host& h : attempt.hosts) claimed.push_back(h.agent);
  std::vector<std::string> missing;
  for (const std::string& agent : attempt.expected) {
    if (!Contains(claimed, agent)) missing.push_back(agent);
  }
  if (!claimed.empty() && missing.empty()) {
    out.log.push_back(absl::StrCat("re-attached '", id, "' on ", Joined(claimed)));
    if (attempt.request.timeout.count() > 0) {
      Arm(id, attempt, attempt.request.timeout + options_.report_grace,
          [this, id] { ReportDeadline(id); });
    }
    MaybeComplete(id, out);
    return;
  }
  // Part of a fan-out cannot be vouched for, so the attempt as a whole has no outcome.
  // What the others did is kept in the error, and whatever they still run is stopped, so
  // that a re-run does not race it.
  std::string error =
      claimed.empty()
          ? absl::StrCat("no agent reported attempt '", id, "' within ", Duration(grace),
                         " of the coordinator's restart")
          : absl::StrCat(missing.size() == 1 ? "agent " : "agents ", Joined(missing),
                         " did not report attempt '", id, "' within ", Duration(grace),
                         " of the coordinator's restart");
  if (!attempt.expected.empty()) absl::StrAppend(&error, " (it was sent to ", Joined(attempt.expected), ")");
  for (Host& host : attempt.hosts) {
    if (host.reported) {
      absl::StrAppend(&error, "; ", host.agent, ": ",
                      host.result.ok ? "succeeded" : "failed: " + host.result.error);
      continue;
    }
    absl::StrAppend(&error, "; ", host.agent, ": still running, stopped");
    v1::CoordinatorMessage cancel;
    *cancel.mutable_cancel()->mutable_id() = WireId(attempt.request, options_.run_id, host.agent);
    cancel.mutable_cancel()->set_reason("its attempt could not be recovered as a whole");
    out.messages.emplace_back(host.agent, std::move(cancel));
  }
  ActionResult r = Failure(std::move(error));
  r.unrecovered = true;
  Complete(id, std::move(r), out);
}

void AgentExecutor::OnAgentConnected(const AgentInfo& agent,
                                     const std::vector<v1::KnownAttempt>& known) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, bool>& knows = known_[agent.id];
    knows.clear();
    for (const v1::KnownAttempt& k : known) {
      // Another run's attempt (the agent served an earlier run) is no claim on this one's.
      if (k.id().run_id() == options_.run_id) knows[EngineDispatchId(k.id())] = k.finished();
    }
    std::vector<std::string> claimed;
    for (auto& [id, attempt] : attempts_) {
      if (attempt.waiting) {
        if (Matches(attempt, agent.labels)) Place(id, attempt, {agent.id}, out);
        continue;
      }
      for (Host& host : attempt.hosts) {
        if (host.agent != agent.id || host.reported) continue;
        if (knows.count(id) != 0) continue;  // it still has it: the result will come
        if (attempt.recovering || !host.sent) continue;
        // The dispatch was lost with the old stream: send it again (the agent runs an
        // attempt it knows only once).
        v1::CoordinatorMessage message;
        *message.mutable_dispatch() =
            ToDispatch(attempt.request, options_.run_id, agent.id, options_.output_cap_bytes);
        out.messages.emplace_back(agent.id, std::move(message));
      }
      if (attempt.recovering && knows.count(id) != 0) {
        Claim(id, attempt, agent.id);
        claimed.push_back(id);
      }
    }
    for (const std::string& id : claimed) MaybeEndRecovery(id, out);
  }
  Flush(out);
}

void AgentExecutor::OnAgentAccepted(const std::string& agent, const v1::Accepted& accepted) {
  (void)agent;
  (void)accepted;
}

void AgentExecutor::OnAgentResult(const std::string& agent, const v1::Result& result) {
  if (result.id().run_id() != options_.run_id) {
    // A result of another run, which this run's journal must not take in (it is kept by
    // the agent, not acknowledged: the run it belongs to may yet be resumed).
    if (options_.log) {
      options_.log(absl::StrCat("agent '", agent, "' holds a result of run ", result.id().run_id(),
                                ", not this one (", options_.run_id, "): ignored"));
    }
    return;
  }
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string id = EngineDispatchId(result.id());
    auto known = known_.find(agent);
    if (known != known_.end()) known->second.erase(id);
    auto it = attempts_.find(id);
    Host* host = nullptr;
    if (it != attempts_.end()) {
      for (Host& h : it->second.hosts) {
        if (h.agent == agent) host = &h;
      }
    }
    if (host != nullptr && !host->reported) {
      SetHostResult(it->second, *host, FromWire(result), true);
      MaybeComplete(id, out);
    } else if (host != nullptr && host->from_agent) {
      // A second delivery of a result still waiting for the other agents: the ack comes
      // with the attempt's completion.
    } else if (recovering_ && it == attempts_.end()) {
      parked_[id][agent] = result;  // for Recover() to claim; acknowledged once journaled
    } else if (counted_[id].count(agent) != 0) {
      out.acks.emplace_back(agent, result.id());  // already journaled: only acknowledge
    } else {
      // Over before this result came (the agent was given up for lost, the attempt was
      // cancelled or timed out): journaled as late, then acknowledged.
      counted_[id].insert(agent);
      if (options_.late_result) {
        ActionResult late = FromWire(result);
        late.error = late.error.empty() ? "reported by agent '" + agent + "'"
                                        : "agent '" + agent + "': " + late.error;
        options_.late_result(result.id().step_id(), static_cast<int>(result.id().attempt()),
                             result.id().rollback(), std::move(late));
      }
      out.acks.emplace_back(agent, result.id());
    }
  }
  Flush(out);
}

void AgentExecutor::BeginRecovery() {
  std::lock_guard<std::mutex> lock(mutex_);
  recovering_ = true;
}

void AgentExecutor::EndRecovery() {
  std::map<std::string, std::map<std::string, v1::Result>> unclaimed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    recovering_ = false;
    unclaimed.swap(parked_);
  }
  for (const auto& [id, by_agent] : unclaimed) {
    for (const auto& [agent, result] : by_agent) OnAgentResult(agent, result);
  }
}

void AgentExecutor::OnAgentLost(const std::string& agent, const std::string& why) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    known_.erase(agent);
    std::vector<std::string> touched;
    for (auto& [id, attempt] : attempts_) {
      for (Host& host : attempt.hosts) {
        if (host.agent != agent || host.reported) continue;
        SetHostResult(attempt, host, Failure("agent '" + agent + "' lost: " + why), false);
        touched.push_back(id);
      }
    }
    for (const std::string& id : touched) MaybeComplete(id, out);
  }
  Flush(out);
}

}  // namespace tminus
