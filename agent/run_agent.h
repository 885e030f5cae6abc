// The agent's composition root: the executor, the strand, the link to the coordinator and
// the signal watcher, wired together and run until SIGTERM or SIGINT.
#pragma once

#include "agent/agent_config.h"
#include "agent/event_log.h"

namespace tminus::agent {

// Runs the agent; returns the process's exit code: 0 after a clean stop on SIGTERM or
// SIGINT (running attempts' process groups are stopped first), 2 when it cannot start
// (credentials that cannot be read, a state directory it cannot use or that another agent
// holds, no signalfd). Must be called before any other thread
// exists, so that every thread inherits the blocked termination signals.
int RunAgent(const AgentConfig& config, EventLog& log);

}  // namespace tminus::agent
