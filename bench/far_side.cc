#include "bench/far_side.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "agent/agent_config.h"
#include "agent/event_log.h"
#include "agent/run_agent.h"
#include "bench/echo_link.h"
#include "net/tls.h"

namespace tminus::bench {

int FarSideMain(int argc, char** argv) {
  agent::AgentConfig config;
  std::string echo;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--coordinator") {
      config.coordinator = value;
    } else if (flag == "--echo") {
      echo = value;
    } else if (flag == "--tls-dir") {
      config.tls_dir = value;
    } else if (flag == "--id") {
      config.id = value;
    } else if (flag == "--label") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos) break;
      config.labels[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      std::fprintf(stderr, "far side: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (config.coordinator.empty() || echo.empty() || config.tls_dir.empty() || config.id.empty()) {
    std::fprintf(stderr, "far side: --coordinator, --echo, --tls-dir and --id are required\n");
    return 2;
  }
  auto credentials = net::AgentCredentials(config.tls_dir);
  if (!credentials.ok()) {
    std::fprintf(stderr, "far side: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }

  // RunAgent wants SIGTERM and SIGINT blocked in every thread, so block them before the
  // echo's thread (and gRPC's) start; RunAgent then takes them through its signalfd.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  std::thread echo_thread([echo, credentials = *credentials] {
    const grpc::Status status = RunEchoFarSide(echo, credentials);
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      std::fprintf(stderr, "far side: echo stream ended: %s\n", status.error_message().c_str());
    }
  });
  agent::EventLog log(STDERR_FILENO);
  const int code = agent::RunAgent(config, log);
  // The echo stream ends when the benchmark closes its server; do not wait for it.
  echo_thread.detach();
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace tminus::bench
