#include "engine/executors/probes.h"

#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/executors/process_test_util.h"

namespace tminus {
namespace {

using testing::ClosedPort;
using ::testing::HasSubstr;
using testing::kBoundMs;
using testing::Listener;
using ::testing::StartsWith;

constexpr Millis kTimeout{10'000};

Probe Tcp(const std::string& address) {
  Probe probe;
  probe.kind = Probe::Kind::kTcp;
  probe.address.value = address;
  return probe;
}

Probe Http(const std::string& url, int status = 0) {
  Probe probe;
  probe.kind = Probe::Kind::kHttp;
  probe.url.value = url;
  probe.status.value = status;
  return probe;
}

Probe Dns(const std::string& name, const std::string& expect = "") {
  Probe probe;
  probe.kind = Probe::Kind::kDns;
  probe.name.value = name;
  probe.expect.value = expect;
  return probe;
}

// Serves one HTTP connection on 127.0.0.1 from its own thread: reads the request head,
// answers with `response` and closes. Joined on destruction.
class HttpResponder {
 public:
  explicit HttpResponder(std::string response) : response_(std::move(response)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpResponder() { thread_.join(); }

  std::string url(const std::string& path) const { return "http://" + listener_.address() + path; }
  int port() const { return listener_.port(); }
  // The request head as received; read it after the probe returned.
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    pollfd p{listener_.fd(), POLLIN, 0};
    if (poll(&p, 1, kBoundMs) != 1) return;
    const int connection = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return;
    char buffer[1024];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      pollfd readable{connection, POLLIN, 0};
      if (poll(&readable, 1, kBoundMs) != 1) break;
      const ssize_t got = recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0) break;
      request_.append(buffer, static_cast<size_t>(got));
    }
    [[maybe_unused]] ssize_t sent =
        send(connection, response_.data(), response_.size(), MSG_NOSIGNAL);
    close(connection);
  }

  Listener listener_;
  std::string response_;
  std::string request_;
  std::thread thread_;
};

TEST(ParseHostPortTest, AcceptsNamesV4AndBracketedV6) {
  auto parsed = ParseHostPort("db.internal:5432");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->host, "db.internal");
  EXPECT_EQ(parsed->port, 5432);

  parsed = ParseHostPort("[::1]:80");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->host, "::1");
  EXPECT_EQ(parsed->port, 80);

  parsed = ParseHostPort("[fe80::1]", 8080);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->port, 8080);
}

TEST(ParseHostPortTest, RejectsWithAReason) {
  EXPECT_EQ(ParseHostPort("db.internal").status().message(),
            "'db.internal' has no port; expected host:port or [v6]:port");
  EXPECT_THAT(std::string(ParseHostPort("::1:80").status().message()),
              HasSubstr("write it in brackets, as in '[::1]:80'"));
  EXPECT_THAT(std::string(ParseHostPort("db:0").status().message()), HasSubstr("invalid port '0'"));
  EXPECT_THAT(std::string(ParseHostPort("db:70000").status().message()),
              HasSubstr("invalid port '70000'"));
  EXPECT_THAT(std::string(ParseHostPort("db:http").status().message()),
              HasSubstr("invalid port 'http'"));
  EXPECT_THAT(std::string(ParseHostPort(":80").status().message()), HasSubstr("has no host"));
  EXPECT_THAT(std::string(ParseHostPort("[::1:80").status().message()),
              HasSubstr("no closing ']'"));
}

TEST(ParseHttpUrlTest, SplitsTheUrl) {
  auto url = ParseHttpUrl("http://example.com:8080/health?full=1#top");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->endpoint.host, "example.com");
  EXPECT_EQ(url->endpoint.port, 8080);
  EXPECT_EQ(url->authority, "example.com:8080");
  EXPECT_EQ(url->target, "/health?full=1");

  url = ParseHttpUrl("HTTP://[::1]");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->endpoint.host, "::1");
  EXPECT_EQ(url->endpoint.port, 80);
  EXPECT_EQ(url->target, "/");

  url = ParseHttpUrl("http://host?q=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->target, "/?q=1");
}

TEST(ParseHttpUrlTest, RejectsHttpsAndCredentials) {
  auto url = ParseHttpUrl("https://example.com/");
  EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(url.status().message()), StartsWith("https is not supported"));
  EXPECT_THAT(std::string(ParseHttpUrl("http://user:pw@host/").status().message()),
              HasSubstr("credentials in the url are not supported"));
  EXPECT_THAT(std::string(ParseHttpUrl("ftp://host/").status().message()),
              HasSubstr("is not an http url"));
}

TEST(TcpProbeTest, SucceedsAgainstAListeningSocket) {
  Listener listener;
  auto outcome = RunProbe(Tcp(listener.address()), kTimeout);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, "connected to 127.0.0.1 port " + std::to_string(listener.port()));
}

TEST(TcpProbeTest, ResolvesNames) {
  Listener listener;
  auto outcome = RunProbe(Tcp("localhost:" + std::to_string(listener.port())), kTimeout);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
}

TEST(TcpProbeTest, ClosedPortNamesHostAndCause) {
  const std::string address = "127.0.0.1:" + std::to_string(ClosedPort());
  auto outcome = RunProbe(Tcp(address), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcome.status().message(), "tcp probe '" + address + "': cannot connect to " +
                                            "127.0.0.1 port " + address.substr(10) +
                                            ": Connection refused");
}

