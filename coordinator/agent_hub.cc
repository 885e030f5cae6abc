#include "coordinator/agent_hub.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/ordered_writes.h"
#include "net/peer_identity.h"

namespace tminus {
namespace {

constexpr uint32_t kProtocolVersion = 1;

// The verified client certificate's common name, "" without one.
std::string CertificateIdentity(grpc::CallbackServerContext* context) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  return auth == nullptr ? "" : net::PeerAgentId(*auth);
}

bool ValidAgentId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

std::string SecondsText(std::chrono::milliseconds d) {
  return absl::StrCat(d.count() / 1000.0, "s");
}

}  // namespace

// One agent's stream. Reference-counted so the hub can send to it without holding its own
// lock across a gRPC call: gRPC may run reactions inline from inside a Start* call, and a
// reaction may call back into the hub.
class AgentHub::Stream : public grpc::ServerBidiReactor<v1::AgentMessage, v1::CoordinatorMessage> {
 public:
  Stream(AgentHub* hub, grpc::CallbackServerContext* context)
      : hub_(hub), context_(context), peer_(context->peer()),
        identity_(CertificateIdentity(context)) {
    if (hub_->options_.require_certificate && identity_.empty()) {
      hub_->Log(absl::StrCat("refused a connection from ", peer_,
                             ": it presented no valid client certificate"));
      End(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                       "a client certificate signed by the coordinator's CA is required"),
          false);
      return;
    }
    StartRead(&in_);
  }

  const std::string& peer() const { return peer_; }
  const std::string& agent() const { return agent_; }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Queues a message; false once the stream is ending.
  bool Send(v1::CoordinatorMessage message) {
    Writes::Action action;
    if (!writes_.Push(std::move(message), &action)) return false;
    Apply(action);
    return true;
  }

  // Ends the stream with `status` once the messages already queued are written. With
  // `cancel`, they are cancelled rather than waited for (a peer that may no longer read
  // would hold the Finish back).
  void End(grpc::Status status, bool cancel) {
    Writes::Action action = writes_.End(std::move(status));
    if (action.waiting && cancel) context_->TryCancel();
    Apply(action);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      End(grpc::Status::OK, false);
      return;
    }
    if (agent_.empty()) {
      if (!in_.has_hello()) {
        hub_->Log(absl::StrCat("refused a connection from ", peer_, ": its first message was not a Hello"));
        End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a Hello"),
            false);
        return;
      }
      AgentInfo info;
      grpc::Status admitted = hub_->Admit(this, in_.hello(), identity_, &info);
      if (!admitted.ok()) {
        hub_->Log(absl::StrCat("refused agent '", in_.hello().agent_id(), "' from ", peer_, ": ",
                               admitted.error_message()));
        End(admitted, false);
        return;
      }
    } else {
      hub_->Deliver(this, in_);
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { Apply(writes_.WriteDone(ok)); }

  void OnDone() override {
    hub_->StreamDone(this);
    Unref();
  }

 private:
  friend class AgentHub;

  AgentHub* const hub_;
  grpc::CallbackServerContext* const context_;
  const std::string peer_;
  const std::string identity_;
  std::string agent_;  // set once admitted (on the reading thread)
  v1::AgentMessage in_;
  std::atomic<int> refs_{1};

  using Writes = net::OrderedWrites<v1::CoordinatorMessage>;
  void Apply(const Writes::Action& action) { Writes::Apply(this, action); }
  Writes writes_;
};

class AgentHub::Service : public v1::AgentLink::CallbackService {
 public:
  explicit Service(AgentHub* hub) : hub_(hub) {}
  grpc::ServerBidiReactor<v1::AgentMessage, v1::CoordinatorMessage>* Connect(
      grpc::CallbackServerContext* context) override {
    return new Stream(hub_, context);
  }

 private:
  AgentHub* hub_;
};

AgentHub::AgentHub(AgentHubOptions options)
    : options_(std::move(options)), service_(std::make_unique<Service>(this)) {
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

AgentHub::~AgentHub() { Shutdown(); }

grpc::Service* AgentHub::service() { return service_.get(); }

void AgentHub::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void AgentHub::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (heartbeat_thread_.joinable() || stopping_) return;
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
}

void AgentHub::Shutdown() {
  std::vector<Stream*> streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [id, entry] : agents_) {
      if (entry.stream != nullptr) {
        entry.stream->Ref();
        streams.push_back(entry.stream);
      }
    }
  }
  wake_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  // What was sent before the stop (the last ResultAcks) goes out before the streams end,
  // and each stream ends after its last write: gRPC's server shutdown deadline bounds the
  // wait for a peer that does not read.
  {
    std::lock_guard<std::mutex> lock(out_mutex_);
    out_stopping_ = true;
  }
  out_wake_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  for (Stream* s : streams) {
    s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the coordinator is stopping"), false);
    s->Unref();
  }
}

