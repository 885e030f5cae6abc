// The coordinator's log of TLS handshakes it refused. gRPC core rejects a client whose
// certificate fails verification (or that does not speak TLS) inside the handshake, before
// any service code runs; the only trace is gRPC's own log line, e.g.
//   Handshake failed with fatal error SSL_ERROR_SSL: error:0A000086:SSL routines::certificate
//   verify failed.
// This hooks gRPC's log function and turns such lines into one a person can act on:
//   tminus: refused a connection: TLS handshake failed (certificate verify failed): the
//   client's certificate is not from the coordinator's CA, has expired, or is not for client use
// gRPC 1.51 does not say which address the client connected from, so neither can this line.
// Clients without a certificate pass the handshake and are refused, with their address, by
// AuthenticatedAgent (peer_identity.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tminus::net {

using LogSink = std::function<void(const std::string& line)>;

// Installs the hook (gRPC has one log function per process, so this is process-wide; a
// second call replaces the sink). Lines go to `sink`, or to stderr when it is empty: each
// handshake failure as above, every other gRPC message that passes gRPC's verbosity as
// "tminus: grpc E file.cc:123: message". Meant for a process that only serves TLS: a
// process that also dials out logs its own failed handshakes the same way. `sink` is called
// from gRPC's threads, one call at a time, and must not call into gRPC.
void InstallTlsFailureLog(LogSink sink = nullptr);

// The line for one gRPC log message when it reports a failed TLS handshake, "" otherwise.
std::string DescribeHandshakeFailure(std::string_view grpc_message);

}  // namespace tminus::net
