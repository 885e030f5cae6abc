#include "engine/executors/probes.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "engine/executors/unique_fd.h"

namespace tminus {
namespace {

using Clock = std::chrono::steady_clock;

// The longest status line the http probe reads before giving up on the answer.
constexpr size_t kMaxStatusLine = 8192;

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

struct AddrInfoFree {
  void operator()(addrinfo* list) const {
    if (list != nullptr) freeaddrinfo(list);
  }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoFree>;

// "127.0.0.1", "::1".
std::string NumericHost(const sockaddr* address, socklen_t length) {
  char host[NI_MAXHOST];
  if (getnameinfo(address, length, host, sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0) {
    return "?";
  }
  return host;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// How long a probe may still take, and how it is interrupted.
class Budget {
 public:
  Budget(Millis timeout, int interrupt_fd)
      : deadline_(Clock::now() + timeout), timeout_(timeout), interrupt_fd_(interrupt_fd) {}

  absl::Status Expired(std::string_view doing) const {
    return absl::DeadlineExceededError("timed out after " + DescribeDuration(timeout_) + " " +
                                       std::string(doing));
  }

  // Waits until `fd` reports one of `events`. Fails when the deadline passes or the
  // interrupt descriptor becomes readable.
  absl::Status WaitFor(int fd, short events, std::string_view doing) const {
    while (true) {
      pollfd fds[2] = {{fd, events, 0}, {interrupt_fd_, POLLIN, 0}};
      const nfds_t count = interrupt_fd_ >= 0 ? 2 : 1;
      const int rc = poll(fds, count, RemainingMs());
      if (rc < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError("cannot wait " + std::string(doing) + ": " +
                                      ErrnoText(errno));
      }
      if (count == 2 && fds[1].revents != 0) return absl::CancelledError("cancelled");
      if (fds[0].revents != 0) return absl::OkStatus();
      if (Clock::now() >= deadline_) return Expired(doing);
    }
  }

 private:
  int RemainingMs() const {
    const auto left = std::chrono::ceil<Millis>(deadline_ - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
  }

  Clock::time_point deadline_;
  Millis timeout_;
  int interrupt_fd_;
};

// One getaddrinfo call, shared by the probe that waits for it and the thread that makes
// it: the probe may give up (timeout, cancel) while the resolver is still blocked, and
// whichever lets go last frees the answer.
struct Resolution {
  std::mutex mutex;
  bool done = false;
  int rc = 0;
  int saved_errno = 0;
  addrinfo* answer = nullptr;
  UniqueFd ready_read;  // readable once `done`
  UniqueFd ready_write;

  ~Resolution() {
    if (answer != nullptr) freeaddrinfo(answer);
  }
};

absl::Status ResolveError(std::string_view host, int rc, int saved_errno) {
  const std::string cause = rc == EAI_SYSTEM ? ErrnoText(saved_errno) : gai_strerror(rc);
  return absl::UnavailableError("cannot resolve '" + std::string(host) + "': " + cause);
}

// Resolves `host` for stream sockets (`port` 0: no service). Numeric addresses are
// answered at once; names are resolved on a helper thread so that the deadline and the
// interrupt descriptor hold even while the system resolver blocks.
absl::StatusOr<AddrInfoList> Resolve(const std::string& host, int port, const Budget& budget) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  const std::string service = port > 0 ? std::to_string(port) : std::string();
  const char* service_arg = port > 0 ? service.c_str() : nullptr;

  addrinfo* answer = nullptr;
  int rc = getaddrinfo(host.c_str(), service_arg, &hints, &answer);
  if (rc == 0) return AddrInfoList(answer);
  if (rc != EAI_NONAME) return ResolveError(host, rc, errno);

  hints.ai_flags = AI_NUMERICSERV;
  auto state = std::make_shared<Resolution>();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::UnavailableError("cannot resolve '" + host +
                                  "': cannot create a pipe: " + ErrnoText(errno));
  }
  state->ready_read = UniqueFd(fds[0]);
  state->ready_write = UniqueFd(fds[1]);
  try {
    std::thread([state, host, service, port, hints] {
      addrinfo* found = nullptr;
      const int result =
          getaddrinfo(host.c_str(), port > 0 ? service.c_str() : nullptr, &hints, &found);
      const int saved_errno = errno;
      std::lock_guard<std::mutex> lock(state->mutex);
      state->rc = result;
      state->saved_errno = saved_errno;
      state->answer = found;
      state->done = true;
      const char byte = 1;
      [[maybe_unused]] ssize_t written = write(state->ready_write.get(), &byte, 1);
    }).detach();
  } catch (const std::system_error& e) {
    return absl::UnavailableError("cannot resolve '" + host +
                                  "': cannot start a thread: " + e.what());
  }
  absl::Status waited = budget.WaitFor(state->ready_read.get(), POLLIN, "resolving '" + host + "'");
  if (!waited.ok()) return waited;
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->rc != 0) return ResolveError(host, state->rc, state->saved_errno);
  return AddrInfoList(std::exchange(state->answer, nullptr));
}

struct Connection {
  UniqueFd fd;
  std::string peer;  // "127.0.0.1 port 80"
};

// Connects to the first address of `endpoint` that accepts, trying them in order.
absl::StatusOr<Connection> Connect(const HostPort& endpoint, const Budget& budget) {
  absl::StatusOr<AddrInfoList> addresses = Resolve(endpoint.host, endpoint.port, budget);
  if (!addresses.ok()) return addresses.status();
  std::vector<std::string> failures;
  for (const addrinfo* ai = addresses->get(); ai != nullptr; ai = ai->ai_next) {
    const std::string peer =
        NumericHost(ai->ai_addr, ai->ai_addrlen) + " port " + std::to_string(endpoint.port);
    UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      failures.push_back("cannot open a socket for " + peer + ": " + ErrnoText(errno));
      continue;
    }
    int error = 0;
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        absl::Status waited = budget.WaitFor(fd.get(), POLLOUT, "connecting to " + peer);
        if (!waited.ok()) return waited;
        socklen_t length = sizeof(error);
        if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      }
    }
    if (error == 0) return Connection{std::move(fd), peer};
    failures.push_back("cannot connect to " + peer + ": " + ErrnoText(error));
  }
  if (failures.empty()) {
    return absl::UnavailableError("'" + endpoint.host + "' resolved to no address");
  }
  return absl::UnavailableError(Join(failures, "; "));
}

