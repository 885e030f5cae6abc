// The war-room dashboard served on `--http`: one self-contained page (no external assets,
// so it works offline) and the JSON and server-sent-event API it reads.
//
//   GET  /                 the page
//   GET  /api/session      who this browser is logged in as, and whether viewing is public
//   POST /api/login        {"token": "tmn_..."}: sets an HttpOnly session cookie
//   POST /api/logout
//   GET  /api/status       the control API's StatusReply, as JSON
//   GET  /api/agents       the control API's AgentsReply, as JSON
//   GET  /api/events       the latest 200 journal events, then each as it is recorded
//                          (text/event-stream)
//   POST /api/signoff      {"step", "comment"}      POST /api/decide   {"gate", "decision", "reason"}
//   POST /api/retry|skip|mark-done {"step", "reason"}
//   POST /api/abort        {"reason"}               POST /api/rollback {"reason", "force"}
//   GET  /metrics          Prometheus metrics, when kept
//
// Reading needs a login (a session cookie, or `Authorization: Bearer TOKEN`) unless the
// coordinator runs with `--public-view`; acting always does, and is then exactly the
// control API's act: the same role checks, the same journal records, the same refusals.
// Acts must be sent as application/json, which a cross-site form cannot do, and the
// session cookie is SameSite=Strict.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/http_server.h"
#include "control/metrics.h"
#include "control/operators.h"
#include "control/run_desk.h"

namespace tminus::control {

struct DashboardOptions {
  const Operators* operators = nullptr;  // null: nobody can log in
  RunDesk* desk = nullptr;
  bool public_view = false;
  const RunMetrics* metrics = nullptr;  // served at /metrics when set
};

class Dashboard : public EventListener {
 public:
  explicit Dashboard(DashboardOptions options) : options_(std::move(options)) {}

  // The HTTP server's handler (on its thread).
  void Handle(std::shared_ptr<HttpExchange> exchange);
  // Ends every event stream once written and refuses new ones. Call before the HTTP server
  // is destroyed.
  void Stop();

  // EventListener: events go to every open stream, and the latest ones are kept for the
  // streams opened later.
  bool listening() const override { return true; }
  void OnRunEvent(const v1::Event& event) override;

 private:
  struct Session {
    std::string person;
    std::chrono::steady_clock::time_point expires;
  };

  // The logged-in person making `request` (session cookie or bearer token), or "".
  std::string Person(const HttpRequest& request);
  void Login(HttpExchange& exchange);
  void Logout(HttpExchange& exchange);
  void SessionInfo(HttpExchange& exchange);
  void Status(std::shared_ptr<HttpExchange> exchange);
  void Events(std::shared_ptr<HttpExchange> exchange);
  void Act(std::shared_ptr<HttpExchange> exchange, const std::string& verb, const std::string& person);

  const DashboardOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Session> sessions_;  // session id -> who
  std::vector<std::shared_ptr<HttpExchange>> streams_;
  std::deque<std::string> recent_;  // the latest events, as sent
  bool stopped_ = false;
};

// The page itself (dashboard_page.cc, generated from dashboard.html at build time).
extern const char* const kDashboardPage;

}  // namespace tminus::control
