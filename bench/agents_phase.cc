#include "bench/agents_phase.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/child_process.h"

namespace tminus::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for a line of the child's output that contains `text`; returns it, or "" when the
// child exited or `bound` passed first.
std::string WaitForLine(ChildProcess& child, const std::string& text, std::chrono::seconds bound) {
  const auto deadline = Clock::now() + bound;
  while (Clock::now() < deadline) {
    std::ifstream in(child.log_path());
    for (std::string line; std::getline(in, line);) {
      if (line.find(text) != std::string::npos) return line;
    }
    if (!child.running()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

constexpr const char* kListening = "agents connect to ";

// The port in "... agents connect to 127.0.0.1:40123 (mutual TLS)".
int PortIn(const std::string& line) {
  const size_t address = line.find(kListening);
  if (address == std::string::npos) return 0;
  const size_t colon = line.find(':', address + std::string(kListening).size());
  return colon == std::string::npos ? 0 : std::atoi(line.c_str() + colon + 1);
}

}  // namespace

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int64_t ResidentKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

LiveResult RunLivePhase(const LiveSetup& setup) {
  LiveResult result;
  ChildProcess coordinator;
  const auto fail = [&](const std::string& why) {
    coordinator.Stop();
    result.ok = false;
    result.error = why + "\ncoordinator output (" + coordinator.log_path() + "), last lines:\n" +
                   coordinator.LogTail(3000);
    return result;
  };

  std::vector<std::string> argv = {setup.tminus, "run", setup.runbook_path,
                                   "--journal", setup.journal_dir + "/run.db",
                                   "--listen", "127.0.0.1:0",
                                   "--wait-agents", std::to_string(setup.agents + 1),
                                   "--agent-wait", "10m"};
  if (setup.certs_dir.empty()) {
    argv.push_back("--insecure");
  } else {
    argv.push_back("--tls-dir");
    argv.push_back(setup.certs_dir);
  }
  std::string error;
  if (!coordinator.Start(argv, setup.log_dir + "/coordinator.log", &error)) return fail(error);
  const int port = PortIn(WaitForLine(coordinator, kListening, std::chrono::seconds(60)));
  if (port <= 0) return fail("the coordinator did not say which port it listens on");

  // Settled and listening, the runbook loaded, no agent yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  result.rss_idle_kb = ResidentKb(coordinator.pid());

  FleetOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.certs_dir = setup.certs_dir;
  AgentFleet fleet(options);
  const auto dial_start = Clock::now();
  if (absl::Status connected = fleet.Connect(0, setup.agents, std::chrono::seconds(300));
      !connected.ok()) {
    return fail("connecting the fleet: " + std::string(connected.message()));
  }
  result.connect_seconds = std::chrono::duration<double>(Clock::now() - dial_start).count();
  // Connected and idle: every stream open, heartbeats only.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  result.rss_connected_kb = ResidentKb(coordinator.pid());

  const double coordinator_cpu_before = coordinator.CpuSeconds();
  const double fleet_cpu_before = SelfCpuSeconds();
  // The one more agent the coordinator waits for; no target selects it.
  if (absl::Status started = fleet.Connect(setup.agents, 1, std::chrono::seconds(60)); !started.ok()) {
    return fail("connecting the last agent: " + std::string(started.message()));
  }
  const std::optional<int> exit_code = coordinator.Wait(std::chrono::seconds(600));
  result.counts = fleet.counts();
  result.fleet_cpu_seconds = SelfCpuSeconds() - fleet_cpu_before;
  if (coordinator_cpu_before >= 0 && coordinator.CpuSeconds() >= 0) {
    result.coordinator_cpu_seconds = coordinator.CpuSeconds() - coordinator_cpu_before;
  }
  fleet.Stop();
  if (!exit_code) return fail("the run did not end within 600s");
  result.span = ReadRunSpan(setup.journal_dir + "/run.db");
  if (!result.span.error.empty()) return fail("reading the journal: " + result.span.error);
  if (*exit_code != 0 || result.span.end_state != "succeeded" ||
      result.span.results_ok != setup.steps || result.span.results_failed != 0) {
    return fail(absl::StrCat("the run did not succeed: exit status ", *exit_code, ", ",
                             result.span.results_ok, " of ", setup.steps, " steps succeeded, ",
                             result.span.results_failed, " results failed, run ",
                             result.span.end_state.empty() ? "not ended" : result.span.end_state,
                             result.span.first_failure.empty() ? "" : "; first failure: ",
                             result.span.first_failure));
  }
  result.ok = true;
  return result;
}

RunSpan RunSimulatePhase(const LiveSetup& setup) {
  ChildProcess simulate;
  std::string error;
  RunSpan span;
  if (!simulate.Start({setup.tminus, "simulate", setup.runbook_path, "--journal",
                       setup.journal_dir + "/simulate.db"},
                      setup.log_dir + "/simulate.log", &error)) {
    span.error = error;
    return span;
  }
  const std::optional<int> exit_code = simulate.Wait(std::chrono::seconds(600));
  if (!exit_code || *exit_code != 0) {
    span.error = "tminus simulate failed:\n" + simulate.LogTail(2000);
    return span;
  }
  return ReadRunSpan(setup.journal_dir + "/simulate.db");
}

}  // namespace tminus::bench