absl::StatusOr<std::string> TcpProbe(const Probe& probe, const Budget& budget) {
  absl::StatusOr<HostPort> endpoint = ParseHostPort(probe.address.value);
  if (!endpoint.ok()) return endpoint.status();
  absl::StatusOr<Connection> connection = Connect(*endpoint, budget);
  if (!connection.ok()) return connection.status();
  return "connected to " + connection->peer;
}

absl::Status SendAll(const Connection& connection, std::string_view data, const Budget& budget) {
  while (!data.empty()) {
    const ssize_t sent = send(connection.fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      data.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError("cannot send the request to " + connection.peer + ": " +
                                    ErrnoText(errno));
    }
    absl::Status waited =
        budget.WaitFor(connection.fd.get(), POLLOUT, "sending the request to " + connection.peer);
    if (!waited.ok()) return waited;
  }
  return absl::OkStatus();
}

// Reads until the end of the first line of the answer.
absl::StatusOr<std::string> ReadStatusLine(const Connection& connection, const Budget& budget) {
  std::string received;
  char buffer[1024];
  while (true) {
    const size_t end = received.find('\n');
    if (end != std::string::npos) {
      std::string line = received.substr(0, end);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (received.size() > kMaxStatusLine) {
      return absl::FailedPreconditionError(connection.peer + " sent a status line longer than " +
                                           std::to_string(kMaxStatusLine) + " bytes");
    }
    const ssize_t got = recv(connection.fd.get(), buffer, sizeof(buffer), 0);
    if (got > 0) {
      received.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got == 0) {
      return absl::UnavailableError(connection.peer + " closed the connection before a status " +
                                    "line");
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError("cannot read the answer from " + connection.peer + ": " +
                                    ErrnoText(errno));
    }
    absl::Status waited = budget.WaitFor(connection.fd.get(), POLLIN,
                                         "waiting for an answer from " + connection.peer);
    if (!waited.ok()) return waited;
  }
}

// "HTTP/1.1 503 Service Unavailable" -> 503; -1 when it is not a status line.
int StatusCode(std::string_view line) {
  if (line.substr(0, 5) != "HTTP/") return -1;
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return -1;
  const std::string_view digits = line.substr(space + 1, 3);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return -1;
  }
  if (line.size() > space + 4 && line[space + 4] != ' ') return -1;
  return std::stoi(std::string(digits));
}

absl::StatusOr<std::string> HttpProbe(const Probe& probe, const Budget& budget) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(probe.url.value);
  if (!url.ok()) return url.status();
  const int expected = probe.status.value > 0 ? probe.status.value : 200;
  absl::StatusOr<Connection> connection = Connect(url->endpoint, budget);
  if (!connection.ok()) return connection.status();
  const std::string request = "GET " + url->target + " HTTP/1.1\r\nHost: " + url->authority +
                              "\r\nUser-Agent: tminus-probe\r\nAccept: */*\r\n"
                              "Connection: close\r\n\r\n";
  absl::Status sent = SendAll(*connection, request, budget);
  if (!sent.ok()) return sent;
  absl::StatusOr<std::string> line = ReadStatusLine(*connection, budget);
  if (!line.ok()) return line.status();
  const int status = StatusCode(*line);
  if (status < 0) {
    return absl::FailedPreconditionError(connection->peer + " did not answer with an HTTP " +
                                         "status line: '" + line->substr(0, 80) + "'");
  }
  if (status != expected) {
    return absl::FailedPreconditionError("status " + std::to_string(status) + ", expected " +
                                         std::to_string(expected) + " ('" + *line + "' from " +
                                         connection->peer + ")");
  }
  return *line;
}

