#include "control/notifier.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/json_writer.h"
#include "engine/model/step_state.h"

namespace tminus::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr size_t kMaxQueued = 1000;
constexpr auto kRequestLimit = std::chrono::seconds(10);

std::string Joined(const StringList& items) {
  std::string out;
  for (const SourcedString& item : items) out += (out.empty() ? "" : ", ") + item.value;
  return out;
}

// Sends `request` on a connected stream and reads the answer's status.
template <typename Stream>
std::string Exchange(Stream& stream, http::request<http::string_body>& request, asio::io_context& io) {
  beast::error_code failure;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::async_write(stream, request, [&](beast::error_code ec, size_t) {
    if (ec) {
      failure = ec;
      return;
    }
    http::async_read(stream, buffer, response, [&](beast::error_code ec2, size_t) { failure = ec2; });
  });
  io.run();
  if (failure) return failure.message();
  const unsigned status = response.result_int();
  if (status < 200 || status >= 300) return absl::StrCat("answered HTTP ", status);
  return "";
}

}  // namespace

absl::StatusOr<WebhookUrl> ParseWebhookUrl(const std::string& url) {
  WebhookUrl out;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    out.https = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return absl::InvalidArgumentError("webhook '" + url + "' must start with https:// or http://");
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    out.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  } else if (colon != std::string::npos && colon > authority.find(']')) {
    out.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  if (!authority.empty() && authority.front() == '[') authority = authority.substr(1, authority.size() - 2);
  out.host = authority;
  if (out.port.empty()) out.port = out.https ? "443" : "80";
  if (out.host.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError("webhook '" + url + "' has no usable host and port");
  }
  return out;
}

// One webhook: its queue, its thread, its retries.
class Notifier::Channel {
 public:
  Channel(WebhookUrl url, const NotifierOptions& options) : url_(std::move(url)), options_(options) {
    thread_ = std::thread([this] { Work(); });
  }
  ~Channel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      drain_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Push(std::string kind, std::string json) {
    bool dropped = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.size() >= kMaxQueued) {
        queue_.pop_front();
        dropped = true;
      }
      queue_.emplace_back(std::move(kind), std::move(json));
    }
    if (dropped) Log("falls behind: its oldest notification was dropped");
    wake_.notify_one();
  }

 private:
  bool GivenUp() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_ && std::chrono::steady_clock::now() >= drain_until_;
  }

  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [kind, json] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::string error = GivenUp() ? "the coordinator stopped" : Post(url_, json);
      for (size_t i = 0; !error.empty() && i < options_.backoff.size() && !GivenUp(); ++i) {
        auto pause = options_.backoff[i];
        {
          std::lock_guard<std::mutex> guard(mutex_);
          if (stopping_) {
            pause = std::min(pause, std::chrono::duration_cast<std::chrono::milliseconds>(
                                        drain_until_ - std::chrono::steady_clock::now()));
          }
        }
        if (pause.count() > 0) std::this_thread::sleep_for(pause);
        if (!GivenUp()) error = Post(url_, json);
      }
      if (!error.empty()) Log("failed: " + error + "; notification '" + kind + "' not delivered");
      lock.lock();
    }
  }

  void Log(const std::string& what) const {
    if (options_.log) {
      options_.log(absl::StrCat("webhook ", url_.https ? "https://" : "http://", url_.host, ":",
                                url_.port, " ", what));
    }
  }

  std::string Post(const WebhookUrl& url, const std::string& body);

  const WebhookUrl url_;
  const NotifierOptions& options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;  // (kind, JSON body)
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_until_;
  std::thread thread_;
};

Notifier::Notifier(const Runbook& runbook, NotifierOptions options)
    : runbook_(runbook), options_(std::move(options)) {
  for (const WebhookUrl& url : options_.urls) channels_.push_back(std::make_unique<Channel>(url, options_));
}

Notifier::~Notifier() = default;

void Notifier::OnEvent(const RunEvent& event, const RunState& state) {
  const std::string name = "tminus " + options_.run_name + ": ";
  const Step* step = event.step >= 0 ? &runbook_.steps[event.step] : nullptr;
  const std::string id = step != nullptr ? step->id.value : "";
  switch (event.type) {
    case EventType::kStepState:
      if (step == nullptr) return;
      if (event.state == StepState::kAwaitingSignoff && step->gate) {
        Queue("gate_opened", id,
              name + "gate '" + id + "' is open: " + Joined(step->gate->approvers) +
                  " to decide go or no-go");
      } else if (event.state == StepState::kAwaitingSignoff) {
        Queue("signoff_needed", id, name + "'" + id + "' needs a sign-off from " + Joined(step->Signers()));
      } else if (event.state == StepState::kFailed) {
        const std::string error = state.step(event.step).last_error;
        Queue(event.paused ? "step_paused" : "step_failed", id,
              name + "step '" + id + "' FAILED" +
                  (event.paused ? " and waits for an operator (retry, skip, abort or rollback)" : "") +
                  (error.empty() ? "" : ": " + error));
      }
      return;
    case EventType::kDeadlineMissed:
      Queue("deadline_missed", id, name + "step '" + id + "' missed its deadline");
      return;
    case EventType::kRunEnded:
      Queue("run_ended", "",
            name + "run ended " + RunPhaseName(event.phase) +
                (event.reason.empty() ? "" : " (" + event.reason + ")"));
      return;
    default:
      return;
  }
}

void Notifier::Queue(const std::string& kind, const std::string& step, const std::string& text) {
  JsonObjectWriter meta;
  meta.Add("run", options_.run_name);
  meta.Add("run_id", options_.run_id);
  meta.Add("event", kind);
  if (!step.empty()) meta.Add("step", step);
  std::string json = "{\"text\":";
  AppendJsonString(text, &json);
  json += ",\"tminus\":" + meta.Finish() + "}";
  for (auto& channel : channels_) channel->Push(kind, json);
}

std::string Notifier::Channel::Post(const WebhookUrl& url, const std::string& body) {
  asio::io_context io;
  http::request<http::string_body> request(http::verb::post, url.target, 11);
  request.set(http::field::host, url.host);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "tminus");
  request.body() = body;
  request.prepare_payload();

  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return "cannot resolve " + url.host + ": " + ec.message();
  if (!url.https) {
    beast::tcp_stream stream(io);
    stream.expires_after(kRequestLimit);
    stream.connect(endpoints, ec);
    if (ec) return "cannot connect: " + ec.message();
    return Exchange(stream, request, io);
  }
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_peer);
  if (options_.ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(options_.ca_file, ec);
  }
  if (ec) return "cannot load the CAs to trust: " + ec.message();
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(kRequestLimit);
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) return "cannot connect: " + ec.message();
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return "TLS handshake failed: " + ec.message();
  return Exchange(stream, request, io);
}

}  // namespace tminus::control
