// How the agent's connection is secured: mutual TLS from the files in its TLS directory
// (DIR/ca.crt to check the coordinator, DIR/agent.crt and DIR/agent.key to prove the
// agent's identity), or plaintext to a coordinator on the same host. This file stands in
// for the shared net library's AgentCredentials, CertificateCommonName and
// IsLoopbackAddress, with the same meaning, until the agent links that library.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/security/credentials.h>

#include "absl/status/statusor.h"

namespace tminus::agent {

// Channel credentials for mutual TLS from `tls_dir`. Fails naming the file that cannot be
// read or holds no PEM data.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(
    const std::string& tls_dir);

// The subject common name of the PEM certificate in `cert_file` (the agent's id).
absl::StatusOr<std::string> CertificateCommonName(const std::string& cert_file);

// True when `address` ("host:port", "[v6]:port", optionally after "dns:///", "ipv4:" or
// "ipv6:") names this host: 127.0.0.0/8, ::1 or localhost.
bool IsLoopbackAddress(std::string_view address);

}  // namespace tminus::agent
