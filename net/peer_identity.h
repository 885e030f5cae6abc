// Which agent is on the other end of a call to the coordinator: the common name of the
// client certificate that TLS verified (see tls.h for why a client may arrive without one).
#pragma once

#include <string>

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"

namespace tminus::net {

// The verified client certificate's common name, "" when the client sent no certificate or
// the connection is not TLS. Only certificates that verified against the coordinator's CA
// ever reach a call, so a non-empty result is proven.
std::string PeerAgentId(const grpc::AuthContext& auth);

// The agent id of the call's client, or UNAUTHENTICATED with a message saying who was
// refused and why, for the service to log and to end the call with, e.g.
//   refused a connection from ipv4:127.0.0.1:40312: it presented no client certificate
// Also refuses a common name that is not a valid agent id (net/cert_names.h).
absl::StatusOr<std::string> AuthenticatedAgent(const grpc::ServerContextBase& call);

}  // namespace tminus::net
