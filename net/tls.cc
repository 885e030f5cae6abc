// Loading and checking the PEM files of a TLS folder, then handing them to gRPC.
#include "net/tls.h"

#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "engine/base/status.h"
#include "net/pem.h"
#include "net/secure_file.h"

namespace tminus::net {
namespace {

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// The PEM text of a certificate file, a key file and the CA file, each checked.
struct CheckedFiles {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

absl::StatusOr<CheckedFiles> ReadTlsFiles(const std::string& dir, const std::string& cert_name,
                                          const std::string& key_name) {
  const std::string ca_file = Join(dir, "ca.crt");
  const std::string cert_file = Join(dir, cert_name);
  const std::string key_file = Join(dir, key_name);
  CheckedFiles files;
  TM_ASSIGN_OR_RETURN(files.ca_pem, ReadSmallFile(ca_file));
  TM_ASSIGN_OR_RETURN(files.cert_pem, ReadSmallFile(cert_file));
  TM_ASSIGN_OR_RETURN(files.key_pem, ReadSmallFile(key_file));
  TM_RETURN_IF_ERROR(ParseCertificates(files.ca_pem, ca_file).status());
  TM_ASSIGN_OR_RETURN(std::vector<CertPtr> chain, ParseCertificates(files.cert_pem, cert_file));
  TM_ASSIGN_OR_RETURN(KeyPtr key, ParsePrivateKey(files.key_pem, key_file));
  TM_RETURN_IF_ERROR(CheckKeyMatches(chain.front().get(), key.get(), cert_file, key_file));
  return files;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> CoordinatorCredentials(
    const std::string& dir) {
  TM_ASSIGN_OR_RETURN(CheckedFiles files, ReadTlsFiles(dir, "coordinator.crt", "coordinator.key"));
  // See the header for why a certificate is requested and verified but not required.
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = files.ca_pem;
  options.pem_key_cert_pairs.push_back({files.key_pem, files.cert_pem});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError(absl::StrCat(dir, ": gRPC refused the TLS files"));
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(const std::string& dir) {
  TM_ASSIGN_OR_RETURN(CheckedFiles files, ReadTlsFiles(dir, "agent.crt", "agent.key"));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = files.ca_pem;
  options.pem_cert_chain = files.cert_pem;
  options.pem_private_key = files.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError(absl::StrCat(dir, ": gRPC refused the TLS files"));
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> OperatorCredentials(const std::string& dir) {
  const std::string ca_file = dir + "/ca.crt";
  TM_ASSIGN_OR_RETURN(std::string ca_pem, ReadSmallFile(ca_file));
  TM_ASSIGN_OR_RETURN(std::vector<CertPtr> certs, ParseCertificates(ca_pem, ca_file));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError(absl::StrCat(ca_file, ": gRPC refused the CA file"));
  }
  return credentials;
}

absl::StatusOr<std::string> CertificateCommonName(const std::string& pem_file) {
  TM_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(pem_file));
  TM_ASSIGN_OR_RETURN(std::vector<CertPtr> certs, ParseCertificates(pem, pem_file));
  TM_ASSIGN_OR_RETURN(std::string common_name, SubjectCommonName(certs.front().get(), pem_file));
  // An empty name is no id at all: refused here rather than sent as one.
  if (common_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(pem_file, ": the certificate's common name (CN) is empty"));
  }
  return common_name;
}

}  // namespace tminus::net
