#include "coordinator/ssh_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "coordinator/result_merge.h"
#include "engine/executors/output_capture.h"
#include "engine/executors/probes.h"
#include "engine/executors/remote_command.h"
#include "ssh/ssh_connection.h"

namespace tminus {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long a channel still gets after KILL before it is closed regardless.
constexpr auto kGiveUpAfterKill = 5s;
// How long the exit status may take to follow the end of the output.
constexpr auto kExitStatusWait = 5s;

std::string ExpandHome(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + path.substr(1);
}

ActionResult Failed(const ActionRequest& request, const std::string& error) {
  ActionResult r;
  r.error = Redact(error, 0, request.secret_values);
  return r;
}

}  // namespace

struct SshExecutor::Attempt {
  ActionRequest request;
  Done done;
  std::string command_line;
  std::vector<std::pair<std::string, ActionResult>> results;  // per host, in the target's order
  int remaining = 0;
  std::atomic<bool> cancelled{false};
};

struct SshExecutor::Job {
  std::shared_ptr<Attempt> attempt;
  size_t index = 0;
  std::string target;
  std::string host_key;
  bool dispatched = false;  // handed to its host (and counted against the limits)
};

struct SshExecutor::Host {
  ssh::Endpoint endpoint;
  std::deque<std::shared_ptr<Job>> queue;  // handed over, not yet started; under mutex_
  int assigned = 0;                        // queued or running; under mutex_
  std::condition_variable wake;
  std::thread thread;
};

SshExecutor::SshExecutor(const Runbook& runbook, SshExecutorOptions options)
    : runbook_(runbook), options_(std::move(options)) {}

SshExecutor::~SshExecutor() {
  std::vector<std::shared_ptr<Job>> never_started;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [id, attempt] : attempts_) attempt->cancelled = true;
    never_started.assign(pending_.begin(), pending_.end());
    pending_.clear();
    for (auto& [key, host] : hosts_) host->wake.notify_all();
    connect_wake_.notify_all();
  }
  for (auto& job : never_started) {
    ActionResult r = Failed(job->attempt->request, "cancelled: the executor shut down");
    r.cancelled = true;
    JobDone(*job, std::move(r));
  }
  for (auto& [key, host] : hosts_) {
    if (host->thread.joinable()) host->thread.join();
  }
}

void SshExecutor::Start(const ActionRequest& request, Done done) {
  const Target* target = runbook_.FindTarget(request.target);
  if (target == nullptr || target->kind != Target::Kind::kSsh) {
    done(Failed(request, "target '" + request.target + "' is not reached over SSH"));
    return;
  }
  if (request.kind == Action::Kind::kProbe) {
    done(Failed(request, "built-in probes run on agents or on the coordinator, not over SSH (target '" +
                             request.target + "')"));
    return;
  }
  absl::StatusOr<std::string> line = RemoteCommandLine(request);
  if (!line.ok()) {
    done(Failed(request, std::string(line.status().message())));
    return;
  }
  auto attempt = std::make_shared<Attempt>();
  attempt->request = request;
  attempt->done = std::move(done);
  attempt->command_line = *line;
  const SshTarget& ssh = target->ssh;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) {
      lock.unlock();
      ActionResult r = Failed(request, "cancelled: the executor shut down");
      r.cancelled = true;
      attempt->done(std::move(r));
      return;
    }
    attempts_[request.dispatch_id] = attempt;
    attempt->remaining = static_cast<int>(ssh.hosts.size());
    for (size_t i = 0; i < ssh.hosts.size(); ++i) {
      ssh::Endpoint e;
      e.host = ssh.hosts[i].value;
      e.port = ssh.port.value;
      e.user = ssh.user.value;
      e.identity = ExpandHome(ssh.identity.value);
      e.known_hosts = ExpandHome(ssh.known_hosts.value);
      e.connect_timeout = options_.connect_timeout;
      const std::string key = absl::StrCat(e.user, "@", e.Name(), " ", e.identity, " ", e.known_hosts);
      attempt->results.emplace_back(e.Name(), ActionResult());
      std::unique_ptr<Host>& host = hosts_[key];
      if (host == nullptr) {
        host = std::make_unique<Host>();
        host->endpoint = e;
        host->thread = std::thread([this, h = host.get()] { HostLoop(h); });
      }
      auto job = std::make_shared<Job>();
      job->attempt = attempt;
      job->index = i;
      job->target = request.target;
      job->host_key = key;
      pending_.push_back(std::move(job));
    }
    DispatchLocked();
  }
}

