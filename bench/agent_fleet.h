// The load generator of tminus_bench_agents: many agents in one process, each speaking the
// AgentLink protocol (proto/tminus/v1/agent.proto) itself on its own channel and so its
// own TCP connection, with gRPC's callback API. Agent i is AgentId(i) with AgentLabels(i)
// (bench/agent_runbook_gen.h) and, with mutual TLS, the certificate in
// CERTS/agents/AgentId(i). Each one says Hello, heartbeats as its Welcome asks, answers
// every Dispatch at once with Accepted and then a successful Result (running nothing),
// and keeps each Result until the coordinator acknowledges it (ResultAck).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace tminus::bench {

struct FleetOptions {
  std::string address;    // the coordinator, "127.0.0.1:PORT"
  std::string certs_dir;  // as `tminus certs init` lays it out; empty: plaintext
  // TLS handshakes in progress at once while connecting.
  int max_dialling = 64;
};

// What the agents have seen and said, summed over the fleet.
struct FleetCounts {
  int64_t welcomed = 0;
  int64_t dispatches = 0;
  int64_t duplicate_dispatches = 0;
  int64_t results_sent = 0;
  int64_t acks = 0;
  int64_t unacknowledged = 0;  // results kept because no ResultAck came (yet)
  int64_t heartbeats_sent = 0;
  int64_t heartbeats_received = 0;
  int64_t cancels = 0;
};

class FleetAgent;

class AgentFleet {
 public:
  explicit AgentFleet(FleetOptions options);
  // Stops every agent first.
  ~AgentFleet();
  AgentFleet(const AgentFleet&) = delete;
  AgentFleet& operator=(const AgentFleet&) = delete;

  // Dials agents first..first+count-1 and waits at most `bound` until each is welcomed;
  // one that fails dials again (three tries in all). Fails saying how many could not
  // connect, and why the first of them could not.
  absl::Status Connect(int first, int count, std::chrono::seconds bound);
  FleetCounts counts() const;
  // Ends every stream and waits for them to be over.
  void Stop();

 private:
  friend class FleetAgent;

  // From the agents (on gRPC's threads).
  void Welcomed(std::chrono::milliseconds heartbeat_interval);
  void Ended(const std::string& agent, bool was_welcomed, const std::string& why);
  void HeartbeatLoop();

  std::atomic<int64_t> dispatches_{0};
  std::atomic<int64_t> duplicate_dispatches_{0};
  std::atomic<int64_t> results_sent_{0};
  std::atomic<int64_t> acks_{0};
  std::atomic<int64_t> heartbeats_sent_{0};
  std::atomic<int64_t> heartbeats_received_{0};
  std::atomic<int64_t> cancels_{0};

  const FleetOptions options_;
  std::vector<std::unique_ptr<FleetAgent>> agents_;  // in the order dialled

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int64_t welcomed_ = 0;
  int64_t ended_ = 0;
  int64_t dialling_ = 0;  // started, neither welcomed nor ended
  std::string first_failure_;
  std::chrono::milliseconds heartbeat_interval_{0};  // from the first Welcome
  bool stopping_ = false;
  std::thread heartbeat_thread_;
};

}  // namespace tminus::bench