void AgentHub::Enqueue(Stream* stream, v1::CoordinatorMessage message) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(out_mutex_);
    if (!out_stopping_) {
      wake = outgoing_.empty();
      outgoing_.emplace_back(stream, std::move(message));
      stream = nullptr;
    }
  }
  if (stream != nullptr) stream->Unref();  // stopped: nothing more goes out
  if (wake) out_wake_.notify_one();
}

void AgentHub::WriterLoop() {
  std::vector<std::pair<Stream*, v1::CoordinatorMessage>> batch;
  std::unique_lock<std::mutex> lock(out_mutex_);
  for (;;) {
    out_wake_.wait(lock, [this] { return out_stopping_ || !outgoing_.empty(); });
    if (outgoing_.empty()) return;  // stopping, and everything queued went out
    batch.swap(outgoing_);
    lock.unlock();
    for (auto& [stream, message] : batch) {
      stream->Send(std::move(message));
      stream->Unref();
    }
    batch.clear();
    lock.lock();
  }
}

void AgentHub::Index(const AgentInfo& info, bool add) {
  for (const auto& label : info.labels) {
    if (add) {
      by_label_[label].insert(info.id);
      continue;
    }
    auto it = by_label_.find(label);
    if (it == by_label_.end()) continue;
    it->second.erase(info.id);
    if (it->second.empty()) by_label_.erase(it);
  }
}

grpc::Status AgentHub::Admit(Stream* stream, const v1::Hello& hello,
                             const std::string& cert_identity, AgentInfo* info) {
  if (hello.protocol_version() != kProtocolVersion) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("this coordinator speaks protocol version ", kProtocolVersion,
                                     "; the agent speaks version ", hello.protocol_version()));
  }
  if (!ValidAgentId(hello.agent_id())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the agent id must be 1 to 128 printable characters without spaces");
  }
  if (options_.require_certificate && cert_identity != hello.agent_id()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("agent id '", hello.agent_id(),
                                     "' does not match its certificate's common name '",
                                     cert_identity, "'"));
  }
  info->id = hello.agent_id();
  info->labels.insert(hello.labels().begin(), hello.labels().end());
  info->version = hello.version();
  info->peer = stream->peer();
  info->max_concurrent = static_cast<int>(hello.max_concurrent());
  info->connected_at = std::chrono::system_clock::now();

  Stream* replaced = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the coordinator is stopping");
    }
    const auto now = std::chrono::steady_clock::now();
    Entry& entry = agents_[info->id];
    if (entry.stream != nullptr) {
      if (now - entry.last_heard < options_.heartbeat_timeout) {
        return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                            absl::StrCat("agent '", info->id, "' is already connected from ",
                                         entry.stream->peer()));
      }
      replaced = entry.stream;  // silent for longer than the timeout: the newcomer wins
      replaced->Ref();
      Index(entry.info, false);
    }
    stream->agent_ = info->id;
    entry.stream = stream;
    entry.info = *info;
    entry.last_heard = now;
    Index(entry.info, true);
    // Queued before the stream is visible to Send(): the Welcome is its first message.
    v1::CoordinatorMessage welcome;
    welcome.mutable_welcome()->set_coordinator_id(options_.coordinator_id);
    welcome.mutable_welcome()->set_run_id(options_.run_id);
    welcome.mutable_welcome()->set_heartbeat_interval_ms(
        static_cast<uint32_t>(options_.heartbeat_interval.count()));
    welcome.mutable_welcome()->set_heartbeat_timeout_ms(
        static_cast<uint32_t>(options_.heartbeat_timeout.count()));
    stream->Ref();
    Enqueue(stream, std::move(welcome));
  }
  if (replaced != nullptr) {
    replaced->End(grpc::Status(grpc::StatusCode::ABORTED, "replaced by a newer connection"), true);
    replaced->Unref();
  }

  std::string labels;
  for (const auto& [k, v] : info->labels) absl::StrAppend(&labels, labels.empty() ? "" : ",", k, "=", v);
  Log(absl::StrCat("agent '", info->id, "' connected from ", info->peer,
                   labels.empty() ? "" : " (" + labels + ")",
                   hello.known_attempts_size() > 0
                       ? absl::StrCat(", reporting ", hello.known_attempts_size(), " known attempts")
                       : ""));
  if (listener_ != nullptr) {
    std::vector<v1::KnownAttempt> known(hello.known_attempts().begin(), hello.known_attempts().end());
    listener_->OnAgentConnected(*info, known);
  }
  return grpc::Status::OK;
}

