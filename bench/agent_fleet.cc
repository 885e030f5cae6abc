#include "bench/agent_fleet.h"

#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "bench/agent_runbook_gen.h"
#include "net/link_args.h"
#include "tminus/v1/agent.grpc.pb.h"

namespace tminus::bench {
namespace {

constexpr int kDialAttempts = 3;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Key(const v1::DispatchId& id) {
  return absl::StrCat(id.run_id(), "/", id.step_id(), "/", id.attempt(), "/", id.host(), "/",
                      id.rollback() ? "r" : "");
}

}  // namespace

// One agent: one channel, one stream. Writes are queued and sent one at a time (the
// callback API allows one in flight). Heartbeats are sent from the fleet's thread, outside
// the stream's reactions, so the stream holds itself open (AddHold) until it is closed and
// its last write is done.
class FleetAgent : public grpc::ClientBidiReactor<v1::AgentMessage, v1::CoordinatorMessage> {
 public:
  FleetAgent(AgentFleet* fleet, int index, const std::string& address,
             std::shared_ptr<grpc::ChannelCredentials> credentials)
      : fleet_(fleet), id_(AgentId(index)), labels_(AgentLabels(index)) {
    // The real agent's channel arguments, among them its own subchannel, hence its own TCP
    // connection, as separate agent processes have.
    channel_ = grpc::CreateCustomChannel(address, std::move(credentials), net::AgentChannelArguments());
    stub_ = v1::AgentLink::NewStub(channel_);
  }

  void Start() {
    stub_->async()->Connect(&context_, this);
    v1::AgentMessage message;
    v1::Hello& hello = *message.mutable_hello();
    hello.set_protocol_version(1);
    hello.set_agent_id(id_);
    for (const auto& [key, value] : labels_) (*hello.mutable_labels())[key] = value;
    hello.set_version("bench");
    hello.add_capabilities("command");
    hello.set_max_concurrent(4);
    AddHold();
    Send(std::move(message));
    StartRead(&in_);
    StartCall();
  }

  void Heartbeat() {
    if (!welcomed_.load()) return;
    v1::AgentMessage message;
    message.mutable_heartbeat()->set_sent_unix_ms(NowUnixMs());
    if (Send(std::move(message))) fleet_->heartbeats_sent_.fetch_add(1);
  }

