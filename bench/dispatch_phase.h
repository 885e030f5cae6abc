// One measured phase of tminus_bench_dispatch: a far-side process (the real agent and the
// echo's far end), the echo baseline before and after, and between them a live run
// (RunLive, in this process) of a chain of `true` steps on that agent, with its journal in
// a given directory. Timestamps are taken on the coordinator's side only.
#pragma once

#include <string>
#include <vector>

#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace tminus::bench {

struct PhaseSetup {
  const Runbook* runbook = nullptr;
  const StepGraph* graph = nullptr;
  std::string runbook_text;
  std::string certs_dir;    // from net::InitCertificates, with an agent folder for agent_id
  std::string agent_id;
  std::string journal_path;  // a new file for each run
  std::string log_dir;      // the far side's log
  int echo_samples = 1000;  // of each kind per echo block (two blocks)
  size_t ping_payload = 0;  // sized so a Ping is as long as a Dispatch
  size_t reply_payload = 0;  // and a Reply as long as a Result
};

struct PhaseResult {
  bool ok = false;
  std::string error;  // when !ok: what went wrong, with the far side's log tail
  // Milliseconds, one per sample.
  std::vector<double> echo;
  // The same echo with `true` run on the far side (by the agent's executor, in the far
  // side's process) before it answers.
  std::vector<double> echo_true;
  // Per step i of the chain (without the first and the last): from the engine recording
  // its dispatch (synced) to the engine recording the next dispatch, whose synced commit
  // is the one that makes step i's result durable.
  std::vector<double> round_trip;
  // The two parts of each round trip: until the result is recorded on the engine's strand
  // (wire, agent, command and back), and from there until it is durable (the commit).
  std::vector<double> to_result;
  std::vector<double> to_durable;
  int steps_succeeded = 0;
};

// Runs the phase; the first `warmup` steps are not counted.
PhaseResult RunDispatchPhase(const PhaseSetup& setup, int warmup);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace tminus::bench
