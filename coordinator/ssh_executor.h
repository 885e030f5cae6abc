// Runs attempts on hosts that run no agent, over SSH (runbook targets with `ssh:`), with
// the same semantics as agent runs: an attempt on a target with several hosts runs on
// every host and succeeds only if it succeeds on all of them (MergeResults).
//
// One session per host, kept open between commands, and one channel per command. Each
// host has a thread that owns its session: it connects (the host key checked strictly,
// see ssh/ssh_connection.h), starts the commands handed to it, reads their output, and
// enforces timeouts and cancels (TERM, then KILL after a grace, then the channel is
// closed). Blocking libssh calls run on those threads only, never on the caller's.
//
// Commands are handed to hosts within limits: so many at once in the run, so many hosts
// of one target at once (Ansible's "forks"), so many channels per session (under
// OpenSSH's MaxSessions), and so many handshakes at once (under its MaxStartups), so a
// fan-out never trips an sshd's limits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/exec/executor.h"
#include "engine/model/runbook.h"

namespace tminus {

struct SshExecutorOptions {
  size_t output_cap_bytes = 64 * 1024;
  int max_concurrent = 64;         // commands running at once in the run
  int max_per_target = 20;         // hosts of one target running at once
  int max_channels_per_host = 8;   // commands at once on one session (MaxSessions is 10)
  int max_connecting = 8;          // handshakes at once (MaxStartups starts refusing at 10)
  Millis kill_grace{2000};         // between TERM and KILL
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds idle_close{60000};  // a session unused this long is closed
  std::function<void(const std::string&)> log;
};

class SshExecutor : public Executor {
 public:
  SshExecutor(const Runbook& runbook, SshExecutorOptions options = {});
  // Cancels whatever runs (each attempt's `done` is called, as cancelled, before this
  // returns) and closes every session.
  ~SshExecutor() override;

  void Start(const ActionRequest& request, Done done) override;
  void Cancel(const std::string& dispatch_id) override;
  // A command started over SSH by a coordinator that has since stopped cannot be reached
  // again: reported unrecovered.
  void Recover(const ActionRequest& request, Millis grace, Done done) override;

  struct Attempt;
  struct Job;
  struct Host;

 private:
  // Hands pending jobs to their hosts within the limits; under mutex_.
  void DispatchLocked();
  // A job ended (on its host's thread): counts it and, with its attempt's last job, calls
  // the attempt's done.
  void JobDone(Job& job, ActionResult result);
  void HostLoop(Host* host);
  void AcquireConnectSlot();
  void ReleaseConnectSlot();

  const Runbook& runbook_;
  const SshExecutorOptions options_;
  std::mutex mutex_;
  std::condition_variable connect_wake_;
  int connecting_ = 0;
  bool stopping_ = false;
  int running_ = 0;
  std::map<std::string, int> running_by_target_;
  std::deque<std::shared_ptr<Job>> pending_;
  std::map<std::string, std::unique_ptr<Host>> hosts_;  // by "user@host:port"
  std::map<std::string, std::shared_ptr<Attempt>> attempts_;  // by dispatch id
};

}  // namespace tminus
