#include "control/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <deque>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tminus::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxBody = 64 * 1024;
constexpr size_t kMaxHeader = 16 * 1024;
constexpr size_t kMaxEventBacklog = 4 * 1024 * 1024;
constexpr auto kRequestTime = std::chrono::seconds(10);

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context io{1};
  // What other threads hand to the server's thread goes through this strand, which runs it
  // in the order it was handed over. A plain post to the io_context does not promise that:
  // one made from inside a running handler (OpenEvents in the request handler) can run
  // after one another thread made later (the first Send).
  asio::strand<asio::io_context::executor_type> inbox{asio::make_strand(io)};
  tcp::acceptor acceptor{io};
  Handler handler;

  void Accept();
};

namespace {

// One connection: read a request, hand it over, write its answer, and read the next one,
// until the client closes or goes quiet; or, once a request became an event stream, write
// its chunks until either side ends it. Runs on the server's thread alone.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl* impl) : stream_(std::move(socket)), impl_(impl) {}

  void Read();
  void Write(HttpResponse answer);
  void BeginEvents();
  void Push(std::string chunk);
  void EndEvents();

  // Set once the client of an event stream has gone or was cut off; read by exchanges.
  const std::shared_ptr<std::atomic<bool>>& gone() const { return gone_; }

 private:
  void OnRead(beast::error_code ec);
  void WriteNext();
  void Drop();
  void WatchForClose();

  beast::tcp_stream stream_;
  HttpServer::Impl* impl_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  // The event stream, once the request became one.
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool ending_ = false;
  char scratch_[256];
  std::shared_ptr<std::atomic<bool>> gone_ = std::make_shared<std::atomic<bool>>(false);
};

// Hands answers to its connection on the server's thread. Holds the server's state (so the
// io_context outlives every post) and the connection, which lives until it is answered
// (or its event stream ends) and is released on the server's thread.
class Exchange : public HttpExchange {
 public:
  Exchange(std::shared_ptr<HttpServer::Impl> impl, std::shared_ptr<Connection> connection,
           HttpRequest request, std::shared_ptr<std::atomic<bool>> gone)
      : impl_(std::move(impl)),
        connection_(std::move(connection)),
        request_(std::move(request)),
        gone_(std::move(gone)) {}

  ~Exchange() override {
    if (!answered_.load()) {
      HttpResponse r;
      r.status = 500;
      r.body = "the coordinator dropped this request without an answer\n";
      Respond(std::move(r));
    }
    asio::post(impl_->inbox, [connection = std::move(connection_)] {});
  }

  const HttpRequest& request() const override { return request_; }

  void Respond(HttpResponse response) override {
    if (answered_.exchange(true)) return;
    OnServerThread([response = std::move(response)](Connection& c) mutable { c.Write(std::move(response)); });
  }

  void OpenEvents() override {
    if (answered_.exchange(true)) return;
    OnServerThread([](Connection& c) { c.BeginEvents(); });
  }

  bool Send(std::string chunk) override {
    if (gone_->load()) return false;
    OnServerThread([chunk = std::move(chunk)](Connection& c) mutable { c.Push(std::move(chunk)); });
    return true;
  }

  void Close() override {
    OnServerThread([](Connection& c) { c.EndEvents(); });
  }

 private:
  template <typename F>
  void OnServerThread(F f) {
    asio::post(impl_->inbox, [c = connection_, f = std::move(f)]() mutable { f(*c); });
  }

  const std::shared_ptr<HttpServer::Impl> impl_;
  std::shared_ptr<Connection> connection_;
  const HttpRequest request_;
  const std::shared_ptr<std::atomic<bool>> gone_;
  std::atomic<bool> answered_{false};
};

