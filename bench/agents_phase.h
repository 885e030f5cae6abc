// One measured phase of tminus_bench_agents: the real `tminus run` coordinator process,
// its memory with no agent and then with the whole fleet connected and idle, then the run
// of the generated runbook across the fleet; and, for the baseline, the same runbook in
// `tminus simulate` with its journal in the same place.
#pragma once

#include <cstdint>
#include <string>

#include "bench/agent_fleet.h"
#include "bench/journal_span.h"

namespace tminus::bench {

struct LiveSetup {
  std::string tminus;        // the tminus binary
  std::string runbook_path;  // from GenerateAgentRunbook
  std::string certs_dir;     // mutual TLS; empty: --insecure
  std::string journal_dir;   // where the journals go
  std::string log_dir;       // the coordinator's output
  int agents = 0;
  int steps = 0;
};

struct LiveResult {
  bool ok = false;
  std::string error;  // when !ok, with the coordinator's last output
  int64_t rss_idle_kb = 0;       // listening, no agent connected
  int64_t rss_connected_kb = 0;  // every agent connected, nothing running
  double connect_seconds = 0;    // dialling the whole fleet until each was welcomed
  RunSpan span;                  // from the run's journal
  // Processor time from the moment the run could start to the coordinator's exit: the
  // coordinator's, and this process's (the fleet's), in seconds.
  double coordinator_cpu_seconds = -1;
  double fleet_cpu_seconds = -1;
  FleetCounts counts;
};

// `tminus run` with the fleet. The run is held (--wait-agents agents+1) until the memory
// has been read with all agents connected; one more agent, which no target selects, then
// lets it start.
LiveResult RunLivePhase(const LiveSetup& setup);

// `tminus simulate --journal`: the span of the simulated run, or an error.
RunSpan RunSimulatePhase(const LiveSetup& setup);

// The resident set of process `pid` (VmRSS in /proc/PID/status), in KB; -1 if unknown.
int64_t ResidentKb(int pid);

}  // namespace tminus::bench
