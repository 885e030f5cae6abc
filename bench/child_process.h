// A child process for the live benchmarks (the coordinator, the far side of a link): its
// stdout and stderr go to a file, and it is stopped by its PID (SIGTERM, then SIGKILL)
// when the object goes, whatever happened. It also gets SIGTERM should the benchmark die
// first, so no run outlives the program that measured it (the kernel sends it when the
// thread that started the child ends: start children from the main thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tminus::bench {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with `argv`; output to `log_path` (created or truncated).
  // Fails (false, with `error` set) when the log cannot be opened or fork fails; a program
  // that cannot be executed exits with status 127.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             std::string* error);
  ~ChildProcess() { Stop(); }

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  bool running();
  // Waits at most `bound` for the child to exit; its exit status (128 + signal when it was
  // killed), or nothing when it still runs.
  std::optional<int> Wait(std::chrono::milliseconds bound);
  // The processor time (user + system) the child used in all, in seconds, once it has
  // exited and been reaped; until then the time used so far (from /proc), or -1.
  double CpuSeconds() const;
  // SIGTERM, then SIGKILL after `grace`; reaps it. Does nothing once it has exited.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // The last `max_bytes` of its output, for error messages.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  double cpu_seconds_ = -1;  // from wait4, once reaped
  std::string log_path_;
};

// The path of the running program (for starting another copy of it).
std::string SelfExecutable();

}  // namespace tminus::bench