void Connection::Read() {
  parser_.emplace();
  parser_->body_limit(kMaxBody);
  parser_->header_limit(kMaxHeader);
  stream_.expires_after(kRequestTime);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

void Connection::OnRead(beast::error_code ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    HttpResponse r;
    r.status = 413;
    r.body = "request too large: the limit is 64 KB\n";
    keep_alive_ = false;
    Write(std::move(r));
    return;
  }
  if (ec) {
    Drop();
    return;
  }
  const http::request<http::string_body>& in = parser_->get();
  HttpRequest request;
  request.method = std::string(in.method_string());
  const std::string target(in.target());
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  for (const auto& field : in) {
    request.headers[absl::AsciiStrToLower(std::string(field.name_string()))] = std::string(field.value());
  }
  request.body = in.body();
  beast::error_code ignored;
  const tcp::endpoint peer = stream_.socket().remote_endpoint(ignored);
  request.peer = absl::StrCat(peer.address().to_string(), ":", peer.port());
  keep_alive_ = in.keep_alive();
  response_ = {};
  response_.version(in.version());
  stream_.expires_never();  // the handler may take its time (an act waits for the strand)
  impl_->handler(std::make_shared<Exchange>(impl_->shared_from_this(), shared_from_this(), std::move(request), gone_));
}

void Connection::Write(HttpResponse answer) {
  response_.result(static_cast<http::status>(answer.status));
  response_.set(http::field::content_type, answer.content_type);
  response_.set(http::field::cache_control, "no-store");
  response_.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : answer.headers) response_.insert(name, value);
  response_.keep_alive(keep_alive_);
  response_.body() = std::move(answer.body);
  response_.prepare_payload();
  stream_.expires_after(kRequestTime);
  http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec || !self->keep_alive_) {
      self->Drop();
      return;
    }
    self->Read();
  });
}

void Connection::BeginEvents() {
  stream_.expires_never();
  queue_.push_back(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n");
  queued_bytes_ = queue_.back().size();
  WriteNext();
  WatchForClose();
}

// The client sends nothing on an event stream: a read that ends means it has gone.
void Connection::WatchForClose() {
  stream_.socket().async_read_some(asio::buffer(scratch_),
                                   [self = shared_from_this()](beast::error_code ec, size_t) {
                                     if (ec) {
                                       self->Drop();
                                       return;
                                     }
                                     self->WatchForClose();
                                   });
}

void Connection::Push(std::string chunk) {
  if (gone_->load()) return;
  queued_bytes_ += chunk.size();
  if (queued_bytes_ > kMaxEventBacklog) {
    Drop();  // a client this far behind reconnects and reads the status afresh
    return;
  }
  queue_.push_back(std::move(chunk));
  WriteNext();
}

void Connection::WriteNext() {
  if (writing_ || gone_->load()) return;
  if (queue_.empty()) {
    if (ending_) Drop();
    return;
  }
  writing_ = true;
  asio::async_write(stream_.socket(), asio::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->queued_bytes_ -= self->queue_.front().size();
                      self->queue_.pop_front();
                      if (ec) {
                        self->Drop();
                        return;
                      }
                      self->WriteNext();
                    });
}

void Connection::EndEvents() {
  ending_ = true;
  WriteNext();
}

void Connection::Drop() {
  gone_->store(true);
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace

std::string HttpRequest::Header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::Cookie(const std::string& name) const {
  const std::string all = Header("cookie");
  size_t at = 0;
  while (at < all.size()) {
    size_t end = all.find(';', at);
    if (end == std::string::npos) end = all.size();
    std::string_view pair(all.data() + at, end - at);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    at = end + 1;
  }
  return "";
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
    } else {
      std::make_shared<Connection>(std::move(socket), this)->Read();
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              Handler handler) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = address.substr(colon + 1);
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (ec || port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos ||
      port_text.size() > 5 || std::stoi(port_text) > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not an IP address and port (such as 127.0.0.1:9090)"));
  }
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->impl_ = std::make_shared<Impl>();
  Impl& impl = *server->impl_;
  impl.handler = std::move(handler);
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(std::stoi(port_text)));
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  }
  server->port_ = impl.acceptor.local_endpoint().port();
  impl.Accept();
  server->thread_ = std::thread([&impl] { impl.io.run(); });
  return server;
}

HttpServer::~HttpServer() {
  if (impl_) impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tminus::control
