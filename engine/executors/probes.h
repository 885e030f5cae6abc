// The built-in probes a step can run instead of a command: `tcp` (a connection is
// accepted), `http` (a plain GET answers with the expected status) and `dns` (a name
// resolves, optionally to an expected address). Each call blocks the calling thread, for
// at most its timeout, so executors run probes on their own worker threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/base/scheduler.h"
#include "engine/model/runbook.h"

namespace tminus {

// Runs `probe` on the calling thread for at most `timeout` (which must be positive).
// When `interrupt_fd` is not -1 the probe also stops as soon as that descriptor becomes
// readable (the executor's cancel signal); it is only polled, never read.
//
// On success returns what was observed, for the attempt's output: "connected to
// 127.0.0.1 port 80", "HTTP/1.1 200 OK", "localhost: 127.0.0.1, ::1". Errors name the
// probe, the host and the cause:
//   InvalidArgument     malformed address or url, or https
//   Unavailable         the name does not resolve or no address accepts the connection
//   FailedPrecondition  it answered, but not as expected (status, address)
//   DeadlineExceeded    `timeout` passed
//   Cancelled           `interrupt_fd` became readable
absl::StatusOr<std::string> RunProbe(const Probe& probe, Millis timeout, int interrupt_fd = -1);

struct HostPort {
  std::string host;  // without brackets: "::1", "db.internal", "10.0.0.5"
  int port = 0;
};

// Parses "host:port" or "[v6]:port"; the port may be left out when `default_port` is
// given ("host", "[v6]").
absl::StatusOr<HostPort> ParseHostPort(std::string_view text,
                                       std::optional<int> default_port = std::nullopt);

struct HttpUrl {
  HostPort endpoint;      // port 80 unless given
  std::string authority;  // as written, for the Host header: "example.com:8080"
  std::string target;     // the request target: "/health?full=1" ("/" when empty)
};

// Parses "http://host[:port][/path][?query]" (a fragment is dropped). https and
// credentials in the url are rejected with an error that says so.
absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

// A duration for messages: "2s" for whole seconds, otherwise "1500ms".
std::string DescribeDuration(Millis duration);

}  // namespace tminus
