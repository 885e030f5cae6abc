#include "agent/run_agent.h"

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_link.h"
#include "agent/backoff.h"
#include "agent/state_dir.h"
#include "engine/executors/local_executor.h"
#include "engine/executors/loop_scheduler.h"
#include "engine/executors/unique_fd.h"
#include "net/link_args.h"
#include "net/tls.h"

#ifndef TMINUS_VERSION
#define TMINUS_VERSION "unknown"
#endif

namespace tminus::agent {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitCannotStart = 2;
// How long the last stream may take to end after it was cancelled at shutdown.
constexpr Millis kStreamEndBound{5000};

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::string SignalName(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return absl::StrCat("signal ", signal_number);
  }
}

// Waits on a signalfd on its own thread (no work in a signal handler) and calls `on_signal`
// once, with the signal's name, when SIGTERM or SIGINT arrives.
class SignalWatcher {
 public:
  static std::unique_ptr<SignalWatcher> Create(std::function<void(std::string)> on_signal,
                                               std::string* error) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    if (const int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr); rc != 0) {
      *error = "cannot block SIGTERM and SIGINT: " + ErrnoText(rc);
      return nullptr;
    }
    UniqueFd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd.valid()) {
      *error = "cannot create a signalfd: " + ErrnoText(errno);
      return nullptr;
    }
    UniqueFd quit_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!quit_fd.valid()) {
      *error = "cannot create an eventfd: " + ErrnoText(errno);
      return nullptr;
    }
    return std::unique_ptr<SignalWatcher>(
        new SignalWatcher(std::move(signal_fd), std::move(quit_fd), std::move(on_signal)));
  }

  ~SignalWatcher() {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t wrote = write(quit_fd_.get(), &one, sizeof(one));
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  SignalWatcher(UniqueFd signal_fd, UniqueFd quit_fd, std::function<void(std::string)> on_signal)
      : signal_fd_(std::move(signal_fd)),
        quit_fd_(std::move(quit_fd)),
        on_signal_(std::move(on_signal)),
        thread_([this] { Watch(); }) {}

  void Watch() {
    while (true) {
      pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {quit_fd_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      signalfd_siginfo info{};
      if (read(signal_fd_.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        on_signal_(SignalName(static_cast<int>(info.ssi_signo)));
        return;  // one stop is enough; a second signal stays pending and blocked
      }
    }
  }

  UniqueFd signal_fd_;
  UniqueFd quit_fd_;
  std::function<void(std::string)> on_signal_;
  std::thread thread_;
};

AgentLink::ChannelFactory MakeChannelFactory(
    std::string address, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return [address = std::move(address), credentials = std::move(credentials)] {
    return grpc::CreateCustomChannel(address, credentials, net::AgentChannelArguments());
  };
}

}  // namespace

int RunAgent(const AgentConfig& config, EventLog& log) {
  LoopScheduler strand;
  AgentLink* link_on_strand = nullptr;  // set below, before any signal can be handled
  std::string error;
  // First: every thread created from here on (gRPC's, the executor's) inherits the mask.
  std::unique_ptr<SignalWatcher> watcher = SignalWatcher::Create(
      [&log, &strand, &link_on_strand](std::string name) {
        log.Line(absl::StrCat("stopping on ", name));
        strand.Post([&strand, &link_on_strand] {
          if (link_on_strand != nullptr) link_on_strand->Stop();
          strand.Stop();
        });
      },
      &error);
  if (watcher == nullptr) {
    log.Line(error);
    return kExitCannotStart;
  }
  signal(SIGPIPE, SIG_IGN);  // a closed log pipe must not kill the agent

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (config.tls_dir.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        net::AgentCredentials(config.tls_dir);
    if (!tls.ok()) {
      log.Line(absl::StrCat("error: ", tls.status().message()));
      return kExitCannotStart;
    }
    credentials = *std::move(tls);
  }

  AgentLinkOptions link_options;
  link_options.coordinator = config.coordinator;
  link_options.agent_id = config.id;
  link_options.labels = config.labels;
  link_options.version = TMINUS_VERSION;
  link_options.max_concurrent = config.max_concurrent;

  std::unique_ptr<StateDir> state;
  if (config.state_dir.empty()) {
    log.Line(
        "no --state-dir: attempts and results are kept in memory only, so a restart of the "
        "agent loses every result the coordinator has not acknowledged");
  } else {
    StateDirOptions state_options;
    state_options.remembered_acks = link_options.remembered_acks;
    absl::StatusOr<std::unique_ptr<StateDir>> opened =
        StateDir::Open(config.state_dir, state_options);
    if (!opened.ok()) {
      log.Line(absl::StrCat("error: ", opened.status().message()));
      return kExitCannotStart;
    }
    state = *std::move(opened);
    log.Line(absl::StrCat("keeping attempts and unacknowledged results in ", state->path()));
  }

  LocalExecutorOptions executor_options;
  executor_options.output_cap_bytes = config.output_cap_bytes;
  // The pid of each attempt's child, for the state directory: with it, an agent that
  // restarts after a crash can stop what the crashed one left running.
  executor_options.on_spawn = [&strand, &link_on_strand](const std::string& key, pid_t pid) {
    strand.Post([&link_on_strand, key, pid] {
      if (link_on_strand != nullptr) link_on_strand->OnSpawned(key, pid);
    });
  };
  auto executor = std::make_unique<LocalExecutor>(executor_options);

  AgentLink link(link_options, strand, *executor,
                 MakeChannelFactory(config.coordinator, credentials),
                 Backoff(link_options.backoff, SystemUniform()), log, state.get());
  // Before the strand runs, so the first Hello already lists what a previous process left.
  if (absl::Status restored = link.Restore(); !restored.ok()) {
    log.Line(absl::StrCat("error: ", restored.message()));
    return kExitCannotStart;
  }

  strand.Post([&link, &link_on_strand] {
    link_on_strand = &link;
    link.Start();
  });
  strand.Run();

  const bool stream_ended = link.AwaitStreamEnd(kStreamEndBound);
  watcher.reset();
  const size_t running = executor->RunningCount();
  if (running > 0) log.Line(absl::StrCat("stopping ", running, " running attempt(s)"));
  executor.reset();  // stops every attempt's process group and waits for them
  log.Line("stopped");
  if (!stream_ended) {
    // The call did not end after its cancellation; its reactor cannot be destroyed safely.
    log.Line("the coordinator stream did not end in time; exiting without waiting for it");
    _exit(kExitOk);
  }
  return kExitOk;
}

}  // namespace tminus::agent
