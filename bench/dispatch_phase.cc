#include "bench/dispatch_phase.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "bench/agent_runbook_gen.h"
#include "bench/child_process.h"
#include "bench/echo_link.h"
#include "coordinator/live_run.h"
#include "net/tls.h"

namespace tminus::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// When the engine recorded each step's dispatch and result. OnEvent runs on the engine's
// strand right after the event is recorded (a dispatch: synced) and before the engine
// acts on it, so a dispatch's time is just before it is sent.
class Timestamps : public RunObserver {
 public:
  explicit Timestamps(size_t steps) : dispatched_(steps), resulted_(steps) {}

  void OnEvent(const RunEvent& event, const RunState&) override {
    const Clock::time_point now = Clock::now();
    if (event.step < 0 || static_cast<size_t>(event.step) >= dispatched_.size()) return;
    if (event.type == EventType::kDispatch) dispatched_[event.step] = now;
    if (event.type == EventType::kResult && !event.late) {
      resulted_[event.step] = now;
      if (event.ok) ++succeeded_;
    }
  }

  const std::vector<Clock::time_point>& dispatched() const { return dispatched_; }
  const std::vector<Clock::time_point>& resulted() const { return resulted_; }
  int succeeded() const { return succeeded_; }

 private:
  std::vector<Clock::time_point> dispatched_;
  std::vector<Clock::time_point> resulted_;
  int succeeded_ = 0;
};

// Echo round trips, bare and with `true` run on the far side, alternating.
bool EchoBlock(EchoServer& echo, const PhaseSetup& setup, PhaseResult* result) {
  for (int i = 0; i < 2 * setup.echo_samples; ++i) {
    const bool run_true = i % 2 == 1;
    auto rtt = echo.RoundTrip(setup.ping_payload, setup.reply_payload, run_true,
                              std::chrono::seconds(10));
    if (!rtt) return false;
    (run_true ? result->echo_true : result->echo).push_back(Ms(*rtt));
  }
  return true;
}

}  // namespace

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

PhaseResult RunDispatchPhase(const PhaseSetup& setup, int warmup) {
  PhaseResult result;
  const auto fail = [&result](std::string why) {
    result.ok = false;
    result.error = std::move(why);
    return result;
  };

  auto server_credentials = net::CoordinatorCredentials(setup.certs_dir);
  if (!server_credentials.ok()) return fail(std::string(server_credentials.status().message()));
  auto echo = EchoServer::Start(*server_credentials);
  if (!echo.ok()) return fail(std::string(echo.status().message()));
  const int coordinator_port = FreePort();
  if (coordinator_port == 0) return fail("no free port on 127.0.0.1");

  // The far side: the agent dials the coordinator (with its backoff until the run below
  // listens) and the echo's far end dials the echo server at once.
  std::vector<std::string> argv = {SelfExecutable(),
                                   "--far-side",
                                   "--coordinator",
                                   absl::StrCat("127.0.0.1:", coordinator_port),
                                   "--echo",
                                   absl::StrCat("127.0.0.1:", (*echo)->port()),
                                   "--tls-dir",
                                   setup.certs_dir + "/agents/" + setup.agent_id,
                                   "--id",
                                   setup.agent_id};
  for (const auto& [key, value] : AgentLabels(0)) {
    argv.push_back("--label");
    argv.push_back(key + "=" + value);
  }
  ChildProcess far_side;
  std::string error;
  if (!far_side.Start(argv, setup.log_dir + "/far-side.log", &error)) return fail(error);
  const auto fail_with_log = [&](const std::string& why) {
    far_side.Stop();
    return fail(why + "\nfar side's log (" + far_side.log_path() + "):\n" + far_side.LogTail());
  };
  if (!(*echo)->WaitForPeer(std::chrono::seconds(30))) {
    return fail_with_log("the far side's echo stream did not open within 30s");
  }
  if (!EchoBlock(**echo, setup, &result)) return fail_with_log("the echo stream broke");

  const size_t steps = setup.runbook->steps.size();
  Timestamps timestamps(steps);
  std::mutex log_mutex;
  std::vector<std::string> log;
  LiveRunConfig config;
  config.runbook = setup.runbook;
  config.graph = setup.graph;
  config.runbook_text = setup.runbook_text;
  config.journal_path = setup.journal_path;
  config.listen = absl::StrCat("127.0.0.1:", coordinator_port);
  config.credentials = *server_credentials;
  config.require_certificate = true;
  config.wait_agents = 1;
  config.agent_wait = std::chrono::seconds(60);
  config.observers.push_back(&timestamps);
  config.log = [&log_mutex, &log](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.push_back(line);
  };
  absl::StatusOr<LiveRunOutcome> outcome = RunLive(config);
  if (!outcome.ok()) return fail_with_log(std::string(outcome.status().message()));
  result.steps_succeeded = timestamps.succeeded();
  if (!outcome->journal_error.ok() || !outcome->ended ||
      outcome->phase != RunPhase::kSucceeded ||
      result.steps_succeeded != static_cast<int>(steps)) {
    std::string notes;
    for (size_t i = log.size() > 20 ? log.size() - 20 : 0; i < log.size(); ++i) {
      absl::StrAppend(&notes, "  ", log[i], "\n");
    }
    return fail_with_log(absl::StrCat("the run did not succeed: ", result.steps_succeeded, " of ",
                                      steps, " steps succeeded, run ",
                                      outcome->ended ? RunPhaseName(outcome->phase) : "not ended",
                                      outcome->journal_error.ok()
                                          ? ""
                                          : ", journal: " + std::string(outcome->journal_error.message()),
                                      "\ncoordinator notes:\n", notes));
  }
  if (!EchoBlock(**echo, setup, &result)) return fail_with_log("the echo stream broke");
  echo->reset();  // ends the echo stream before the far side is stopped
  far_side.Stop();

  const auto& d = timestamps.dispatched();
  const auto& r = timestamps.resulted();
  for (size_t i = static_cast<size_t>(warmup); i + 1 < steps; ++i) {
    result.round_trip.push_back(Ms(d[i + 1] - d[i]));
    result.to_result.push_back(Ms(r[i] - d[i]));
    result.to_durable.push_back(Ms(d[i + 1] - r[i]));
  }
  result.ok = true;
  return result;
}

}  // namespace tminus::bench
