#include "control/dashboard.h"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/acts.h"

namespace tminus::control {
namespace {

using Json = nlohmann::json;

constexpr char kCookie[] = "tminus_session";
constexpr auto kSessionLife = std::chrono::hours(12);
constexpr size_t kRecentEvents = 200;

HttpResponse JsonReply(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

HttpResponse Error(int status, const std::string& message) {
  return JsonReply(status, Json{{"error", message}});
}

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

std::string NewSessionId() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

const Operator* FindOperator(const Operators* operators, const std::string& person) {
  if (operators == nullptr) return nullptr;
  for (const Operator& op : operators->all()) {
    if (op.name == person) return &op;
  }
  return nullptr;
}

// A body's string field, or "" (absent or not a string).
std::string Field(const Json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string Dashboard::Person(const HttpRequest& request) {
  if (options_.operators == nullptr) return "";
  const std::string token = BearerToken(request.Header("authorization"));
  if (!token.empty()) {
    const Operator* op = options_.operators->Authenticate(token);
    return op == nullptr ? "" : op->name;
  }
  const std::string id = request.Cookie(kCookie);
  if (id.empty()) return "";
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return "";
  if (it->second.expires < std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return "";
  }
  return it->second.person;
}

void Dashboard::Handle(std::shared_ptr<HttpExchange> exchange) {
  const HttpRequest& request = exchange->request();
  const std::string& path = request.path;
  const bool get = request.method == "GET";
  if (get && (path == "/" || path == "/index.html")) {
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kDashboardPage;
    r.headers["Content-Security-Policy"] =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; frame-ancestors 'none'; form-action 'none'";
    r.headers["Referrer-Policy"] = "no-referrer";
    exchange->Respond(std::move(r));
    return;
  }
  if (get && path == "/metrics" && options_.metrics != nullptr) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = options_.metrics->Render();
    exchange->Respond(std::move(r));
    return;
  }
  if (!absl::StartsWith(path, "/api/")) {
    exchange->Respond(Error(404, "not found: this coordinator serves / (the dashboard), /api/ and "
                                 "/metrics"));
    return;
  }
  const std::string call = path.substr(5);
  if (call == "session" && get) return SessionInfo(*exchange);
  if (request.method == "POST") {
    // A cross-site form can send neither this content type nor a SameSite=Strict cookie.
    if (!absl::StartsWith(request.Header("content-type"), "application/json")) {
      exchange->Respond(Error(415, "send the request body as application/json"));
      return;
    }
    if (call == "login") return Login(*exchange);
    if (call == "logout") return Logout(*exchange);
    const std::string person = Person(request);
    if (person.empty()) {
      options_.desk->Log(absl::StrCat("refused a dashboard act (", call, ") from ", request.peer,
                                      ": not logged in"));
      exchange->Respond(Error(401, "log in with your API token to act"));
      return;
    }
    return Act(std::move(exchange), call, person);
  }
  if (!get) {
    exchange->Respond(Error(405, "use GET to read and POST to act"));
    return;
  }
  if (!options_.public_view && Person(request).empty()) {
    exchange->Respond(Error(401, "log in with your API token to see this run "
                                 "(or start the coordinator with --public-view)"));
    return;
  }
  if (call == "status") return Status(std::move(exchange));
  if (call == "events") return Events(std::move(exchange));
  if (call == "agents") {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = ProtoJson(options_.desk->Agents());
    exchange->Respond(std::move(r));
    return;
  }
  exchange->Respond(Error(404, "no such call: /api/" + call));
}

void Dashboard::SessionInfo(HttpExchange& exchange) {
  const std::string person = Person(exchange.request());
  Json roles = Json::array();
  if (const Operator* op = FindOperator(options_.operators, person)) {
    for (const std::string& role : op->roles) roles.push_back(role);
  }
  exchange.Respond(JsonReply(200, Json{{"person", person},
                                       {"roles", roles},
                                       {"login", options_.operators != nullptr},
                                       {"public_view", options_.public_view}}));
}

void Dashboard::Login(HttpExchange& exchange) {
  const HttpRequest& request = exchange.request();
  const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (options_.operators == nullptr) {
    exchange.Respond(Error(403, "this coordinator has no operators file (start it with --operators)"));
    return;
  }
  const Operator* op = body.is_object() ? options_.operators->Authenticate(Field(body, "token")) : nullptr;
  if (op == nullptr) {
    options_.desk->Log(absl::StrCat("refused a dashboard login from ", request.peer, ": ",
                                    Field(body, "token").empty() ? "no API token" : "an unknown API token"));
    exchange.Respond(Error(401, "that is not the API token of one of this coordinator's operators"));
    return;
  }
  const std::string id = NewSessionId();
  if (id.empty()) {
    exchange.Respond(Error(500, "no random bytes for a session"));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.expires < now ? sessions_.erase(it) : std::next(it);
    }
    sessions_[id] = Session{op->name, now + kSessionLife};
  }
  options_.desk->Log(absl::StrCat(op->name, " logged in to the dashboard from ", request.peer));
  HttpResponse r = JsonReply(200, Json{{"person", op->name}, {"roles", op->roles}});
  r.headers["Set-Cookie"] = absl::StrCat(kCookie, "=", id, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=",
                                         std::chrono::seconds(kSessionLife).count());
  exchange.Respond(std::move(r));
}

void Dashboard::Logout(HttpExchange& exchange) {
  const std::string id = exchange.request().Cookie(kCookie);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
  }
  HttpResponse r = JsonReply(200, Json::object());
  r.headers["Set-Cookie"] = absl::StrCat(kCookie, "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  exchange.Respond(std::move(r));
}

void Dashboard::Status(std::shared_ptr<HttpExchange> exchange) {
  options_.desk->ReadStatus([exchange](const v1::StatusReply* status) {
    if (status == nullptr) {
      exchange->Respond(Error(503, "the coordinator is stopping"));
      return;
    }
    HttpResponse r;
    r.content_type = "application/json";
    r.body = ProtoJson(*status);
    exchange->Respond(std::move(r));
  });
}

void Dashboard::Events(std::shared_ptr<HttpExchange> exchange) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_) {
    exchange->Respond(Error(503, "the coordinator is stopping"));
    return;
  }
  exchange->OpenEvents();
  // Tells the page to retry after 2 s if the stream breaks, and that it is live.
  exchange->Send("retry: 2000\n: live\n\n");
  for (const std::string& chunk : recent_) exchange->Send(chunk);
  streams_.push_back(std::move(exchange));
}