  // Ends the stream: no more writes; the hold goes once the write in flight is done.
  void Close() {
    bool release = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closing_) return;
      closing_ = true;
      if (!writing_) release = hold_released_ = true;
    }
    context_.TryCancel();
    if (release) RemoveHold();
  }

  bool welcomed() const { return welcomed_.load(); }
  // Welcomed, or its call is over.
  bool settled() const { return welcomed_.load() || done_.load(); }

  int64_t Unacknowledged() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(results_.size());
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Close();
      return;
    }
    switch (in_.kind_case()) {
      case v1::CoordinatorMessage::kWelcome:
        if (!welcomed_.exchange(true)) {
          fleet_->Welcomed(std::chrono::milliseconds(in_.welcome().heartbeat_interval_ms()));
        }
        break;
      case v1::CoordinatorMessage::kHeartbeat:
        fleet_->heartbeats_received_.fetch_add(1);
        break;
      case v1::CoordinatorMessage::kDispatch:
        Answer(in_.dispatch().id());
        break;
      case v1::CoordinatorMessage::kResultAck: {
        std::lock_guard<std::mutex> lock(mutex_);
        results_.erase(Key(in_.result_ack().id()));
        fleet_->acks_.fetch_add(1);
        break;
      }
      case v1::CoordinatorMessage::kCancel:
        fleet_->cancels_.fetch_add(1);  // its result has been sent already
        break;
      case v1::CoordinatorMessage::KIND_NOT_SET:
        break;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    const v1::AgentMessage* next = nullptr;
    bool release = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      out_.pop_front();
      if (!ok) out_.clear();
      if (!closing_ && !out_.empty()) {
        next = &out_.front();
      } else {
        writing_ = false;
        if (closing_ && !hold_released_) release = hold_released_ = true;
      }
    }
    if (next != nullptr) StartWrite(next);
    if (release) RemoveHold();
  }

  void OnDone(const grpc::Status& status) override {
    done_.store(true);
    fleet_->Ended(id_, welcomed_.load(), status.error_message().empty()
                           ? absl::StrCat("status ", status.error_code())
                           : status.error_message());
  }

 private:
  // Accepted, then at once a successful Result; the Result is kept until acknowledged. A
  // dispatch sent again is answered as a duplicate, with the kept Result if there is one.
  void Answer(const v1::DispatchId& id) {
    const int64_t now = NowUnixMs();
    const std::string key = Key(id);
    v1::AgentMessage accepted;
    *accepted.mutable_accepted()->mutable_id() = id;
    accepted.mutable_accepted()->set_started_unix_ms(now);
    v1::AgentMessage result;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto kept = results_.find(key);
      if (kept != results_.end()) {
        accepted.mutable_accepted()->set_duplicate(true);
        *result.mutable_result() = kept->second;
        result.mutable_result()->set_redelivered(true);
        fleet_->duplicate_dispatches_.fetch_add(1);
      } else {
        v1::Result& r = *result.mutable_result();
        *r.mutable_id() = id;
        r.set_ok(true);
        r.set_exit_code(0);
        r.set_finished_unix_ms(now);
        results_.emplace(key, r);
        fleet_->dispatches_.fetch_add(1);
      }
    }
    Send(std::move(accepted));
    if (Send(std::move(result))) fleet_->results_sent_.fetch_add(1);
  }

  // Queues `message`; false once the stream is closing.
  bool Send(v1::AgentMessage message) {
    const v1::AgentMessage* start = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closing_) return false;
      out_.push_back(std::move(message));
      if (!writing_) {
        writing_ = true;
        start = &out_.front();
      }
    }
    // Outside the lock: gRPC may run OnWriteDone inline, and it takes the lock.
    if (start != nullptr) StartWrite(start);
    return true;
  }

  AgentFleet* const fleet_;
  const std::string id_;
  const std::map<std::string, std::string> labels_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  grpc::ClientContext context_;
  v1::CoordinatorMessage in_;
  std::atomic<bool> welcomed_{false};
  std::atomic<bool> done_{false};

  mutable std::mutex mutex_;
  std::deque<v1::AgentMessage> out_;  // the front is being written while writing_
  bool writing_ = false;
  bool closing_ = false;
  bool hold_released_ = false;
  std::map<std::string, v1::Result> results_;  // not yet acknowledged, by Key()
};

AgentFleet::AgentFleet(FleetOptions options) : options_(std::move(options)) {
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
}

AgentFleet::~AgentFleet() { Stop(); }

