// A small HTTP/1.1 server (Boost.Beast) on its own thread, for what the coordinator serves
// over HTTP: `/metrics` and the dashboard. Each request is handed to the handler as an
// exchange that may be answered later and from any thread (an act waits for the engine's
// strand), or turned into a server-sent event stream. A connection gets 10 s to send a
// request, requests are capped at 64 KB, and an event stream whose client falls 4 MB
// behind is cut off, so no client can hold the run or the server back: the server never
// touches the engine itself.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace tminus::control {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // "/api/status" (the target without its query)
  std::string query;   // what followed '?', if anything
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string peer;  // "127.0.0.1:53412"

  // The header's value, or "".
  std::string Header(const std::string& lowercase_name) const;
  // The value of cookie `name`, or "".
  std::string Cookie(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra ones (Set-Cookie, ...)
};

// One request being answered. Thread-safe; every call after the server stopped is a no-op.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Answers the request; only the first answer counts. An exchange dropped unanswered is
  // answered 500.
  virtual void Respond(HttpResponse response) = 0;
  // Answers with an open `text/event-stream`; Send then writes chunks in order and Close
  // ends the stream once they are written.
  virtual void OpenEvents() = 0;
  // False once the client has gone or was cut off for falling behind.
  virtual bool Send(std::string chunk) = 0;
  virtual void Close() = 0;
};

class HttpServer {
 public:
  // Called on the server's thread for every request.
  using Handler = std::function<void(std::shared_ptr<HttpExchange> exchange)>;

  // Listens on `address` ("127.0.0.1:9090", "[::1]:0"); the port bound, or why not.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, Handler handler);
  ~HttpServer();  // stops and joins the thread; exchanges still held become no-ops
  int port() const { return port_; }

  struct Impl;

 private:
  HttpServer() = default;
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tminus::control
