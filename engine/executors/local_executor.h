// Runs attempts on the coordinator's own host: commands through posix_spawnp (never a
// shell), `shell:` actions through /bin/sh -c, and the built-in probes.
//
// Each attempt gets a worker thread that spawns the child, reads its output, enforces the
// timeout and reaps it, then calls `done` from that thread. A thread per attempt keeps
// each one a plain blocking loop (poll on two pipes, a pidfd and a cancel eventfd) and
// lets probes block in the system resolver without holding up anyone else; a runbook has
// tens of concurrent steps, not thousands, so the thread count stays small.
//
// Each child leads its own process group. A timeout, Cancel() or the executor's
// destruction sends SIGTERM to the whole group and SIGKILL after `kill_grace`; when the
// child ends, whatever it left behind in its group is killed too, so no grandchild
// outlives its attempt (daemons that must outlive a step have to leave the group, e.g.
// with setsid). Every command also gets its run and dispatch ids in its environment, so
// that what it leaves running when this process dies is found later (leftovers.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "engine/base/scheduler.h"
#include "engine/exec/executor.h"

namespace tminus {

struct LocalExecutorOptions {
  // Output kept per stream: the last bytes. Longer output is cut at the front and the
  // tail starts with a line saying how much was dropped.
  size_t output_cap_bytes = 64 * 1024;
  // The most read from a pipe at once.
  size_t read_chunk_bytes = 64 * 1024;
  // Between SIGTERM and SIGKILL to the process group when an attempt is stopped.
  Millis kill_grace{2000};
  // How long output is still read after the child exited while something it started
  // holds the pipes open; then the rest of the group is killed.
  Millis exit_drain{200};
  // The timeout of a probe whose request has none.
  Millis default_probe_timeout{10000};
  // Called on the attempt's worker thread as soon as its child exists, with the request's
  // dispatch_id and the child's pid, which is also its process group id: what a caller
  // that must find the group again after it crashed (the agent) records. Never called for
  // probes or for a child that failed to start. Must not block.
  std::function<void(const std::string& dispatch_id, pid_t pid)> on_spawn;
};

class LocalExecutor : public Executor {
 public:
  explicit LocalExecutor(LocalExecutorOptions options = {});
  // Stops every running attempt (SIGTERM, then SIGKILL after the grace), reaps the
  // children and joins the threads. Each stopped attempt still gets its `done` call,
  // reporting cancelled, from its own thread before this returns; so it must not run
  // inside a `done` callback.
  ~LocalExecutor() override;

  LocalExecutor(const LocalExecutor&) = delete;
  LocalExecutor& operator=(const LocalExecutor&) = delete;

  // The environment is the coordinator's at the time of this call plus `request.env`
  // (which wins over inherited names). A program named without a '/' is looked up in the
  // coordinator's PATH. Never blocks on the child: even a failure to start is reported
  // through `done`, from the worker thread.
  void Start(const ActionRequest& request, Done done) override;
  // Stops every running attempt with this dispatch id.
  void Cancel(const std::string& dispatch_id) override;
  // After a restart: the attempt's processes outlived the one that started them. Stops
  // whatever still runs with the attempt's marks (leftovers.h), then reports it
  // `unrecovered`, saying which processes were stopped. From a worker thread.
  void Recover(const ActionRequest& request, Millis grace, Done done) override;

  // Attempts started and not yet reported.
  size_t RunningCount() const;

 private:
  struct Attempt;

  void Work(uint64_t serial, std::shared_ptr<Attempt> attempt);
  ActionResult RunProcess(Attempt& attempt) const;
  ActionResult RunProbeAttempt(Attempt& attempt) const;
  void JoinFinishedThreads();
  // Hands the calling worker's thread to finished_, to be joined later.
  void RetireThread(uint64_t serial);

  const LocalExecutorOptions options_;

  mutable std::mutex mutex_;
  bool shutting_down_ = false;
  uint64_t next_serial_ = 1;
  std::map<uint64_t, std::shared_ptr<Attempt>> running_;  // by serial
  std::map<uint64_t, std::thread> threads_;               // workers still running
  std::vector<std::thread> finished_;                     // workers done, to join
};

}  // namespace tminus
