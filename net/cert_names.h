// What may name an agent (its id, which is its certificate's common name and a folder name
// under agents/) and the coordinator (the host names and IP addresses in its certificate).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::net {

// 1 to 64 characters of [A-Za-z0-9._-], not starting with '.'. INVALID_ARGUMENT naming the
// id and what is wrong with it otherwise.
absl::Status ValidateAgentId(const std::string& id);

// Every id valid and none given twice.
absl::Status ValidateAgentIds(const std::vector<std::string>& ids);

// The coordinator's certificate names: DNS names and IP addresses (in canonical text).
struct HostNames {
  std::vector<std::string> dns;
  std::vector<std::string> ip;
};

// localhost, 127.0.0.1 and ::1, then each of `hosts` (a DNS name, an IPv4 or IPv6 address,
// the latter optionally in brackets), without duplicates. INVALID_ARGUMENT naming a host that
// is neither an IP address nor a DNS name.
absl::StatusOr<HostNames> CoordinatorHostNames(const std::vector<std::string>& hosts);

}  // namespace tminus::net