absl::Status AgentFleet::Connect(int first, int count, std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::vector<int> pending;
  for (int i = first; i < first + count; ++i) pending.push_back(i);
  // An agent that cannot connect dials again, as tminus-agent does (a loaded machine can
  // let a handshake time out).
  for (int attempt = 1;; ++attempt) {
    std::vector<FleetAgent*> dialled;
    for (int i : pending) {
      std::shared_ptr<grpc::ChannelCredentials> credentials;
      if (options_.certs_dir.empty()) {
        credentials = grpc::InsecureChannelCredentials();
      } else {
        const std::string dir = options_.certs_dir + "/agents/" + AgentId(i) + "/";
        grpc::SslCredentialsOptions tls;
        tls.pem_root_certs = ReadFile(dir + "ca.crt");
        tls.pem_cert_chain = ReadFile(dir + "agent.crt");
        tls.pem_private_key = ReadFile(dir + "agent.key");
        if (tls.pem_root_certs.empty() || tls.pem_cert_chain.empty() ||
            tls.pem_private_key.empty()) {
          return absl::NotFoundError("cannot read the certificate files in " + dir);
        }
        credentials = grpc::SslCredentials(tls);
      }
      {
        // A new handshake only while fewer than max_dialling are in progress.
        std::unique_lock<std::mutex> lock(mutex_);
        if (!changed_.wait_until(lock, deadline,
                                 [&] { return dialling_ < options_.max_dialling; })) {
          return absl::DeadlineExceededError(absl::StrCat(
              welcomed_, " agents welcomed within ", bound.count(), "s, ", count, " wanted"));
        }
        agents_.push_back(std::make_unique<FleetAgent>(this, i, options_.address, credentials));
        ++dialling_;
        dialled.push_back(agents_.back().get());
      }
      dialled.back()->Start();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, deadline, [&] {
      for (FleetAgent* agent : dialled) {
        if (!agent->settled()) return false;
      }
      return true;
    });
    std::vector<int> failed;
    for (size_t k = 0; k < dialled.size(); ++k) {
      if (!dialled[k]->welcomed()) failed.push_back(pending[k]);
    }
    if (failed.empty()) return absl::OkStatus();
    if (attempt == kDialAttempts || std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          failed.size(), " agents not welcomed after ", attempt, " tries within ", bound.count(),
          "s", first_failure_.empty() ? "" : "; ", first_failure_));
    }
    first_failure_.clear();
    pending = std::move(failed);
  }
}

void AgentFleet::Welcomed(std::chrono::milliseconds heartbeat_interval) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++welcomed_;
  --dialling_;
  if (heartbeat_interval_.count() == 0) heartbeat_interval_ = heartbeat_interval;
  changed_.notify_all();
}

void AgentFleet::Ended(const std::string& agent, bool was_welcomed, const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++ended_;
  if (!was_welcomed) --dialling_;
  if (!stopping_ && first_failure_.empty()) {
    first_failure_ = absl::StrCat("agent '", agent, "': stream ended: ", why);
  }
  changed_.notify_all();
}

// Every agent sends a heartbeat once per interval (the one its Welcome gave; the
// coordinator gives every agent the same), the sweeps spread over the interval's length
// by the order the agents were welcomed in.
void AgentFleet::HeartbeatLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (heartbeat_interval_.count() == 0) {
      changed_.wait(lock);
      continue;
    }
    const auto interval = heartbeat_interval_;
    changed_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    std::vector<FleetAgent*> beat;  // agents_ grows while Connect runs
    for (const auto& agent : agents_) beat.push_back(agent.get());
    lock.unlock();
    for (FleetAgent* agent : beat) agent->Heartbeat();
    lock.lock();
  }
}

FleetCounts AgentFleet::counts() const {
  FleetCounts c;
  c.dispatches = dispatches_.load();
  c.duplicate_dispatches = duplicate_dispatches_.load();
  c.results_sent = results_sent_.load();
  c.acks = acks_.load();
  c.heartbeats_sent = heartbeats_sent_.load();
  c.heartbeats_received = heartbeats_received_.load();
  c.cancels = cancels_.load();
  std::lock_guard<std::mutex> lock(mutex_);
  c.welcomed = welcomed_;
  for (const auto& agent : agents_) c.unacknowledged += agent->Unacknowledged();
  return c;
}

void AgentFleet::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !heartbeat_thread_.joinable()) return;
    stopping_ = true;
    changed_.notify_all();
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  for (auto& agent : agents_) agent->Close();
  std::unique_lock<std::mutex> lock(mutex_);
  // Each stream's OnDone comes once its call is over; a reactor must outlive it, so one
  // whose call is not over in time is left allocated rather than destroyed under gRPC.
  if (!changed_.wait_for(lock, std::chrono::seconds(10),
                         [this] { return ended_ >= static_cast<int64_t>(agents_.size()); })) {
    for (auto& agent : agents_) (void)agent.release();
    agents_.clear();
  }
}

}  // namespace tminus::bench
