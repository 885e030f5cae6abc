#include "agent/credentials.h"

#include <cerrno>
#include <system_error>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/executors/probes.h"

namespace tminus::agent {
namespace {

// PEM files are small; anything bigger is not one.
constexpr size_t kMaxPemBytes = 1 << 20;

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", ErrnoText(errno)));
  std::string text;
  char buffer[16 * 1024];
  while (text.size() <= kMaxPemBytes) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      close(fd);
      return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", ErrnoText(error)));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  if (text.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than 1 MiB; not a PEM file"));
  }
  if (!absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no PEM data"));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(
    const std::string& tls_dir) {
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadPem(tls_dir + "/ca.crt");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(tls_dir + "/agent.crt");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls_dir + "/agent.key");
  if (!key.ok()) return key.status();
  options.pem_root_certs = *std::move(ca);
  options.pem_cert_chain = *std::move(cert);
  options.pem_private_key = *std::move(key);
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::string> CertificateCommonName(const std::string& cert_file) {
  absl::StatusOr<std::string> pem = ReadPem(cert_file);
  if (!pem.ok()) return pem.status();
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot allocate an OpenSSL buffer");
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file, " holds no PEM certificate"));
  }
  std::string common_name;
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index =
      subject == nullptr ? -1 : X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = data == nullptr ? -1 : ASN1_STRING_to_UTF8(&utf8, data);
    if (length > 0)
      common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  if (common_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the certificate in ", cert_file, " has no subject common name; give --id"));
  }
  return common_name;
}

bool IsLoopbackAddress(std::string_view address) {
  for (const std::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (address.substr(0, scheme.size()) == scheme) {
      address.remove_prefix(scheme.size());
      break;
    }
  }
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) return false;
  const std::string& host = parsed->host;
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace tminus::agent
