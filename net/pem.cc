// PEM parsing and writing through OpenSSL's BIO functions.
#include "net/pem.h"

#include <climits>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"

namespace tminus::net {
namespace {

BioPtr ReadBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

// Refuses a password prompt: keys in a TLS folder are unencrypted.
int NoPassword(char*, int, int, void*) { return -1; }

}  // namespace

absl::StatusOr<std::vector<CertPtr>> ParseCertificates(const std::string& pem,
                                                       const std::string& name) {
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError(absl::StrCat(name, ": too large"));
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    if (pem.find("PRIVATE KEY-----") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": holds a private key, not a PEM certificate"));
    }
    return absl::InvalidArgumentError(absl::StrCat(name, ": holds no PEM certificate"));
  }
  BioPtr bio = ReadBio(pem);
  ERR_clear_error();
  std::vector<CertPtr> certs;
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr);
    if (cert != nullptr) {
      certs.emplace_back(cert);
      continue;
    }
    const unsigned long error = ERR_peek_last_error();
    if (!certs.empty() && ERR_GET_LIB(error) == ERR_LIB_PEM &&
        ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
      ERR_clear_error();  // the end of the text
      return certs;
    }
    return absl::InvalidArgumentError(absl::StrCat(name, ": certificate ", certs.size() + 1,
                                                   " is not valid PEM (", TakeOpenSslError(), ")"));
  }
}

absl::StatusOr<KeyPtr> ParsePrivateKey(const std::string& pem, const std::string& name) {
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError(absl::StrCat(name, ": too large"));
  if (pem.find("ENCRYPTED") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        name,
        ": the private key is encrypted; tminus needs it unencrypted (protect it with the "
        "file's permissions, 0600)"));
  }
  BioPtr bio = ReadBio(pem);
  ERR_clear_error();
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr);
  if (key == nullptr) {
    const std::string why = TakeOpenSslError();
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": holds a certificate, not a PEM private key"));
    }
    return absl::InvalidArgumentError(absl::StrCat(name, ": holds no PEM private key (", why, ")"));
  }
  return KeyPtr(key);
}

absl::Status CheckKeyMatches(X509* cert, EVP_PKEY* key, const std::string& cert_name,
                             const std::string& key_name) {
  ERR_clear_error();
  if (X509_check_private_key(cert, key) == 1) return absl::OkStatus();
  const std::string why = TakeOpenSslError();
  return absl::FailedPreconditionError(absl::StrCat(
      key_name, " does not match ", cert_name,
      ": the key is not the private half of the certificate's public key (", why, ")"));
}

absl::StatusOr<std::string> SubjectCommonName(X509* cert, const std::string& name) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return absl::NotFoundError(absl::StrCat(name, ": the certificate has no common name (CN)"));
  }
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": the certificate's common name cannot be read as text"));
  }
  std::string text(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

std::string CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioText(bio.get());
}

std::string PrivateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

}  // namespace tminus::net