void SshExecutor::DispatchLocked() {
  for (auto it = pending_.begin(); it != pending_.end() && running_ < options_.max_concurrent;) {
    Job& job = **it;
    Host& host = *hosts_[job.host_key];
    if (running_by_target_[job.target] >= options_.max_per_target ||
        host.assigned >= options_.max_channels_per_host) {
      ++it;
      continue;
    }
    ++running_;
    ++running_by_target_[job.target];
    ++host.assigned;
    job.dispatched = true;
    host.queue.push_back(*it);
    host.wake.notify_one();
    it = pending_.erase(it);
  }
}

void SshExecutor::JobDone(Job& job, ActionResult result) {
  Done done;
  ActionResult merged;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job.dispatched) {
      --running_;
      --running_by_target_[job.target];
      --hosts_[job.host_key]->assigned;
    }
    Attempt& a = *job.attempt;
    a.results[job.index].second = std::move(result);
    if (--a.remaining == 0) {
      merged = MergeResults(a.results);
      done = std::move(a.done);
      attempts_.erase(a.request.dispatch_id);
    }
    if (!stopping_) DispatchLocked();
  }
  if (done) done(std::move(merged));
}

void SshExecutor::Cancel(const std::string& dispatch_id) {
  std::vector<std::shared_ptr<Job>> never_started;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = attempts_.find(dispatch_id);
    if (it == attempts_.end()) return;
    it->second->cancelled = true;
    for (auto p = pending_.begin(); p != pending_.end();) {
      if ((*p)->attempt == it->second) {
        never_started.push_back(*p);
        p = pending_.erase(p);
      } else {
        ++p;
      }
    }
  }
  for (auto& job : never_started) {
    ActionResult r = Failed(job->attempt->request, "cancelled");
    r.cancelled = true;
    JobDone(*job, std::move(r));
  }
}

void SshExecutor::Recover(const ActionRequest& request, Millis, Done done) {
  ActionResult r = Failed(request, "the attempt ran over SSH from a coordinator that stopped: its "
                                   "session ended with it, so its outcome is unknown");
  r.unrecovered = true;
  done(std::move(r));
}

void SshExecutor::AcquireConnectSlot() {
  std::unique_lock<std::mutex> lock(mutex_);
  connect_wake_.wait(lock, [this] { return connecting_ < options_.max_connecting || stopping_; });
  ++connecting_;
}

void SshExecutor::ReleaseConnectSlot() {
  std::lock_guard<std::mutex> lock(mutex_);
  --connecting_;
  connect_wake_.notify_one();
}

namespace {

// One command running on a host's session.
struct Running {
  std::shared_ptr<SshExecutor::Job> job;
  std::unique_ptr<ssh::Channel> channel;
  Clock::time_point started;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point next_step = Clock::time_point::max();  // when to escalate, once stopping
  int signals_sent = 0;  // 1: TERM, 2: KILL
  bool timed_out = false;
  bool cancelled = false;
  OutputTail out;
  OutputTail err;
  StreamMatcher matcher;

  Running(std::shared_ptr<SshExecutor::Job> j, size_t cap, const ActionRequest& request)
      : job(std::move(j)),
        out(cap, request.secret_values),
        err(cap, request.secret_values),
        matcher(request.expect_stdout_contains) {}
};

}  // namespace

