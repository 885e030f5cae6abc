// Runbooks for the live benchmarks: every step runs `true` (argv form, no shell) on one
// agent. Agent i (from 0) introduces itself with the labels AgentLabels(i) and is the only
// agent target `a<i>` selects, so a step placed on `a<i>` runs on exactly that agent.
// Each agent's steps form chains of `chain` steps (a step needs the one before it in its
// chain), and the chains of all agents run side by side.
#pragma once

#include <map>
#include <string>

namespace tminus::bench {

struct AgentRunbookOptions {
  int agents = 1;
  int steps_per_agent = 10;
  // Steps per chain; steps_per_agent or more makes one chain per agent, 1 makes every step
  // independent.
  int chain = 10;
};

// The id agent `index` dials in with: "bench-a0000", "bench-a0001", ...
std::string AgentId(int index);
// Its labels: {"fleet": "bench", "slot": "a0000"}.
std::map<std::string, std::string> AgentLabels(int index);
// The id of step `step` (from 0) of agent `agent`: "a0003-s0007".
std::string StepId(int agent, int step);

// The runbook as YAML text; it validates with no errors.
std::string GenerateAgentRunbook(const AgentRunbookOptions& options);

}  // namespace tminus::bench
