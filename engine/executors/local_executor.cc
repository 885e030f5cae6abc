#include "engine/executors/local_executor.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/executors/leftovers.h"
#include "engine/executors/output_capture.h"
#include "engine/executors/probes.h"
#include "engine/executors/unique_fd.h"

extern char** environ;

namespace tminus {
namespace {

using Clock = std::chrono::steady_clock;

// Without pidfds (kernels before 5.3) the worker checks for the child's exit this often.
constexpr Millis kExitPollInterval{50};
// The most read from each pipe after the group is killed: what is already buffered (a
// pipe holds at most 1 MiB unless raised by root), not what a process that left the
// group might still write.
constexpr size_t kFinalDrainBytes = 1 << 20;

enum class StopReason { kNone, kCancel, kShutdown };

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Millis Elapsed(Clock::time_point since) {
  return std::chrono::duration_cast<Millis>(Clock::now() - since);
}

// The coordinator's environment with `extra` added; a later name wins.
std::vector<std::string> MergedEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  const auto set_later = [&extra](std::string_view name, size_t after) {
    for (size_t i = after; i < extra.size(); ++i) {
      if (extra[i].first == name) return true;
    }
    return false;
  };
  std::vector<std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (set_later(text.substr(0, text.find('=')), 0)) continue;
    merged.emplace_back(text);
  }
  for (size_t i = 0; i < extra.size(); ++i) {
    if (set_later(extra[i].first, i + 1)) continue;
    merged.push_back(extra[i].first + "=" + extra[i].second);
  }
  return merged;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string SignalDescription(int signal_number) {
  std::string out = "killed by signal " + std::to_string(signal_number);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = sigabbrev_np(signal_number)) out += std::string(" (SIG") + name + ")";
#endif
  return out;
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

std::optional<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK);
  return pipe;
}

// The spawn attributes every child gets: its own process group, no blocked signals and
// default dispositions (the coordinator may ignore SIGPIPE; its children must not), stdin
// from /dev/null, the two pipes as stdout and stderr, and no other descriptor.
class SpawnSetup {
 public:
  SpawnSetup(int stdout_fd, int stderr_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, stdout_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, stderr_fd, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Descriptors the coordinator opened without O_CLOEXEC (or inherited) stay private.
    posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
#endif
    posix_spawnattr_init(&attr_);
    sigset_t none;
    sigemptyset(&none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &all);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// True once `pid` has exited (it stays a zombie: only waitpid reaps it).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;  // ECHILD: nothing left to wait for
  }
  return info.si_pid == pid;
}

constexpr Clock::time_point kNever = Clock::time_point::max();

// Milliseconds for poll() until `until`: -1 for never.
int PollTimeoutMs(Clock::time_point until) {
  if (until == kNever) return -1;
  const auto left = std::chrono::ceil<Millis>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
}

}  // namespace

struct LocalExecutor::Attempt {
  Attempt(const ActionRequest& request, Done done) : request(request), done(std::move(done)) {}

  // Sets the stop reason (the first one wins) and wakes the worker.
  void RequestStop(StopReason reason) {
    StopReason none = StopReason::kNone;
    if (stop.compare_exchange_strong(none, reason) && wake.valid()) {
      const uint64_t one = 1;
      [[maybe_unused]] const ssize_t written = write(wake.get(), &one, sizeof(one));
    }
  }

  const ActionRequest request;
  Done done;
  std::vector<std::string> environment;  // commands and shells only
  UniqueFd wake;                         // an eventfd, readable once a stop is requested
  int wake_errno = 0;                    // why `wake` could not be created
  std::atomic<StopReason> stop{StopReason::kNone};
};

LocalExecutor::LocalExecutor(LocalExecutorOptions options) : options_(options) {}

LocalExecutor::~LocalExecutor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    for (auto& [serial, attempt] : running_) attempt->RequestStop(StopReason::kShutdown);
  }
  // A `done` callback may start more attempts (they are stopped at once), hence the loop.
  while (true) {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [serial, thread] : threads_) threads.push_back(std::move(thread));
      threads_.clear();
      for (std::thread& thread : finished_) threads.push_back(std::move(thread));
      finished_.clear();
    }
    if (threads.empty()) break;
    for (std::thread& thread : threads) thread.join();
  }
}

