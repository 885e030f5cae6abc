#include "bench/agent_runbook_gen.h"

#include <algorithm>
#include <cstdio>

namespace tminus::bench {
namespace {

std::string Slot(int index) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "a%04d", index);
  return buffer;
}

}  // namespace

std::string AgentId(int index) { return "bench-" + Slot(index); }

std::map<std::string, std::string> AgentLabels(int index) {
  return {{"fleet", "bench"}, {"slot", Slot(index)}};
}

std::string StepId(int agent, int step) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s-s%04d", Slot(agent).c_str(), step);
  return buffer;
}

std::string GenerateAgentRunbook(const AgentRunbookOptions& options) {
  const int agents = std::max(1, options.agents);
  const int per_agent = std::max(1, options.steps_per_agent);
  const int chain = std::max(1, options.chain);
  std::string text;
  text.reserve(static_cast<size_t>(agents) * (per_agent * 90 + 40) + 400);
  text +=
      "runbook: 1\n"
      "name: bench-agents\n"
      "title: \"Benchmark: `true` on every agent\"\n"
      "roles:\n"
      "  ops: [bench]\n"
      // Planned durations matter only to the plan and to `tminus simulate`; a live run
      // starts each step as soon as the one before it in its chain has succeeded.
      "defaults: {duration: 1s, timeout: 5m, on_failure: abort}\n"
      "targets:\n";
  for (int a = 0; a < agents; ++a) {
    text += "  " + Slot(a) + ": {agents: {slot: " + Slot(a) + "}}\n";
  }
  text += "steps:\n";
  for (int a = 0; a < agents; ++a) {
    for (int s = 0; s < per_agent; ++s) {
      text += "  - {id: " + StepId(a, s) + ", type: task, owner: ops";
      if (s % chain != 0) text += ", needs: [" + StepId(a, s - 1) + "]";
      text += ", run: {on: " + Slot(a) + ", command: [\"true\"]}}\n";
    }
  }
  return text;
}

}  // namespace tminus::bench
