// Agent ids and coordinator host names: checked before any certificate names them.
#include "net/cert_names.h"

#include <algorithm>
#include <set>

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tminus::net {
namespace {

constexpr size_t kMaxAgentIdLength = 64;

bool IdChar(char c) { return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; }

// A printable rendering of `c` for a message.
std::string Shown(char c) {
  if (absl::ascii_isprint(c)) return absl::StrCat("'", std::string(1, c), "'");
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
  return hex;
}

// The canonical text of an IP address, or "" when `text` is not one.
std::string CanonicalIp(const std::string& text) {
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return inet_ntop(AF_INET, bytes, out, sizeof out) ? out : "";
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    return inet_ntop(AF_INET6, bytes, out, sizeof out) ? out : "";
  }
  return "";
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateAgentId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("an agent id cannot be empty");
  if (id.size() > kMaxAgentIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("agent id '", id, "' is ", id.size(),
                                                   " characters long; at most 64 are allowed"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IdChar(id[i])) {
      return absl::InvalidArgumentError(absl::StrCat("agent id '", id, "' has ", Shown(id[i]),
                                                     " at position ", i + 1,
                                                     "; use letters, digits, '.', '_' and '-'"));
    }
  }
  if (id.front() == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat("agent id '", id, "' starts with '.'; start it with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAgentIds(const std::vector<std::string>& ids) {
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (absl::Status s = ValidateAgentId(id); !s.ok()) return s;
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(absl::StrCat("agent id '", id, "' is given twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HostNames> CoordinatorHostNames(const std::vector<std::string>& hosts) {
  HostNames names;
  names.dns = {"localhost"};
  names.ip = {"127.0.0.1", "::1"};
  for (const std::string& host : hosts) {
    std::string bare = host;
    if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
      bare = bare.substr(1, bare.size() - 2);
    }
    if (std::string ip = CanonicalIp(bare); !ip.empty()) {
      if (std::find(names.ip.begin(), names.ip.end(), ip) == names.ip.end()) names.ip.push_back(ip);
      continue;
    }
    const std::string dns = absl::AsciiStrToLower(bare);
    if (!IsDnsName(dns)) {
      return absl::InvalidArgumentError(
          absl::StrCat("host '", host,
                       "' is neither an IP address nor a DNS name (letters, digits, '-' and "
                       "'.'); give the name or address agents use to reach the coordinator"));
    }
    if (std::find(names.dns.begin(), names.dns.end(), dns) == names.dns.end()) {
      names.dns.push_back(dns);
    }
  }
  return names;
}

}  // namespace tminus::net
