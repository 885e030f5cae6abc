// Executors carry out one attempt of an action (a step's run, or a rollback) somewhere:
// the local host, an agent, an SSH host, or nowhere at all (simulation). The run engine
// sees only this interface.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/scheduler.h"
#include "engine/model/runbook.h"

namespace tminus {

// One attempt, with every ${var} and ${secrets.x} already substituted.
struct ActionRequest {
  std::string run_id;       // live runs: the run's id ("" in a simulation)
  std::string dispatch_id;  // unique per run: "<step>#<attempt>" or "<step>#rollback<attempt>"
  std::string step_id;
  int step_index = -1;  // the step's position in the runbook, when the engine knows it
  int attempt = 1;
  bool rollback = false;
  std::string target;  // the `on:` name ("local" for the coordinator's host)

  Action::Kind kind = Action::Kind::kCommand;
  std::vector<std::string> argv;  // kCommand
  std::string shell;              // kShell: run as /bin/sh -c SHELL
  Probe probe;                    // kProbe (address/url/name/expect substituted)
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment

  Millis timeout{0};  // 0: none
  int expect_exit_code = 0;
  std::string expect_stdout_contains;  // "" : no check

  // Values to replace with "***" wherever they appear in captured output.
  std::vector<std::string> secret_values;

  // Recover() only: the hosts the journal says the attempt was sent to (its `placed`
  // record), empty when none was recorded.
  std::vector<std::string> placed_on;
};

struct ActionResult {
  bool ok = false;          // ran, and met the expectation
  int exit_code = -1;       // -1 when there is none (killed, failed to start, probe)
  bool timed_out = false;   // killed at the timeout
  bool cancelled = false;   // killed by Cancel()
  std::string error;        // why it failed, for people: "exit code 3, expected 0", ...
  Millis duration{0};
  std::string stdout_tail;  // the last bytes of output (capped), secrets redacted
  std::string stderr_tail;
  // Recover() only: the attempt could not be reached again (see Recover).
  bool unrecovered = false;
};

class Executor {
 public:
  using Done = std::function<void(ActionResult)>;
  virtual ~Executor() = default;
  // Starts the attempt; `done` is called exactly once, possibly on another thread (the
  // engine posts it to its strand). Must not block.
  virtual void Start(const ActionRequest& request, Done done) = 0;
  // Asks a running attempt to stop; its `done` then reports cancelled (or its real end, if
  // it finished first). Unknown ids are ignored.
  virtual void Cancel(const std::string& dispatch_id) = 0;
  // False for an executor that runs nothing (simulation). Its requests then carry only
  // the attempt (ids, target, timeout): no substitution, argv, shell, probe or env.
  virtual bool RunsActions() const { return true; }
  // True for an executor that lets nothing leave until everything the engine recorded
  // so far is durable (the agent executor sends a dispatch only after its placement is
  // synced). The engine then need not sync each dispatch record on its own: a burst of
  // dispatches shares one sync. Others start at once, so each dispatch is synced first.
  virtual bool DefersUntilDurable() const { return false; }
  // After a coordinator restart: `request` was dispatched before the stop and its result
  // was never journaled. Calls `done` exactly once (possibly on another thread): with the
  // attempt's real outcome when the executor can still reach it (an agent still runs it or
  // holds its result: re-attached), or with `unrecovered` set, after at most `grace`, when
  // it cannot. An executor whose attempts cannot outlive the coordinator (a simulation)
  // recovers nothing; the local executor stops what its attempt left running first.
  virtual void Recover(const ActionRequest& request, Millis grace, Done done) {
    (void)grace;
    ActionResult r;
    r.unrecovered = true;
    r.error = "the attempt ran on the coordinator's host and stopped with it";
    done(std::move(r));
  }
};

}  // namespace tminus
