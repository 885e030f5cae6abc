// PEM text to and from OpenSSL objects: certificates (one, or a bundle) and private keys.
// `name` in each call is the file the text came from or goes to, for the error messages.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "net/openssl_ptr.h"

namespace tminus::net {

// Every certificate in `pem`, in order; at least one. INVALID_ARGUMENT "NAME: holds no PEM
// certificate" or "NAME: certificate N is not valid PEM (REASON)".
absl::StatusOr<std::vector<CertPtr>> ParseCertificates(const std::string& pem,
                                                       const std::string& name);

// The private key in `pem` (PKCS#8, or the traditional EC/RSA forms). INVALID_ARGUMENT
// "NAME: holds no PEM private key (REASON)"; an encrypted key is refused the same way.
absl::StatusOr<KeyPtr> ParsePrivateKey(const std::string& pem, const std::string& name);

// FAILED_PRECONDITION "KEY_NAME does not match CERT_NAME (...)" unless `key` is the private
// half of the public key in `cert`.
absl::Status CheckKeyMatches(X509* cert, EVP_PKEY* key, const std::string& cert_name,
                             const std::string& key_name);

// The subject's common name; NOT_FOUND "NAME: the certificate has no common name".
absl::StatusOr<std::string> SubjectCommonName(X509* cert, const std::string& name);

std::string CertificateToPem(X509* cert);
// Unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
std::string PrivateKeyToPem(EVP_PKEY* key);

}  // namespace tminus::net
