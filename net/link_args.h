// How both ends of the agent link configure gRPC, in one place: the agent's channel
// (agent/run_agent.cc, and the benchmarks that stand in for agents) and the coordinator's
// server (coordinator/live_run.cc).
//
// The link carries small messages (dispatches, results with capped output, heartbeats)
// on one long-lived stream per agent, and a coordinator holds a thousand of them. So:
//   - no BDP probing: it pings on every burst of data received (a PING frame and its ACK
//     per message here) and grows the flow-control windows a bulk transfer would want;
//   - TLS records of at most 4 KB, so each connection's frame buffer is 4 KB, not 16 KB.
//     A larger message is split across records; nothing is lost.
#pragma once

#include <grpcpp/grpcpp.h>

namespace tminus::net {

// The agent's channel: its own subchannel (a new channel must not inherit a shared one's
// reconnect backoff), no gRPC retries (the agent redelivers), and the settings above.
grpc::ChannelArguments AgentChannelArguments();

// The coordinator's server side of the same settings.
void ConfigureAgentLinkServer(grpc::ServerBuilder& builder);

// gRPC locks Abseil mutexes on every message; in a debug-configured Abseil (as Debian
// ships it) each lock also maintains a lock-order graph for deadlock detection, which
// costs more than the lock. Called once at the start of a program, before any thread.
void DisableMutexDeadlockDetection();

}  // namespace tminus::net
