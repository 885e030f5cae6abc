// Webhook notifications: gate opened, sign-off needed, step failed or paused, deadline
// missed, run ended. Each is POSTed as JSON with a `text` field, which is what Slack's and
// Teams' incoming webhooks show, plus a `tminus` object for programs:
//   {"text": "tminus erp-wave3: gate 'go-live' is open: cab to decide go or no-go",
//    "tminus": {"run": "erp-wave3", "run_id": "...", "event": "gate_opened", "step": "go-live"}}
//
// The engine's strand only queues (OnEvent never blocks). Each webhook has its own queue
// and thread, so a dead one delays no other: each request has a 10 s limit, and a failure
// (a connection error or a non-2xx answer) is retried after 1, 2, 4 and 8 s before it is
// given up with a log line. A queue holds at most 1,000 notifications; beyond that the
// oldest is dropped, and said so. When the coordinator stops, what is queued (the run's
// end, at least) still goes out, retries included, for at most 10 s more.
#pragma once

#include <chrono>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/exec/run_engine.h"

namespace tminus::control {

struct WebhookUrl {
  bool https = false;
  std::string host;
  std::string port;
  std::string target;  // "/services/T000/B000/XXX"
};
// http://host[:port]/path or https://...; INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(const std::string& url);

struct NotifierOptions {
  std::vector<WebhookUrl> urls;
  // HTTPS: a PEM file of CAs to trust instead of the system's ("" for the system's).
  std::string ca_file;
  std::string run_name;
  std::string run_id;
  std::function<void(const std::string&)> log;
  // Waits between attempts (tests shorten them).
  std::vector<std::chrono::milliseconds> backoff{std::chrono::seconds(1), std::chrono::seconds(2),
                                                 std::chrono::seconds(4), std::chrono::seconds(8)};
};

class Notifier : public RunObserver {
 public:
  Notifier(const Runbook& runbook, NotifierOptions options);
  ~Notifier() override;  // delivers what is queued (for at most 10 s), then stops

  void OnEvent(const RunEvent& event, const RunState& state) override;

  class Channel;  // one webhook's queue and thread (notifier.cc)

 private:
  void Queue(const std::string& kind, const std::string& step, const std::string& text);

  const Runbook& runbook_;
  const NotifierOptions options_;
  std::vector<std::unique_ptr<Channel>> channels_;
};

}  // namespace tminus::control
