// A small HTTP/1.1 server (Boost.Beast) on its own thread, for what the coordinator serves
// over plain HTTP: `GET /metrics` now, the dashboard's pages next. Requests are answered
// one connection at a time per read, each with a 10 s limit, so a slow or idle client
// cannot hold the run back (the server never touches the engine; handlers read snapshots).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace tminus::control {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // method ("GET"), target ("/metrics") -> response. Called on the server's thread.
  using Handler = std::function<HttpResponse(const std::string& method, const std::string& target)>;

  // Listens on `address` ("127.0.0.1:9090", "[::1]:0"); the port bound, or why not.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, Handler handler);
  ~HttpServer();  // stops and joins the thread
  int port() const { return port_; }

 private:
  struct Impl;
  HttpServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tminus::control
