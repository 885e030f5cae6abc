// gRPC credentials for mutual TLS, read from a TLS folder (as `tminus certs init` lays it out,
// or made from an organisation's own PKI with the same file names).
//
// The coordinator asks every client for a certificate and has TLS verify any certificate it
// is given (GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY), rather than requiring one
// (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY). Why: with REQUIRE, gRPC
// core drops a client without a certificate inside the handshake; gRPC 1.51 logs that ("peer
// did not return a certificate") but never says from which address, and the service never
// sees the attempt. With REQUEST...AND_VERIFY:
//   - a certificate that does not verify against ca.crt (another CA, expired, not for client
//     use) still fails the handshake inside gRPC; InstallTlsFailureLog (tls_failure_log.h)
//     turns gRPC's log of it into a coordinator log line (without the address: gRPC does
//     not give it for handshake failures);
//   - a client without a certificate gets through the handshake unauthenticated, so the
//     service MUST refuse it: AuthenticatedAgent (peer_identity.h) returns UNAUTHENTICATED
//     with the peer's address and the reason, for the service to log and return.
// A certificate present in a call's AuthContext has therefore always been verified.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace tminus::net {

// Server credentials from DIR/ca.crt (the CA, or a bundle of CAs, that agents' certificates
// must chain to), DIR/coordinator.crt (may carry intermediates after the leaf) and
// DIR/coordinator.key. Fails naming the file that is missing, unreadable or not PEM, or the
// key that does not match its certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> CoordinatorCredentials(
    const std::string& dir);

// Channel credentials from DIR/ca.crt (what the coordinator's certificate must chain to),
// DIR/agent.crt and DIR/agent.key, with the same checks. The coordinator's certificate must
// name the host the agent dials (a subjectAltName DNS or IP entry).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(const std::string& dir);

// Channel credentials for an operator's tool (the CLI talking to the control API): only the
// CA the coordinator's certificate must chain to, DIR/ca.crt; the operator is identified
// by an API token, not a certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> OperatorCredentials(const std::string& dir);

// The subject common name of the first certificate in `pem_file` (an agent's default id).
// Fails naming the file when it cannot be read, holds no certificate, or the common name is
// missing or empty.
absl::StatusOr<std::string> CertificateCommonName(const std::string& pem_file);

}  // namespace tminus::net