void LocalExecutor::Start(const ActionRequest& request, Done done) {
  JoinFinishedThreads();
  auto attempt = std::make_shared<Attempt>(request, std::move(done));
  if (request.kind != Action::Kind::kProbe) {
    // The attempt's own marks come last so that they win: a restarted coordinator finds
    // what the attempt left running by them (leftovers.h), and scripts can read them.
    std::vector<std::pair<std::string, std::string>> env = request.env;
    if (!request.run_id.empty()) env.emplace_back(kRunIdVariable, request.run_id);
    env.emplace_back(kDispatchIdVariable, request.dispatch_id);
    env.emplace_back(kStepIdVariable, request.step_id);
    env.emplace_back(kAttemptVariable, std::to_string(request.attempt));
    attempt->environment = MergedEnvironment(env);
  }
  attempt->wake = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!attempt->wake.valid()) attempt->wake_errno = errno;

  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t serial = next_serial_++;
  running_.emplace(serial, attempt);
  if (shutting_down_) attempt->RequestStop(StopReason::kShutdown);
  try {
    threads_.emplace(serial, std::thread(&LocalExecutor::Work, this, serial, attempt));
  } catch (const std::system_error& e) {
    // No thread to report from: report here, the only way left to keep the contract.
    running_.erase(serial);
    lock.unlock();
    ActionResult result;
    result.error = std::string("cannot start a worker thread: ") + e.what();
    Done report = std::move(attempt->done);
    report(std::move(result));
  }
}

void LocalExecutor::Cancel(const std::string& dispatch_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [serial, attempt] : running_) {
    if (attempt->request.dispatch_id == dispatch_id) attempt->RequestStop(StopReason::kCancel);
  }
}

void LocalExecutor::Recover(const ActionRequest& request, Millis grace, Done done) {
  (void)grace;  // nothing will report: the processes are found at once or not at all
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t serial = next_serial_++;
  auto work = [this, serial, request, done = std::move(done)]() mutable {
    const std::vector<pid_t> stopped =
        StopLeftovers(FindLeftovers(request.run_id, request.dispatch_id), options_.kill_grace);
    ActionResult result;
    result.unrecovered = true;
    if (stopped.empty()) {
      result.error = "it ran on the coordinator's host; none of its processes was still running";
    } else {
      std::string pids;
      for (pid_t pid : stopped) pids += (pids.empty() ? "" : " ") + std::to_string(pid);
      result.error = "it ran on the coordinator's host; its processes still running were "
                     "stopped: pid " + pids;
    }
    done(std::move(result));
    RetireThread(serial);
  };
  try {
    threads_.emplace(serial, std::thread(std::move(work)));
  } catch (const std::system_error& e) {
    ActionResult result;
    result.unrecovered = true;
    result.error = std::string("cannot start a worker thread: ") + e.what();
    done(std::move(result));
  }
}

void LocalExecutor::RetireThread(uint64_t serial) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto self = threads_.find(serial);
  if (self != threads_.end()) {  // not already taken by the destructor
    finished_.push_back(std::move(self->second));
    threads_.erase(self);
  }
}

size_t LocalExecutor::RunningCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_.size();
}

void LocalExecutor::JoinFinishedThreads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(finished_);
  }
  for (std::thread& thread : threads) thread.join();
}

void LocalExecutor::Work(uint64_t serial, std::shared_ptr<Attempt> attempt) {
  ActionResult result = attempt->request.kind == Action::Kind::kProbe ? RunProbeAttempt(*attempt)
                                                                      : RunProcess(*attempt);
  Done done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(serial);  // from here on Cancel() no longer sees it
    done = std::move(attempt->done);
  }
  attempt.reset();  // closes the eventfd
  done(std::move(result));
  RetireThread(serial);
}

ActionResult LocalExecutor::RunProbeAttempt(Attempt& attempt) const {
  const ActionRequest& request = attempt.request;
  const Clock::time_point started = Clock::now();
  ActionResult result;
  if (!attempt.wake.valid()) {
    result.error = "cannot create an eventfd: " + ErrnoText(attempt.wake_errno);
  } else if (attempt.stop.load() != StopReason::kNone) {
    result.cancelled = true;
    result.error = "cancelled before it started";
  } else {
    const Millis timeout =
        request.timeout > Millis(0) ? request.timeout : options_.default_probe_timeout;
    absl::StatusOr<std::string> outcome = RunProbe(request.probe, timeout, attempt.wake.get());
    if (outcome.ok()) {
      result.ok = true;
      result.stdout_tail = Redact(*outcome + "\n", 0, request.secret_values);
    } else {
      result.cancelled = absl::IsCancelled(outcome.status());
      result.timed_out = absl::IsDeadlineExceeded(outcome.status());
      result.error = Redact(std::string(outcome.status().message()), 0, request.secret_values);
    }
  }
  result.duration = Elapsed(started);
  return result;
}

