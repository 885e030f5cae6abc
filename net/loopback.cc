// Parsing gRPC addresses just far enough to tell a loopback host from any other.
#include "net/loopback.h"

#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"

namespace tminus::net {
namespace {

// (Debian's abseil has its own string_view type, so the helpers here use std's.)
bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(a[i]) != absl::ascii_tolower(b[i])) return false;
  }
  return true;
}

bool IsLoopbackHost(std::string_view host) {
  if (EqualsIgnoreCase(host, "localhost") || EqualsIgnoreCase(host, "localhost.")) {
    return true;
  }
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool IsPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// One "host", "host:port", "[v6]", "[v6]:port" or bare IPv6 address.
bool IsLoopbackHostPort(std::string_view address) {
  if (StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = address.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && IsPort(rest.substr(1)))) return false;
    return IsLoopbackHost(address.substr(1, close - 1));
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return IsLoopbackHost(address);
  if (address.find(':') != colon) return IsLoopbackHost(address);  // a bare IPv6 address
  if (!IsPort(address.substr(colon + 1))) return false;
  return IsLoopbackHost(address.substr(0, colon));
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (StartsWith(address, "unix:") || StartsWith(address, "unix-abstract:")) {
    return true;
  }
  for (std::string_view scheme : {"dns:///", "dns:"}) {
    if (StartsWith(address, scheme)) return IsLoopbackHostPort(address.substr(scheme.size()));
  }
  for (std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (!StartsWith(address, scheme)) continue;
    const std::string_view list = address.substr(scheme.size());
    if (list.empty()) return false;
    for (size_t start = 0;;) {
      const size_t comma = list.find(',', start);
      if (!IsLoopbackHostPort(list.substr(start, comma - start))) return false;
      if (comma == std::string_view::npos) return true;
      start = comma + 1;
    }
  }
  return IsLoopbackHostPort(address);
}

}  // namespace tminus::net
