// Whether a gRPC address stays on this host: plaintext (`--insecure`) is allowed only there.
#pragma once

#include <string_view>

namespace tminus::net {

// True for 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) and localhost, with or without a port
// ("127.0.0.1:7443", "localhost:7443", "[::1]:7443"), after an optional "dns:///", "dns:",
// "ipv4:" or "ipv6:" scheme (every address of an "ipv4:a,b" list must be loopback), and for
// "unix:" and "unix-abstract:" sockets. False for wildcard addresses ("0.0.0.0:7443",
// "[::]:7443", ":7443"), any other host, and anything that does not parse.
bool IsLoopbackAddress(std::string_view address);

}  // namespace tminus::net
