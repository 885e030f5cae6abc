// tminus_bench_agents: many agents against the real coordinator. This process is the
// load generator (bench/agent_fleet.h: every agent speaks the AgentLink protocol itself,
// each on its own TCP connection); the coordinator is `tminus run`, the binary users run,
// started here on loopback with mutual TLS (certificates issued in-process with
// net/certs.h), or plaintext with --insecure.
//
// 1. Memory per connected agent: the coordinator's VmRSS listening with no agent (the
//    baseline, same process), then with every agent connected and idle; the difference
//    over the number of agents. Target: under 100 KB per agent.
// 2. Throughput: a generated runbook of `true` steps fanned across the agents (one target
//    per agent, by label; chains of 10 steps per agent) run from start to end, in steps
//    per second between the journal's run_started and run_ended records. Baseline, same
//    runbook and same journal place: `tminus simulate` (the engine and the journal on the
//    virtual clock, no network). Target: at least 5,000 steps/s.
// Every step's dispatch is synced to the journal before it is sent, so both are measured
// with the journal on the regular disk (TMPDIR) and on tmpfs (/dev/shm).
//
//   tminus_bench_agents [--quick] [--agents N] [--steps-per-agent K] [--insecure]
//                       [--only disk|tmpfs] [--keep] [--tminus PATH]
// --only runs with the journal in one place; --keep leaves the runbook, journals,
// certificates and the coordinator's output in place.
// Exits 1 when a run did not succeed; targets are reported, not enforced.
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bench/agent_runbook_gen.h"
#include "bench/agents_phase.h"
#include "bench/child_process.h"
#include "bench/machine_load.h"
#include "net/certs.h"
#include "net/link_args.h"

namespace tminus::bench {
namespace {

constexpr double kTargetKbPerAgent = 100;
constexpr double kTargetStepsPerSecond = 5000;
constexpr int kChain = 10;

// A thousand connections on each side: take the hard limit on descriptors (the coordinator
// inherits it).
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

bool IsTmpfs(const std::string& dir) {
  struct statfs fs{};
  return statfs(dir.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == 0x01021994;
}

std::string MakeTempDir(const std::filesystem::path& parent) {
  std::string pattern = (parent / "tminus_bench_agents.XXXXXX").string();
  return mkdtemp(pattern.data()) == nullptr ? "" : pattern;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int Main(int argc, char** argv) {
  int agents = 1000;
  int per_agent = 10;
  bool insecure = false;
  bool keep = false;
  std::string only;  // "disk" or "tmpfs": one journal place only
  std::string tminus = std::filesystem::path(SelfExecutable()).parent_path() / "tminus";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      agents = 20;
    } else if (arg == "--agents" && has_value && std::atoi(argv[i + 1]) > 0) {
      agents = std::atoi(argv[++i]);
    } else if (arg == "--steps-per-agent" && has_value && std::atoi(argv[i + 1]) > 0) {
      per_agent = std::atoi(argv[++i]);
    } else if (arg == "--insecure") {
      insecure = true;
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--only" && has_value &&
               (std::string(argv[i + 1]) == "disk" || std::string(argv[i + 1]) == "tmpfs")) {
      only = argv[++i];
    } else if (arg == "--tminus" && has_value) {
      tminus = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: tminus_bench_agents [--quick] [--agents N] [--steps-per-agent K] "
                   "[--insecure] [--only disk|tmpfs] [--keep] [--tminus PATH]\n");
      return 2;
    }
  }
  const int steps = agents * per_agent;
  RaiseFileLimit();

  const std::string disk_dir = MakeTempDir(std::filesystem::temp_directory_path());
  const std::string shm_dir = IsTmpfs("/dev/shm") ? MakeTempDir("/dev/shm") : "";
  if (disk_dir.empty()) {
    std::fprintf(stderr, "tminus_bench_agents: cannot create a temp dir\n");
    return 2;
  }
  const auto finish = [&](int code) {
    if (keep) {
      std::printf("kept %s%s%s\n", disk_dir.c_str(), shm_dir.empty() ? "" : " and ", shm_dir.c_str());
      return code;
    }
    std::error_code ec;
    std::filesystem::remove_all(disk_dir, ec);
    if (!shm_dir.empty()) std::filesystem::remove_all(shm_dir, ec);
    return code;
  };

  // The runbook, checked by the binary that will run it.
  AgentRunbookOptions shape;
  shape.agents = agents;
  shape.steps_per_agent = per_agent;
  shape.chain = kChain;
  const std::string runbook_path = disk_dir + "/agents.yaml";
  std::ofstream(runbook_path) << GenerateAgentRunbook(shape);
  {
    ChildProcess validate;
    std::string error;
    if (!validate.Start({tminus, "validate", runbook_path}, disk_dir + "/validate.log", &error) ||
        validate.Wait(std::chrono::seconds(120)) != std::optional<int>(0)) {
      std::fprintf(stderr, "tminus_bench_agents: %s validate %s failed: %s%s\n", tminus.c_str(),
                   runbook_path.c_str(), error.c_str(), validate.LogTail().c_str());
      return finish(2);
    }
  }

  std::string certs_dir;
  double certs_seconds = 0;
  if (!insecure) {
    net::CertsOptions certs;
    for (int i = 0; i <= agents; ++i) certs.agent_ids.push_back(AgentId(i));  // and the starter
    const auto start = std::chrono::steady_clock::now();
    // On tmpfs when there is one: thousands of small files written whole, each synced.
    certs_dir = (shm_dir.empty() ? disk_dir : shm_dir) + "/certs";
    if (auto made = net::InitCertificates(certs_dir, certs); !made.ok()) {
      std::fprintf(stderr, "tminus_bench_agents: %s\n", std::string(made.status().message()).c_str());
      return finish(2);
    }
    certs_seconds = Since(start);
  }

