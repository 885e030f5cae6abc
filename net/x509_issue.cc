// Key generation and certificate signing with the OpenSSL 3 API.
#include "net/x509_issue.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tminus::net {
namespace {

absl::Status Failed(const std::string& what) {
  return absl::InternalError(absl::StrCat("cannot ", what, ": ", TakeOpenSslError()));
}

// A positive serial number of 128 random bits, less the sign bit.
absl::StatusOr<Asn1IntegerPtr> RandomSerial() {
  unsigned char bytes[16];
  do {
    if (RAND_bytes(bytes, sizeof bytes) != 1) return Failed("draw a random serial number");
    bytes[0] &= 0x7f;
  } while (bytes[0] == 0);  // keep all 16 bytes significant (and never zero)
  BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!number) return Failed("make a serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (!serial) return Failed("make a serial number");
  return serial;
}

absl::Status SetName(X509_NAME* name, const std::string& common_name) {
  const auto* o = reinterpret_cast<const unsigned char*>("tminus");
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, o, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1) {
    return Failed(absl::StrCat("set the name '", common_name, "'"));
  }
  return absl::OkStatus();
}

absl::Status AddExtension(X509* cert, X509V3_CTX* context, int nid, const std::string& value) {
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return Failed(absl::StrCat("add the extension ", OBJ_nid2sn(nid), " = ", value));
  }
  return absl::OkStatus();
}

std::string SubjectAltNames(const CertificateRequest& request) {
  std::vector<std::string> entries;
  for (const std::string& dns : request.dns_names) entries.push_back("DNS:" + dns);
  for (const std::string& ip : request.ip_addresses) entries.push_back("IP:" + ip);
  return absl::StrJoin(entries, ",");
}

absl::Status AddExtensions(X509* cert, X509* issuer_cert, const CertificateRequest& request) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer_cert, cert, nullptr, nullptr, 0);
  // The subject key id first: a self-signed certificate's authority key id refers to it.
  if (absl::Status s = AddExtension(cert, &context, NID_subject_key_identifier, "hash"); !s.ok()) {
    return s;
  }
  if (absl::Status s = AddExtension(cert, &context, NID_authority_key_identifier, "keyid:always");
      !s.ok()) {
    return s;
  }
  switch (request.role) {
    case CertificateRole::kAuthority:
      if (absl::Status s = AddExtension(cert, &context, NID_basic_constraints, "critical,CA:TRUE");
          !s.ok()) {
        return s;
      }
      return AddExtension(cert, &context, NID_key_usage, "critical,keyCertSign,cRLSign");
    case CertificateRole::kCoordinator:
    case CertificateRole::kAgent: {
      const bool server = request.role == CertificateRole::kCoordinator;
      if (absl::Status s = AddExtension(cert, &context, NID_basic_constraints, "critical,CA:FALSE");
          !s.ok()) {
        return s;
      }
      if (absl::Status s = AddExtension(cert, &context, NID_key_usage, "critical,digitalSignature");
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              AddExtension(cert, &context, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
          !s.ok()) {
        return s;
      }
      const std::string names = SubjectAltNames(request);
      if (names.empty()) return absl::OkStatus();
      return AddExtension(cert, &context, NID_subject_alt_name, names);
    }
  }
  return absl::InternalError("unknown certificate role");
}

}  // namespace

absl::StatusOr<KeyPtr> GenerateKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Failed("generate an ECDSA P-256 key");
  return key;
}

absl::StatusOr<CertPtr> IssueCertificate(const CertificateRequest& request, EVP_PKEY* subject_key,
                                         const Issuer* issuer) {
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return Failed("make a certificate");
  }
  absl::StatusOr<Asn1IntegerPtr> serial = RandomSerial();
  if (!serial.ok()) return serial.status();
  if (X509_set_serialNumber(cert.get(), serial->get()) != 1) return Failed("set the serial");
  const auto seconds = [](std::chrono::system_clock::time_point t) {
    return static_cast<time_t>(std::chrono::system_clock::to_time_t(t));
  };
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), seconds(request.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), seconds(request.not_after)) == nullptr) {
    return Failed("set the validity period");
  }
  if (absl::Status s = SetName(X509_get_subject_name(cert.get()), request.common_name); !s.ok()) {
    return s;
  }
  X509* issuer_cert = issuer != nullptr ? issuer->certificate : cert.get();
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key : subject_key;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return Failed("set the issuer and public key");
  }
  if (absl::Status s = AddExtensions(cert.get(), issuer_cert, request); !s.ok()) return s;
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) {
    return Failed(absl::StrCat("sign the certificate for '", request.common_name, "'"));
  }
  return cert;
}

}  // namespace tminus::net
