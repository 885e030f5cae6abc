// Making keys and X.509 v3 certificates with OpenSSL: ECDSA P-256 keys, SHA-256 signatures,
// random 128-bit serial numbers, and the extensions each role needs. No files here.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "net/openssl_ptr.h"

namespace tminus::net {

enum class CertificateRole {
  kAuthority,    // CA:TRUE (critical), keyUsage keyCertSign, cRLSign
  kCoordinator,  // CA:FALSE, digitalSignature, extendedKeyUsage serverAuth, subjectAltName
  kAgent,        // CA:FALSE, digitalSignature, extendedKeyUsage clientAuth
};

struct CertificateRequest {
  CertificateRole role = CertificateRole::kAgent;
  std::string common_name;
  // kCoordinator only: the subjectAltName entries (DNS names, IP addresses as text).
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

// The CA that signs a certificate.
struct Issuer {
  X509* certificate;
  EVP_PKEY* key;
};

// A new ECDSA P-256 key.
absl::StatusOr<KeyPtr> GenerateKey();

// A certificate for `subject_key` as `request` says, signed by `issuer`, or self-signed with
// `subject_key` when `issuer` is null. Every certificate carries subjectKeyIdentifier and
// authorityKeyIdentifier.
absl::StatusOr<CertPtr> IssueCertificate(const CertificateRequest& request, EVP_PKEY* subject_key,
                                         const Issuer* issuer);

}  // namespace tminus::net