  std::printf(
      "tminus agents benchmark: %d agents in this process (gRPC callback API, one channel and\n"
      "TCP connection each) against `tminus run` (%s), %s on loopback.\n"
      "Runbook: %d steps, `true` on one agent each, chains of %d per agent; `tminus validate` "
      "accepts it.\n",
      agents, tminus.c_str(),
      insecure ? "PLAINTEXT (--insecure)" : "mutual TLS (what production runs)", steps,
      std::min(kChain, per_agent));
  if (!insecure) {
    std::printf("Certificates for %d agents issued in-process in %.1f s.\n", agents + 1,
                certs_seconds);
  }

  struct Place {
    const char* name;
    std::string dir;
  };
  std::vector<Place> places;
  if (only != "tmpfs") places.push_back({"regular disk", disk_dir});
  if (only != "disk" && !shm_dir.empty()) places.push_back({"tmpfs", shm_dir});
  bool all_ok = true;
  bool targets_met = true;
  for (const Place& place : places) {
    std::printf("\njournal on %s (%s):\n", place.name, place.dir.c_str());
    LiveSetup setup;
    setup.tminus = tminus;
    setup.runbook_path = runbook_path;
    setup.certs_dir = certs_dir;
    setup.journal_dir = place.dir;
    setup.log_dir = place.dir;
    setup.agents = agents;
    setup.steps = steps;

    std::printf("  machine before: %s\n", MachineLoad().c_str());
    const RunSpan simulated = RunSimulatePhase(setup);
    const LiveResult live = RunLivePhase(setup);
    std::printf("  machine after:  %s\n", MachineLoad().c_str());
    if (!simulated.error.empty() || !live.ok) {
      std::printf("  FAILED: %s\n", simulated.error.empty() ? live.error.c_str()
                                                          : simulated.error.c_str());
      all_ok = false;
      continue;
    }
    const double kb_per_agent =
        static_cast<double>(live.rss_connected_kb - live.rss_idle_kb) / agents;
    // The journal's times are whole milliseconds: a run shorter than one counts as one.
    const double live_rate = steps / std::max(live.span.seconds(), 0.001);
    const double simulated_rate = steps / std::max(simulated.seconds(), 0.001);
    const bool memory_ok = kb_per_agent < kTargetKbPerAgent;
    const bool rate_ok = live_rate >= kTargetStepsPerSecond;
    targets_met = targets_met && memory_ok && rate_ok;
    std::printf("  coordinator VmRSS listening, no agent        %10lld KB\n",
                static_cast<long long>(live.rss_idle_kb));
    std::printf("  coordinator VmRSS, %5d agents connected     %10lld KB  (all dialled in %.1f s)\n",
                agents, static_cast<long long>(live.rss_connected_kb), live.connect_seconds);
    std::printf("  per connected agent                          %10.1f KB  target < %.0f KB: %s\n",
                kb_per_agent, kTargetKbPerAgent, memory_ok ? "PASS" : "FAIL");
    std::printf("  tminus simulate (virtual clock, no network)  %10.0f steps/s  (%d steps in %.2f s)\n",
                simulated_rate, steps, simulated.seconds());
    std::printf("  tminus run with %5d agents                  %10.0f steps/s  (%d steps in %.2f s)\n",
                agents, live_rate, steps, live.span.seconds());
    std::printf("  live / simulated                             %10.2fx\n", live_rate / simulated_rate);
    std::printf("  target >= %.0f steps/s: %s\n", kTargetStepsPerSecond, rate_ok ? "PASS" : "FAIL");
    // What each side cost in processor time, independent of how much of the machine it
    // got: the coordinator's time per step bounds the rate one processor of its own gives.
    if (live.coordinator_cpu_seconds > 0) {
      const double per_step_us = live.coordinator_cpu_seconds * 1e6 / steps;
      std::printf("  coordinator processor time                   %10.0f us/step  (%.2f s; one "
                  "processor of its own: %.0f steps/s)\n",
                  per_step_us, live.coordinator_cpu_seconds, 1e6 / per_step_us);
    }
    if (live.fleet_cpu_seconds > 0) {
      std::printf("  load generator processor time                %10.0f us/step  (%.2f s, the %d "
                  "agents' side)\n",
                  live.fleet_cpu_seconds * 1e6 / steps, live.fleet_cpu_seconds, agents);
    }
    std::printf(
        "  agents answered %lld dispatches; %lld results acknowledged, %lld not (yet) when the "
        "coordinator stopped; heartbeats %lld sent, %lld received\n",
        static_cast<long long>(live.counts.dispatches), static_cast<long long>(live.counts.acks),
        static_cast<long long>(live.counts.unacknowledged),
        static_cast<long long>(live.counts.heartbeats_sent),
        static_cast<long long>(live.counts.heartbeats_received));
  }
  std::printf("\n%s\n", !all_ok ? "a run FAILED" : targets_met ? "all targets met" : "some targets missed");
  return finish(all_ok ? 0 : 1);
}

}  // namespace tminus::bench

int main(int argc, char** argv) {
  tminus::net::DisableMutexDeadlockDetection();  // as in the agents it stands in for
  return tminus::bench::Main(argc, argv);
}