// The canonical text of an address ("0:0::1" -> "::1"), or `text` when it is not one.
std::string CanonicalAddress(const std::string& text) {
  unsigned char binary[sizeof(in6_addr)];
  char canonical[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), binary) == 1 &&
      inet_ntop(AF_INET, binary, canonical, sizeof(canonical)) != nullptr) {
    return canonical;
  }
  if (inet_pton(AF_INET6, text.c_str(), binary) == 1 &&
      inet_ntop(AF_INET6, binary, canonical, sizeof(canonical)) != nullptr) {
    return canonical;
  }
  return text;
}

absl::StatusOr<std::string> DnsProbe(const Probe& probe, const Budget& budget) {
  const std::string& name = probe.name.value;
  if (name.empty()) return absl::InvalidArgumentError("the name is empty");
  absl::StatusOr<AddrInfoList> answer = Resolve(name, 0, budget);
  if (!answer.ok()) return answer.status();
  std::vector<std::string> addresses;
  for (const addrinfo* ai = answer->get(); ai != nullptr; ai = ai->ai_next) {
    std::string address = NumericHost(ai->ai_addr, ai->ai_addrlen);
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(std::move(address));
    }
  }
  const std::string found = Join(addresses, ", ");
  if (!probe.expect.value.empty()) {
    const std::string expected = CanonicalAddress(probe.expect.value);
    if (std::find(addresses.begin(), addresses.end(), expected) == addresses.end()) {
      return absl::FailedPreconditionError("resolved to " + found + ", not to " + expected);
    }
  }
  return name + ": " + found;
}

absl::StatusOr<std::string> Prefixed(const std::string& prefix,
                                     absl::StatusOr<std::string> outcome) {
  if (outcome.ok()) return outcome;
  return absl::Status(outcome.status().code(),
                      prefix + ": " + std::string(outcome.status().message()));
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string DescribeDuration(Millis duration) {
  const int64_t ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, std::optional<int> default_port) {
  const std::string quoted = "'" + std::string(text) + "'";
  const std::string expected =
      default_port ? "host[:port] or [v6][:port]" : "host:port or [v6]:port";
  HostPort out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(quoted + " has no closing ']'; expected " + expected);
    }
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(quoted + " has text after ']'; expected " + expected);
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError(quoted + " looks like an IPv6 address; write it in " +
                                        "brackets, as in '[::1]:80'");
    }
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(quoted + " has no host; expected " + expected);
  }
  if (!has_port) {
    if (!default_port) {
      return absl::InvalidArgumentError(quoted + " has no port; expected " + expected);
    }
    out.port = *default_port;
    return out;
  }
  if (!AllDigits(port_text) || port_text.size() > 5 || std::stoi(std::string(port_text)) < 1 ||
      std::stoi(std::string(port_text)) > 65535) {
    return absl::InvalidArgumentError(quoted + " has an invalid port '" + std::string(port_text) +
                                      "'; expected a number from 1 to 65535");
  }
  out.port = std::stoi(std::string(port_text));
  return out;
}

absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  const auto starts_with = [&url](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  if (starts_with("https://")) {
    return absl::InvalidArgumentError(
        "https is not supported by the built-in http probe; use a tcp probe on the port, or a "
        "command such as 'curl -fsS URL'");
  }
  if (!starts_with("http://")) {
    return absl::InvalidArgumentError("'" + std::string(url) +
                                      "' is not an http url; expected http://host[:port]/path");
  }
  std::string_view rest = url.substr(7);
  const size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  const size_t path = rest.find_first_of("/?");
  HttpUrl out;
  out.authority = std::string(rest.substr(0, path));
  out.target = path == std::string_view::npos ? "/" : std::string(rest.substr(path));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (out.authority.find('@') != std::string::npos) {
    return absl::InvalidArgumentError(
        "credentials in the url are not supported; use a command "
        "with the credentials in a secret");
  }
  absl::StatusOr<HostPort> endpoint = ParseHostPort(out.authority, 80);
  if (!endpoint.ok()) return endpoint.status();
  out.endpoint = std::move(*endpoint);
  return out;
}

absl::StatusOr<std::string> RunProbe(const Probe& probe, Millis timeout, int interrupt_fd) {
  const Budget budget(timeout, interrupt_fd);
  switch (probe.kind) {
    case Probe::Kind::kTcp:
      return Prefixed("tcp probe '" + probe.address.value + "'", TcpProbe(probe, budget));
    case Probe::Kind::kHttp:
      return Prefixed("http probe '" + probe.url.value + "'", HttpProbe(probe, budget));
    case Probe::Kind::kDns:
      return Prefixed("dns probe '" + probe.name.value + "'", DnsProbe(probe, budget));
  }
  return absl::InvalidArgumentError("unknown probe kind " +
                                    std::to_string(static_cast<int>(probe.kind)));
}

}  // namespace tminus
