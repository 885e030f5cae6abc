// The CA folder: what `tminus certs init` and `tminus certs add-agent` write, and in which
// order, so that a crash or a second run never leaves a half-made CA that looks whole.
#include "net/certs.h"

#include <utility>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "engine/base/status.h"
#include "net/cert_names.h"
#include "net/pem.h"
#include "net/secure_file.h"
#include "net/x509_issue.h"

namespace tminus::net {
namespace {

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;
// Certificates start a little in the past so that a host whose clock is slightly behind
// still accepts them.
constexpr auto kBackdate = std::chrono::minutes(5);

struct KeyAndCert {
  KeyPtr key;
  CertPtr cert;
};

struct Period {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

Period PeriodFromNow(std::chrono::hours validity) {
  const auto now = std::chrono::system_clock::now();
  return {now - kBackdate, now + validity};
}

absl::StatusOr<KeyAndCert> Make(CertificateRole role, const std::string& common_name,
                                const Period& period, const Issuer* issuer,
                                const HostNames* names = nullptr) {
  CertificateRequest request;
  request.role = role;
  request.common_name = common_name;
  request.not_before = period.not_before;
  request.not_after = period.not_after;
  if (names != nullptr) {
    request.dns_names = names->dns;
    request.ip_addresses = names->ip;
  }
  TM_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey());
  TM_ASSIGN_OR_RETURN(CertPtr cert, IssueCertificate(request, key.get(), issuer));
  return KeyAndCert{std::move(key), std::move(cert)};
}

// "certs/" names the folder "certs" (what shell completion types).
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string AgentFolder(const std::string& id) { return "agents/" + id; }

// An agent's folder: the CA to check the coordinator with, its certificate and key.
absl::StatusOr<std::vector<NewFile>> AgentFiles(const std::string& id, const std::string& ca_pem,
                                                const Period& period, const Issuer& ca) {
  TM_ASSIGN_OR_RETURN(KeyAndCert agent, Make(CertificateRole::kAgent, id, period, &ca));
  return std::vector<NewFile>{
      {"ca.crt", ca_pem, kCertMode},
      {"agent.crt", CertificateToPem(agent.cert.get()), kCertMode},
      {"agent.key", PrivateKeyToPem(agent.key.get()), kKeyMode},
  };
}

absl::Status RefuseExistingAgents(const std::string& dir, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    const std::string folder = Join(dir, AgentFolder(id));
    if (Exists(folder)) {
      return absl::AlreadyExistsError(
          absl::StrCat(folder, ": already exists: agent '", id,
                       "' has certificates already; remove the folder first to issue new ones"));
    }
  }
  return absl::OkStatus();
}

// Writes each agent's folder whole, under DIR/agents (made if missing).
absl::Status WriteAgentFolders(const std::string& dir, const std::vector<std::string>& ids,
                               const std::string& ca_pem, const Period& period, const Issuer& ca,
                               CreatedFiles* created) {
  if (ids.empty()) return absl::OkStatus();
  TM_RETURN_IF_ERROR(EnsurePrivateDirectory(Join(dir, "agents")));
  for (const std::string& id : ids) {
    TM_ASSIGN_OR_RETURN(std::vector<NewFile> files, AgentFiles(id, ca_pem, period, ca));
    const std::string folder = Join(dir, AgentFolder(id));
    TM_RETURN_IF_ERROR(WriteNewDirectory(folder, files));
    for (const NewFile& file : files) created->push_back(Join(folder, file.relative_path));
  }
  return absl::OkStatus();
}

// A file of the CA folder that cannot be used is a problem with the folder (exit 2), not
// with what the user typed: keep the message, drop INVALID_ARGUMENT.
absl::Status AsFolderProblem(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  return absl::FailedPreconditionError(status.message());
}

}  // namespace