void SshExecutor::HostLoop(Host* host) {
  const ssh::Endpoint& endpoint = host->endpoint;
  std::unique_ptr<ssh::Connection> connection;
  std::vector<std::unique_ptr<Running>> running;

  const auto finish = [this](Running& r, int exit_status, const std::string& signal,
                             const std::string& failure) {
    const ActionRequest& request = r.job->attempt->request;
    ActionResult result;
    result.duration = std::chrono::duration_cast<Millis>(Clock::now() - r.started);
    result.exit_code = exit_status;
    result.stdout_tail = r.out.Finish(request.secret_values);
    result.stderr_tail = r.err.Finish(request.secret_values);
    std::string error;
    if (r.timed_out) {
      result.timed_out = true;
      error = "timed out after " + DescribeDuration(request.timeout);
    } else if (r.cancelled) {
      result.cancelled = true;
      error = "cancelled";
    } else if (!failure.empty()) {
      error = failure;
    } else if (!signal.empty()) {
      error = "killed by signal " + signal;
    } else if (exit_status < 0) {
      error = "the command ended without an exit status";
    } else {
      error = ExpectationError(request, exit_status, r.matcher.found());
    }
    result.ok = error.empty();
    result.error = Redact(error, 0, request.secret_values);
    JobDone(*r.job, std::move(result));
  };

  for (;;) {
    std::vector<std::shared_ptr<Job>> incoming;
    bool idle_expired = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (running.empty() && host->queue.empty()) {
        if (stopping_) break;
        idle_expired = !host->wake.wait_for(lock, options_.idle_close,
                                            [&] { return stopping_ || !host->queue.empty(); });
      }
      incoming.assign(host->queue.begin(), host->queue.end());
      host->queue.clear();
    }
    if (idle_expired) {
      connection.reset();  // unused for a while: the next command connects again
      continue;
    }

    // Start what was handed over, connecting first if needed.
    if (!incoming.empty()) {
      std::vector<std::shared_ptr<Job>> to_start;
      for (auto& job : incoming) {
        if (job->attempt->cancelled) {
          ActionResult r = Failed(job->attempt->request, "cancelled");
          r.cancelled = true;
          JobDone(*job, std::move(r));
        } else {
          to_start.push_back(std::move(job));
        }
      }
      if (!to_start.empty() && (connection == nullptr || !connection->alive())) {
        connection.reset();
        AcquireConnectSlot();
        absl::StatusOr<std::unique_ptr<ssh::Connection>> opened = ssh::Connection::Open(endpoint);
        ReleaseConnectSlot();
        if (!opened.ok()) {
          for (auto& job : to_start) JobDone(*job, Failed(job->attempt->request, std::string(opened.status().message())));
          to_start.clear();
        } else {
          connection = std::move(*opened);
        }
      }
      for (auto& job : to_start) {
        const ActionRequest& request = job->attempt->request;
        absl::StatusOr<std::unique_ptr<ssh::Channel>> channel = connection->Exec(job->attempt->command_line);
        if (!channel.ok()) {
          JobDone(*job, Failed(request, std::string(channel.status().message())));
          continue;
        }
        auto r = std::make_unique<Running>(job, options_.output_cap_bytes, request);
        r->channel = std::move(*channel);
        r->started = Clock::now();
        if (request.timeout.count() > 0) r->deadline = r->started + request.timeout;
        running.push_back(std::move(r));
      }
    }
    if (running.empty()) continue;

    connection->Wait(20ms);
    const auto now = Clock::now();
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
    }
    for (auto it = running.begin(); it != running.end();) {
      Running& r = **it;
      std::string out, err;
      const bool open = r.channel->Read(&out, &err);
      r.out.Append(out.data(), out.size());
      r.err.Append(err.data(), err.size());
      r.matcher.Feed(out.data(), out.size());
      if (!open) {
        std::string more_out, more_err;
        r.channel->Finish(&more_out, &more_err, kExitStatusWait);
        r.out.Append(more_out.data(), more_out.size());
        r.err.Append(more_err.data(), more_err.size());
        r.matcher.Feed(more_out.data(), more_out.size());
        finish(r, r.channel->exit_status(), r.channel->signal(), "");
        it = running.erase(it);
        continue;
      }
      // Stop it at its timeout, on Cancel, or when the executor shuts down: TERM, then
      // KILL after the grace, then give up on the channel.
      if (r.signals_sent == 0) {
        if (now >= r.deadline) r.timed_out = true;
        if (r.job->attempt->cancelled || stopping) r.cancelled = !r.timed_out;
        if (r.timed_out || r.cancelled) {
          r.channel->SendSignal("TERM");
          r.signals_sent = 1;
          r.next_step = now + options_.kill_grace;
        }
      } else if (now >= r.next_step) {
        if (r.signals_sent == 1) {
          r.channel->SendSignal("KILL");
          r.signals_sent = 2;
          r.next_step = now + kGiveUpAfterKill;
        } else {
          finish(r, -1, "", "the command did not stop; its channel was closed");
          it = running.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (!connection->alive()) {
      for (auto& r : running) {
        finish(*r, -1, "", "the SSH session to " + endpoint.Name() + " ended while the command ran");
      }
      running.clear();
      connection.reset();
    }
  }
}

}  // namespace tminus