TEST(TcpProbeTest, BracketedV6) {
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 4) != 0) {
    if (fd >= 0) close(fd);
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin6_port));
  auto outcome = RunProbe(Tcp("[::1]:" + port), kTimeout);
  close(fd);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, "connected to ::1 port " + port);
}

TEST(TcpProbeTest, MalformedAddress) {
  auto outcome = RunProbe(Tcp("no-port"), kTimeout);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(),
            "tcp probe 'no-port': 'no-port' has no port; expected host:port or [v6]:port");
}

TEST(TcpProbeTest, InterruptStopsIt) {
  const int interrupt = eventfd(1, EFD_CLOEXEC);  // already signalled
  ASSERT_GE(interrupt, 0);
  // A non-routable address keeps the connect pending until interrupted.
  auto outcome = RunProbe(Tcp("10.255.255.1:9"), Millis(60'000), interrupt);
  close(interrupt);
  ASSERT_FALSE(outcome.ok());
  // Depending on the network the connect fails at once or stays pending until cancelled.
  EXPECT_THAT(outcome.status().code(),
              ::testing::AnyOf(absl::StatusCode::kCancelled, absl::StatusCode::kUnavailable));
}

TEST(HttpProbeTest, ExpectedStatusIsOk) {
  HttpResponder server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  auto outcome = RunProbe(Http(server.url("/health?deep=1")), kTimeout);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, "HTTP/1.1 200 OK");
}

TEST(HttpProbeTest, SendsAPlainHttp11Get) {
  std::string request;
  {
    HttpResponder server("HTTP/1.1 204 No Content\r\n\r\n");
    auto outcome = RunProbe(Http(server.url("/health?deep=1"), 204), kTimeout);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    const std::string host = "Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n";
    request = server.request();
    EXPECT_THAT(request, HasSubstr(host));
  }
  EXPECT_THAT(request, StartsWith("GET /health?deep=1 HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("Connection: close\r\n"));
}

TEST(HttpProbeTest, OtherStatusFails) {
  HttpResponder server("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
  const std::string url = server.url("/");
  auto outcome = RunProbe(Http(url), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcome.status().message(),
            "http probe '" + url + "': status 503, expected 200 ('HTTP/1.1 503 Service " +
                "Unavailable' from 127.0.0.1 port " + std::to_string(server.port()) + ")");
}

TEST(HttpProbeTest, ExpectedErrorStatusIsOk) {
  HttpResponder server("HTTP/1.0 503 Service Unavailable\r\n\r\n");
  auto outcome = RunProbe(Http(server.url("/"), 503), kTimeout);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
}

TEST(HttpProbeTest, NotHttpFails) {
  HttpResponder server("SSH-2.0-OpenSSH_9.2\r\n");
  auto outcome = RunProbe(Http(server.url("/")), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("did not answer with an HTTP status line: 'SSH-2.0-OpenSSH_9.2'"));
}

TEST(HttpProbeTest, ClosedWithoutAnswerFails) {
  HttpResponder server("");
  auto outcome = RunProbe(Http(server.url("/")), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("closed the connection before a status line"));
}

TEST(HttpProbeTest, ClosedPortFails) {
  const std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/";
  auto outcome = RunProbe(Http(url), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("Connection refused"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("127.0.0.1"));
}

TEST(HttpProbeTest, SilentServerTimesOut) {
  Listener silent;  // the kernel accepts the connection; nobody answers
  auto outcome = RunProbe(Http("http://" + silent.address() + "/"), Millis(200));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("timed out after 200ms waiting for an answer from 127.0.0.1 port"));
}

TEST(HttpProbeTest, HttpsIsRefusedClearly) {
  auto outcome = RunProbe(Http("https://example.com/"), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outcome.status().message()),
              StartsWith("http probe 'https://example.com/': https is not supported"));
}

TEST(DnsProbeTest, LocalhostResolves) {
  auto outcome = RunProbe(Dns("localhost"), kTimeout);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_THAT(*outcome, StartsWith("localhost: "));
  EXPECT_THAT(*outcome, HasSubstr("127.0.0.1"));
}

TEST(DnsProbeTest, ExpectedAddressMustBeAmongTheAnswers) {
  EXPECT_TRUE(RunProbe(Dns("localhost", "127.0.0.1"), kTimeout).ok());
  auto outcome = RunProbe(Dns("localhost", "10.9.8.7"), kTimeout);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(outcome.status().message()),
              StartsWith("dns probe 'localhost': resolved to 127.0.0.1"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("not to 10.9.8.7"));
}

TEST(DnsProbeTest, NumericNamesResolveToThemselves) {
  EXPECT_TRUE(RunProbe(Dns("::1", "0:0::1"), kTimeout).ok());
}

TEST(DnsProbeTest, UnknownNameFails) {
  // `.invalid` never resolves; without a reachable DNS server this ends in the timeout.
  auto outcome = RunProbe(Dns("tminus-no-such-host.invalid"), Millis(3000));
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()),
              StartsWith("dns probe 'tminus-no-such-host.invalid': "));
  EXPECT_THAT(outcome.status().code(), ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                                        absl::StatusCode::kDeadlineExceeded));
}

TEST(DescribeDurationTest, WholeSecondsOrMilliseconds) {
  EXPECT_EQ(DescribeDuration(Millis(2000)), "2s");
  EXPECT_EQ(DescribeDuration(Millis(1500)), "1500ms");
  EXPECT_EQ(DescribeDuration(Millis(0)), "0s");
}

}  // namespace
}  // namespace tminus
