// The coordinator's HTTP server over real loopback sockets: answers given later and from
// other threads, request limits, event streams, and exchanges that outlive the server.
#include "control/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace tminus::control {
namespace {

// A blocking client socket with a receive timeout, so a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& text) {
    size_t at = 0;
    while (at < text.size()) {
      const ssize_t n = write(fd_, text.data() + at, text.size() - at);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }
  // Reads until `needle` has arrived or the server closes; what arrived.
  std::string ReadUntil(const std::string& needle) {
    while (received_.find(needle) == std::string::npos) {
      char buf[4096];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }
  // Reads until the server closes the connection; everything that arrived.
  std::string ReadToEnd() { return ReadUntil(std::string(1, '\0') + "never"); }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

std::unique_ptr<HttpServer> Serve(HttpServer::Handler handler) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start("127.0.0.1:0", std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServerTest, AnAnswerGivenLaterFromAnotherThreadReachesTheClient) {
  std::promise<std::shared_ptr<HttpExchange>> held;
  auto server = Serve([&held](std::shared_ptr<HttpExchange> e) { held.set_value(std::move(e)); });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.connected());
  client.Send("POST /api/x?y=1 HTTP/1.1\r\nHost: a\r\nCookie: a=1; tminus_session=abc\r\n"
              "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
  std::shared_ptr<HttpExchange> exchange = held.get_future().get();
  const HttpRequest& r = exchange->request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/api/x");
  EXPECT_EQ(r.query, "y=1");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Cookie("tminus_session"), "abc");
  EXPECT_EQ(r.Cookie("a"), "1");
  EXPECT_EQ(r.Cookie("missing"), "");
  EXPECT_EQ(r.peer.rfind("127.0.0.1:", 0), 0u) << r.peer;
  std::thread([exchange] {
    HttpResponse answer;
    answer.status = 201;
    answer.body = "made";
    answer.headers["Set-Cookie"] = "k=v";
    exchange->Respond(answer);
    exchange->Respond(HttpResponse{});  // only the first answer counts
  }).join();
  const std::string got = client.ReadToEnd();
  EXPECT_EQ(got.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Set-Cookie: k=v\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Cache-Control: no-store\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 4), "made");
  EXPECT_EQ(got.find("HTTP/1.1 200"), std::string::npos) << "a second answer was written: " << got;
}

TEST(HttpServerTest, KeepAliveServesTheNextRequestOnTheSameConnection) {
  auto server = Serve([](std::shared_ptr<HttpExchange> e) {
    HttpResponse r;
    r.body = "path " + e->request().path;
    e->Respond(r);
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.Send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(client.ReadUntil("path /one").find("path /one"), std::string::npos);
  client.Send("GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_NE(client.ReadToEnd().find("path /two"), std::string::npos);
}

TEST(HttpServerTest, ARequestOverTheLimitIsRefusedWithoutReachingTheHandler) {
  bool called = false;
  auto server = Serve([&called](std::shared_ptr<HttpExchange> e) {
    called = true;
    e->Respond(HttpResponse{});
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.Send("POST /api/login HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" +
              std::string(100000, 'x'));
  const std::string got = client.ReadToEnd();
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got.substr(0, 200);
  EXPECT_FALSE(called);
}

TEST(HttpServerTest, AnExchangeDroppedWithoutAnAnswerIsAnswered500) {
  auto server = Serve([](std::shared_ptr<HttpExchange>) {});
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.Send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const std::string got = client.ReadToEnd();
  EXPECT_EQ(got.rfind("HTTP/1.1 500", 0), 0u) << got;
  EXPECT_NE(got.find("without an answer"), std::string::npos) << got;
}

TEST(HttpServerTest, AnEventStreamCarriesChunksInOrderAndEndsWhenClosed) {
  std::promise<std::shared_ptr<HttpExchange>> held;
  auto server = Serve([&held](std::shared_ptr<HttpExchange> e) {
    e->OpenEvents();
    held.set_value(std::move(e));
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.Send("GET /api/events HTTP/1.1\r\nHost: a\r\n\r\n");
  std::shared_ptr<HttpExchange> stream = held.get_future().get();
  std::thread writer([stream] {
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(stream->Send("data: " + std::to_string(i) + "\n\n"));
    stream->Close();
  });
  writer.join();
  const std::string got = client.ReadToEnd();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", 0), 0u) << got;
  size_t at = 0;
  for (int i = 0; i < 100; ++i) {
    const size_t next = got.find("data: " + std::to_string(i) + "\n\n", at);
    ASSERT_NE(next, std::string::npos) << "chunk " << i << " is missing or out of order";
    at = next;
  }
}

TEST(HttpServerTest, AStreamWhoseClientLeftReportsItAndTheServerOutlivesNothing) {
  std::promise<std::shared_ptr<HttpExchange>> held;
  auto server = Serve([&held](std::shared_ptr<HttpExchange> e) {
    e->OpenEvents();
    held.set_value(std::move(e));
  });
  ASSERT_NE(server, nullptr);
  std::shared_ptr<HttpExchange> stream;
  {
    Client client(server->port());
    client.Send("GET /api/events HTTP/1.1\r\nHost: a\r\n\r\n");
    stream = held.get_future().get();
    client.ReadUntil("\r\n\r\n");
  }  // the client goes
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = !stream->Send("data: x\n\n");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "Send kept accepting chunks for a client that had left";
  // The server stops while the exchange is still held: later calls are no-ops.
  server.reset();
  EXPECT_FALSE(stream->Send("data: y\n\n"));
  stream->Close();
  stream->Respond(HttpResponse{});
}

TEST(HttpServerTest, ExchangesHeldPastTheServersEndAreHarmless) {
  std::promise<std::shared_ptr<HttpExchange>> held;
  auto server = Serve([&held](std::shared_ptr<HttpExchange> e) { held.set_value(std::move(e)); });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.Send("GET /api/status HTTP/1.1\r\nHost: a\r\n\r\n");
  std::shared_ptr<HttpExchange> exchange = held.get_future().get();
  server.reset();  // stops while the request waits for its answer (as on a coordinator's exit)
  exchange->Respond(HttpResponse{});
  exchange->OpenEvents();
  exchange->Send("data: late\n\n");
  exchange->Close();
  exchange.reset();  // the last reference: the connection closes now
  EXPECT_EQ(client.ReadToEnd().find("late"), std::string::npos);
}

TEST(HttpServerTest, AnAddressThatIsNotAnIpAndPortIsRefusedClearly) {
  auto bad = HttpServer::Start("localhost", [](std::shared_ptr<HttpExchange>) {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("not HOST:PORT"), std::string::npos);
  auto word = HttpServer::Start("example.org:80", [](std::shared_ptr<HttpExchange>) {});
  ASSERT_FALSE(word.ok());
  EXPECT_NE(std::string(word.status().message()).find("not an IP address and port"), std::string::npos);
}

}  // namespace
}  // namespace tminus::control