void Dashboard::OnRunEvent(const v1::Event& event) {
  const std::string chunk =
      absl::StrCat("data: {\"time_unix_ms\":", event.time_unix_ms(), ",\"type\":", Json(event.type()).dump(),
                   ",\"actor\":", Json(event.actor()).dump(), ",\"payload\":",
                   event.payload_json().empty() ? "null" : event.payload_json(), "}\n\n");
  std::lock_guard<std::mutex> lock(mutex_);
  recent_.push_back(chunk);
  if (recent_.size() > kRecentEvents) recent_.pop_front();
  for (auto it = streams_.begin(); it != streams_.end();) {
    it = (*it)->Send(chunk) ? std::next(it) : streams_.erase(it);
  }
}

void Dashboard::Stop() {
  std::vector<std::shared_ptr<HttpExchange>> streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    streams.swap(streams_);
  }
  for (const auto& s : streams) s->Close();
}

void Dashboard::Act(std::shared_ptr<HttpExchange> exchange, const std::string& verb,
                    const std::string& person) {
  const Json body = Json::parse(exchange->request().body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    exchange->Respond(Error(400, "the request body is not a JSON object"));
    return;
  }
  const std::string step = Field(body, "step");
  const std::string reason = Field(body, "reason");
  NamedAct act;
  if (verb == "signoff") {
    act = SignOffAct(step, Field(body, "comment"));
  } else if (verb == "decide") {
    const std::string d = Field(body, "decision");
    if (d != "go" && d != "nogo") {
      exchange->Respond(Error(400, "the decision must be 'go' or 'nogo', not '" + d + "'"));
      return;
    }
    act = DecideAct(Field(body, "gate"), d == "go", reason);
  } else if (verb == "abort") {
    act = AbortAct(reason);
  } else if (verb == "rollback") {
    auto f = body.find("force");
    act = RollbackAct(reason, f != body.end() && f->is_boolean() && f->get<bool>());
  } else {
    act = StepAct(verb, step, reason);
  }
  if (!act.act) {
    exchange->Respond(Error(404, "no such act: /api/" + verb));
    return;
  }
  options_.desk->Perform(person, act.what + " (dashboard)", std::move(act.act), [exchange](const ActResult& r) {
    switch (r.outcome) {
      case ActResult::Outcome::kDecided:
        exchange->Respond(JsonReply(200, Json{{"accepted", r.accepted}, {"reason", r.reason}, {"person", r.person}}));
        return;
      case ActResult::Outcome::kNotRunning:
      case ActResult::Outcome::kStopping:
        exchange->Respond(Error(503, r.reason));
        return;
      case ActResult::Outcome::kJournalFailed:
        exchange->Respond(Error(500, r.reason));
        return;
    }
  });
}

}  // namespace tminus::control
