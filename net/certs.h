// A private CA for mutual TLS between the coordinator and its agents: `tminus certs init`
// creates it with the coordinator's certificate and a folder per agent, `tminus certs
// add-agent` issues more agents from it. The layout, in DIR:
//
//   ca.crt, ca.key                  the CA (ca.key stays here: it issues agents)
//   coordinator.crt, coordinator.key   what `tminus run --tls-dir DIR` serves with
//   agents/ID/ca.crt, agent.crt, agent.key   what `tminus-agent --tls-dir` reads on host ID
//
// Keys are PEM (PKCS#8), created mode 0600; folders 0700. Nothing is ever overwritten, and a
// crash never leaves a partly written file: each file, and each agent's folder, appears whole.
//
// Errors: INVALID_ARGUMENT for a bad agent id or host name (the message names it); any
// other code for the file system or an existing CA (the message names the file).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tminus::net {

// 825 days: the most some TLS clients (Apple's) accept for a server certificate.
inline constexpr std::chrono::hours kDefaultValidity{24 * 825};

struct CertsOptions {
  // Names agents may dial the coordinator by (DNS names or IP addresses), beyond localhost,
  // 127.0.0.1 and ::1 which are always in its certificate.
  std::vector<std::string> coordinator_hosts;
  // An agent folder for each (see ValidateAgentId in net/cert_names.h).
  std::vector<std::string> agent_ids;
  // How long certificates are valid from now (each also starts 5 minutes in the past, so
  // that a host whose clock is a little behind accepts it).
  std::chrono::hours validity = kDefaultValidity;
};

// The files a call created, in the order written (paths under DIR).
using CreatedFiles = std::vector<std::string>;

// Creates the CA, the coordinator's certificate and each agent's folder in `dir`, creating
// `dir` (0700) when missing; a new `dir` appears whole or not at all. Refuses a `dir` that
// already holds a ca.key, or any of the files it would write.
absl::StatusOr<CreatedFiles> InitCertificates(const std::string& dir, const CertsOptions& options);

// Issues a folder under DIR/agents for each id from the CA in `dir` (ca.crt, ca.key).
// Refuses an id whose folder exists; checks every id before writing anything.
absl::StatusOr<CreatedFiles> AddAgentCertificates(const std::string& dir,
                                                  const std::vector<std::string>& agent_ids,
                                                  std::chrono::hours validity = kDefaultValidity);

}  // namespace tminus::net