ActionResult LocalExecutor::RunProcess(Attempt& attempt) const {
  const ActionRequest& request = attempt.request;
  const std::vector<std::string>& secrets = request.secret_values;
  const Clock::time_point started = Clock::now();
  ActionResult result;
  const auto fail = [&](const std::string& error) {
    result.error = Redact(error, 0, secrets);
    result.duration = Elapsed(started);
    return result;
  };

  std::vector<std::string> args;
  std::string program;
  const bool shell = request.kind == Action::Kind::kShell;
  if (shell) {
    args = {"/bin/sh", "-c", request.shell};
    program = "/bin/sh";
  } else {
    if (request.argv.empty() || request.argv[0].empty()) return fail("the command is empty");
    args = request.argv;
    program = request.argv[0];
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].find('\0') != std::string::npos) {
      return fail("argument " + std::to_string(i) + " contains a NUL byte");
    }
  }
  for (const auto& [name, value] : request.env) {
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
      return fail("environment variable name " + Quoted(name, secrets) + " is invalid");
    }
    if (value.find('\0') != std::string::npos) {
      return fail("environment variable '" + name + "' contains a NUL byte");
    }
  }
  if (!attempt.wake.valid()) {
    return fail("cannot create an eventfd: " + ErrnoText(attempt.wake_errno));
  }
  if (attempt.stop.load() != StopReason::kNone) {
    result.cancelled = true;
    return fail("cancelled before it started");
  }

  std::optional<Pipe> out = MakePipe();
  std::optional<Pipe> err = MakePipe();
  if (!out || !err) return fail("cannot create a pipe: " + ErrnoText(errno));

  pid_t pid = -1;
  {
    SpawnSetup setup(out->write.get(), err->write.get());
    std::vector<char*> argv = CStrings(args);
    std::vector<char*> envp = CStrings(attempt.environment);
    const int rc = shell ? posix_spawn(&pid, program.c_str(), setup.actions(), setup.attr(),
                                       argv.data(), envp.data())
                         : posix_spawnp(&pid, program.c_str(), setup.actions(), setup.attr(),
                                        argv.data(), envp.data());
    out->write.Reset();
    err->write.Reset();
    if (rc != 0) return fail("cannot start " + Quoted(program, secrets) + ": " + ErrnoText(rc));
  }
  if (options_.on_spawn) options_.on_spawn(request.dispatch_id, pid);

  // A pidfd wakes poll() when the child exits; the child stays unreaped (a zombie) until
  // its group has been killed, so its pid, which is also the group id, cannot be reused
  // while this loop may still signal the group.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

  const size_t lookbehind = LongestSecret(secrets) > 0 ? LongestSecret(secrets) - 1 : 0;
  OutputTail out_tail(options_.output_cap_bytes, lookbehind);
  OutputTail err_tail(options_.output_cap_bytes, lookbehind);
  StreamMatcher matcher(request.expect_stdout_contains);
  std::vector<char> buffer(std::max<size_t>(1, options_.read_chunk_bytes));
  // Reads once; returns the bytes read (0 at the end of the stream or when nothing is
  // buffered).
  const auto read_once = [&buffer, &matcher](UniqueFd& fd, OutputTail& tail,
                                             bool is_stdout) -> size_t {
    const ssize_t got = read(fd.get(), buffer.data(), buffer.size());
    if (got > 0) {
      tail.Append(buffer.data(), static_cast<size_t>(got));
      if (is_stdout) matcher.Feed(buffer.data(), static_cast<size_t>(got));
      return static_cast<size_t>(got);
    }
    if (got == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) fd.Reset();
    return 0;
  };

  enum class Ended { kNormally, kTimedOut, kCancelled, kShutDown };
  Ended ended = Ended::kNormally;
  const Clock::time_point deadline =
      request.timeout > Millis(0) ? started + request.timeout : kNever;
  Clock::time_point kill_at = kNever;  // SIGKILL due, once stopping
  bool exited = false;                 // the child has exited (not yet reaped)
  Clock::time_point drain_until = kNever;
  std::string wait_error;

  while (true) {
    const Clock::time_point now = Clock::now();
    if (!exited && ended == Ended::kNormally) {
      const StopReason stop = attempt.stop.load();
      if (stop == StopReason::kCancel) {
        ended = Ended::kCancelled;
      } else if (stop == StopReason::kShutdown) {
        ended = Ended::kShutDown;
      } else if (now >= deadline) {
        ended = Ended::kTimedOut;
      }
      if (ended != Ended::kNormally) {
        kill(-pid, SIGTERM);
        kill_at = now + options_.kill_grace;
      }
    }
    if (now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = kNever;
    }
    if (exited && ((!out->read.valid() && !err->read.valid()) || now >= drain_until)) break;

    pollfd fds[4];
    nfds_t count = 0;
    int out_index = -1, err_index = -1, pid_index = -1, wake_index = -1;
    const auto watch = [&](int fd, int* index) {
      *index = static_cast<int>(count);
      fds[count++] = pollfd{fd, POLLIN, 0};
    };
    if (out->read.valid()) watch(out->read.get(), &out_index);
    if (err->read.valid()) watch(err->read.get(), &err_index);
    if (pidfd.valid() && !exited) watch(pidfd.get(), &pid_index);
    if (ended == Ended::kNormally) watch(attempt.wake.get(), &wake_index);

    Clock::time_point until = std::min(kill_at, drain_until);
    if (ended == Ended::kNormally && !exited) until = std::min(until, deadline);
    if (!pidfd.valid() && !exited) until = std::min(until, now + kExitPollInterval);

    if (poll(fds, count, PollTimeoutMs(until)) < 0) {
      if (errno == EINTR) continue;
      wait_error = "cannot wait for the child: " + ErrnoText(errno);
      break;
    }
    if (out_index >= 0 && fds[out_index].revents != 0) read_once(out->read, out_tail, true);
    if (err_index >= 0 && fds[err_index].revents != 0) read_once(err->read, err_tail, false);
    if (wake_index >= 0 && fds[wake_index].revents != 0) {
      uint64_t count_read;
      [[maybe_unused]] const ssize_t got =
          read(attempt.wake.get(), &count_read, sizeof(count_read));
    }
    const bool exit_signalled = pid_index >= 0 && fds[pid_index].revents != 0;
    if (!exited && (exit_signalled || !pidfd.valid()) && HasExited(pid)) {
      exited = true;
      drain_until = Clock::now() + options_.exit_drain;
    }
  }

  // Whatever is left in the group (background jobs, or everything after a wait error)
  // ends with the attempt. Then reap the child and collect output already buffered.
  kill(-pid, SIGKILL);
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped < 0 && wait_error.empty()) {
    // ECHILD: someone else reaped it, e.g. the coordinator ignores SIGCHLD.
    wait_error = "cannot get the exit status: " + ErrnoText(errno);
  }
  const auto drain = [&read_once](UniqueFd& fd, OutputTail& tail, bool is_stdout) {
    size_t drained = 0;
    while (fd.valid() && drained < kFinalDrainBytes) {
      const size_t got = read_once(fd, tail, is_stdout);
      if (got == 0) break;
      drained += got;
    }
  };
  drain(out->read, out_tail, true);
  drain(err->read, err_tail, false);
  result.duration = Elapsed(started);

  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.stdout_tail = out_tail.Finish(secrets);
  result.stderr_tail = err_tail.Finish(secrets);
  std::string error;
  if (!wait_error.empty()) {
    error = wait_error;
  } else if (ended == Ended::kTimedOut) {
    result.timed_out = true;
    error = "timed out after " + DescribeDuration(request.timeout);
  } else if (ended == Ended::kCancelled) {
    result.cancelled = true;
    error = "cancelled";
  } else if (ended == Ended::kShutDown) {
    result.cancelled = true;
    error = "cancelled: the executor shut down";
  } else if (WIFSIGNALED(status)) {
    error = SignalDescription(WTERMSIG(status));
    if (WCOREDUMP(status)) error += ", core dumped";
  } else {
    error = ExpectationError(request, result.exit_code, matcher.found());
  }
  result.ok = error.empty();
  result.error = Redact(error, 0, secrets);
  return result;
}

}  // namespace tminus