void AgentHub::Heard(Stream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = agents_.find(stream->agent());
  if (it != agents_.end() && it->second.stream == stream) {
    it->second.last_heard = std::chrono::steady_clock::now();
  }
}

void AgentHub::Deliver(Stream* stream, const v1::AgentMessage& message) {
  Heard(stream);
  if (listener_ == nullptr) return;
  switch (message.kind_case()) {
    case v1::AgentMessage::kAccepted:
      listener_->OnAgentAccepted(stream->agent(), message.accepted());
      break;
    case v1::AgentMessage::kResult:
      listener_->OnAgentResult(stream->agent(), message.result());
      break;
    case v1::AgentMessage::kHeartbeat:
    case v1::AgentMessage::kHello:  // a second Hello changes nothing
    case v1::AgentMessage::KIND_NOT_SET:
      break;
  }
}

void AgentHub::StreamDone(Stream* stream) {
  if (stream->agent().empty()) return;
  bool was_current = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = agents_.find(stream->agent());
    if (it != agents_.end() && it->second.stream == stream) {
      it->second.stream = nullptr;  // it has the heartbeat timeout to come back
      Index(it->second.info, false);
      was_current = !stopping_;
    }
  }
  if (was_current) {
    Log(absl::StrCat("agent '", stream->agent(), "' disconnected; its attempts are kept for ",
                     SecondsText(options_.heartbeat_timeout), " for it to come back"));
  }
}

bool AgentHub::Send(const std::string& agent, v1::CoordinatorMessage message) {
  Stream* stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = agents_.find(agent);
    if (stopping_ || it == agents_.end() || it->second.stream == nullptr) return false;
    stream = it->second.stream;
    stream->Ref();
    Enqueue(stream, std::move(message));  // under the lock: in the order of the calls
  }
  return true;
}

std::vector<std::string> AgentHub::Matching(const Selector& selector) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> ids;
  if (selector.empty()) {
    for (const auto& [id, entry] : agents_) {
      if (entry.stream != nullptr) ids.push_back(id);
    }
    return ids;
  }
  // The rarest pair's agents, checked against the other pairs.
  const std::set<std::string>* fewest = nullptr;
  for (const auto& pair : selector) {
    auto it = by_label_.find(pair);
    if (it == by_label_.end()) return ids;
    if (fewest == nullptr || it->second.size() < fewest->size()) fewest = &it->second;
  }
  for (const std::string& id : *fewest) {
    const std::map<std::string, std::string>& labels = agents_.at(id).info.labels;
    bool all = true;
    for (const auto& [key, value] : selector) {
      auto label = labels.find(key);
      all = all && label != labels.end() && label->second == value;
    }
    if (all) ids.push_back(id);
  }
  return ids;
}

std::vector<AgentInfo> AgentHub::Connected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<AgentInfo> out;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [id, entry] : agents_) {
    if (entry.stream == nullptr) continue;
    out.push_back(entry.info);
    out.back().silent_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.last_heard);
  }
  return out;
}

size_t AgentHub::ConnectedCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& [id, entry] : agents_) n += entry.stream != nullptr ? 1 : 0;
  return n;
}

void AgentHub::HeartbeatLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.heartbeat_interval);
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    std::vector<Stream*> beat;
    std::vector<Stream*> silent;
    std::vector<std::string> lost;
    for (auto it = agents_.begin(); it != agents_.end();) {
      Entry& entry = it->second;
      if (now - entry.last_heard > options_.heartbeat_timeout) {
        lost.push_back(it->first);
        if (entry.stream != nullptr) {
          entry.stream->Ref();
          silent.push_back(entry.stream);
          Index(entry.info, false);
        }
        it = agents_.erase(it);
        continue;
      }
      if (entry.stream != nullptr) {
        entry.stream->Ref();
        beat.push_back(entry.stream);
      }
      ++it;
    }
    lock.unlock();
    v1::CoordinatorMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_sent_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    for (Stream* s : beat) Enqueue(s, heartbeat);
    for (Stream* s : silent) {
      s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no heartbeat from the agent"), true);
      s->Unref();
    }
    const std::string why = absl::StrCat("nothing heard from it for ", SecondsText(options_.heartbeat_timeout));
    for (const std::string& id : lost) {
      Log(absl::StrCat("agent '", id, "' lost: ", why));
      if (listener_ != nullptr) listener_->OnAgentLost(id, why);
    }
    lock.lock();
  }
}

}  // namespace tminus