absl::StatusOr<CreatedFiles> InitCertificates(const std::string& dir_arg,
                                              const CertsOptions& options) {
  const std::string dir = WithoutTrailingSlash(dir_arg);
  TM_RETURN_IF_ERROR(ValidateAgentIds(options.agent_ids));
  TM_ASSIGN_OR_RETURN(HostNames hosts, CoordinatorHostNames(options.coordinator_hosts));
  if (dir.empty()) return absl::FailedPreconditionError("the certificate folder name is empty");
  struct stat st;
  const bool dir_exists = ::stat(dir.c_str(), &st) == 0;
  if (dir_exists && !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, ": exists and is not a folder"));
  }
  if (dir_exists) {
    if (Exists(Join(dir, "ca.key"))) {
      return absl::AlreadyExistsError(absl::StrCat(
          Join(dir, "ca.key"), ": already exists: ", dir,
          " holds a CA already; nothing was changed. Issue more agents with 'tminus certs "
          "add-agent ",
          dir, " ID...', or choose a new folder"));
    }
    for (const char* name : {"ca.crt", "coordinator.crt", "coordinator.key"}) {
      if (Exists(Join(dir, name))) {
        return absl::AlreadyExistsError(
            absl::StrCat(Join(dir, name), ": already exists; nothing was changed"));
      }
    }
    TM_RETURN_IF_ERROR(RefuseExistingAgents(dir, options.agent_ids));
  }

  const Period period = PeriodFromNow(options.validity);
  TM_ASSIGN_OR_RETURN(KeyAndCert ca,
                      Make(CertificateRole::kAuthority, "tminus CA", period, nullptr));
  const Issuer issuer{ca.cert.get(), ca.key.get()};
  TM_ASSIGN_OR_RETURN(KeyAndCert coordinator, Make(CertificateRole::kCoordinator,
                                                   "tminus coordinator", period, &issuer, &hosts));
  const std::string ca_pem = CertificateToPem(ca.cert.get());
  // ca.key goes last: a folder with a ca.key holds a whole CA.
  std::vector<NewFile> top = {
      {"ca.crt", ca_pem, kCertMode},
      {"coordinator.crt", CertificateToPem(coordinator.cert.get()), kCertMode},
      {"coordinator.key", PrivateKeyToPem(coordinator.key.get()), kKeyMode},
      {"ca.key", PrivateKeyToPem(ca.key.get()), kKeyMode},
  };
  CreatedFiles created;
  if (!dir_exists) {
    // All at once: the folder appears with everything in it, or not at all.
    std::vector<NewFile> all = top;
    for (const std::string& id : options.agent_ids) {
      TM_ASSIGN_OR_RETURN(std::vector<NewFile> files, AgentFiles(id, ca_pem, period, issuer));
      for (NewFile& file : files) {
        file.relative_path = AgentFolder(id) + "/" + file.relative_path;
        all.push_back(std::move(file));
      }
    }
    TM_RETURN_IF_ERROR(WriteNewDirectory(dir, all));
    for (const NewFile& file : all) created.push_back(Join(dir, file.relative_path));
    return created;
  }
  for (const NewFile& file : top) {
    TM_RETURN_IF_ERROR(WriteNewFile(Join(dir, file.relative_path), file.content, file.mode));
    created.push_back(Join(dir, file.relative_path));
  }
  TM_RETURN_IF_ERROR(WriteAgentFolders(dir, options.agent_ids, ca_pem, period, issuer, &created));
  return created;
}

absl::StatusOr<CreatedFiles> AddAgentCertificates(const std::string& dir_arg,
                                                  const std::vector<std::string>& agent_ids,
                                                  std::chrono::hours validity) {
  const std::string dir = WithoutTrailingSlash(dir_arg);
  if (agent_ids.empty()) return absl::InvalidArgumentError("no agent id given");
  TM_RETURN_IF_ERROR(ValidateAgentIds(agent_ids));
  const std::string ca_crt = Join(dir, "ca.crt");
  const std::string ca_key = Join(dir, "ca.key");
  TM_ASSIGN_OR_RETURN(std::string ca_pem, ReadSmallFile(ca_crt));
  TM_ASSIGN_OR_RETURN(std::string key_pem, ReadSmallFile(ca_key));
  absl::StatusOr<std::vector<CertPtr>> certs = ParseCertificates(ca_pem, ca_crt);
  if (!certs.ok()) return AsFolderProblem(certs.status());
  absl::StatusOr<KeyPtr> key = ParsePrivateKey(key_pem, ca_key);
  if (!key.ok()) return AsFolderProblem(key.status());
  X509* ca_cert = certs->front().get();
  TM_RETURN_IF_ERROR(CheckKeyMatches(ca_cert, key->get(), ca_crt, ca_key));
  if (X509_check_ca(ca_cert) < 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(ca_crt, ": is not a CA certificate (basicConstraints CA:TRUE)"));
  }
  TM_RETURN_IF_ERROR(RefuseExistingAgents(dir, agent_ids));
  const Issuer issuer{ca_cert, key->get()};
  CreatedFiles created;
  TM_RETURN_IF_ERROR(
      WriteAgentFolders(dir, agent_ids, ca_pem, PeriodFromNow(validity), issuer, &created));
  return created;
}

}  // namespace tminus::net
