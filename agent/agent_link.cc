#include "agent/agent_link.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/dispatch_translate.h"

namespace tminus::agent {
namespace {

constexpr uint32_t kProtocolVersion = 1;
constexpr const char* kCapabilities[] = {"command", "shell", "probe.tcp", "probe.http",
                                         "probe.dns"};

std::string Seconds(Millis duration) {
  return absl::StrFormat("%.1fs", static_cast<double>(duration.count()) / 1000.0);
}

std::string StatusText(const grpc::Status& status) {
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  if (status.error_message().empty()) return code;
  return absl::StrCat(code, ": ", status.error_message());
}

// Statuses by which the coordinator refuses the agent (a bad version, an id already
// connected or not matching the certificate): dialling again at once will not help.
bool IsRefusal(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::INVALID_ARGUMENT:
      return true;
    default:  // grpc::StatusCode is a plain enum with room for codes from peers
      return false;
  }
}

}  // namespace

AgentLink::AgentLink(AgentLinkOptions options, Scheduler& strand, Executor& executor,
                     ChannelFactory channels, Backoff backoff, EventLog& log, StateDir* state)
    : options_(std::move(options)),
      strand_(strand),
      executor_(executor),
      channels_(std::move(channels)),
      backoff_(std::move(backoff)),
      log_(log),
      store_(AttemptStoreOptions{options_.max_concurrent, options_.remembered_acks}),
      recorder_(state, log, options_.orphan_kill_grace) {}

absl::Status AgentLink::Restore() { return recorder_.Recover(store_, NowUnixMs()); }

void AgentLink::Start() { Connect(); }

void AgentLink::OnSpawned(const std::string& key, pid_t pid) {
  if (!stopping_) recorder_.Spawned(key, pid);
}

void AgentLink::Stop() {
  stopping_ = true;
  CancelTimers();
  if (reconnect_timer_) strand_.Cancel(*reconnect_timer_);
  reconnect_timer_.reset();
  if (stream_ != nullptr && !released_) {
    end_reason_ = "the agent is stopping";
    stream_->Cancel();
    stream_->Release();
    released_ = true;
  }
  state_ = LinkState::kIdle;
  outbox_.clear();
}

bool AgentLink::AwaitStreamEnd(Millis bound) {
  if (stream_ == nullptr) return true;
  if (!stream_->WaitDone(bound)) return false;
  stream_.reset();
  return true;
}

void AgentLink::Connect() {
  reconnect_timer_.reset();
  if (stopping_) return;
  const uint64_t generation = ++generation_;
  Scheduler* strand = &strand_;
  LinkStream::Callbacks callbacks;
  callbacks.on_message = [this, strand, generation](v1::CoordinatorMessage message) {
    strand->Post(
        [this, generation, message = std::move(message)] { OnMessage(generation, message); });
  };
  callbacks.on_read_end = [this, strand, generation] {
    strand->Post([this, generation] { OnReadEnd(generation); });
  };
  callbacks.on_write_done = [this, strand, generation](bool ok) {
    strand->Post([this, generation, ok] { OnWriteDone(generation, ok); });
  };
  callbacks.on_done = [this, strand, generation](const grpc::Status& status,
                                                 std::shared_ptr<LinkStream> self) {
    // `self` goes with the task, so the stream and its channel are destroyed on the strand
    // (or with the strand's queue at shutdown), never on a gRPC thread.
    strand->Post(
        [this, generation, status, self = std::move(self)] { OnStreamDone(generation, status); });
  };

  absl::StatusOr<std::shared_ptr<LinkStream>> stream =
      LinkStream::Open(channels_(), std::move(callbacks));
  if (!stream.ok()) {
    const Millis delay = backoff_.Next();
    log_.Line(absl::StrCat("cannot connect to ", options_.coordinator, ": ",
                           stream.status().message(), "; retrying in ", Seconds(delay)));
    reconnect_timer_ = strand_.At(strand_.Now() + delay, [this] { Connect(); });
    return;
  }
  stream_ = *std::move(stream);
  state_ = LinkState::kWaitingForWelcome;
  welcomed_ = false;
  released_ = false;
  write_in_flight_ = false;
  outbox_.clear();
  end_reason_.clear();

  v1::AgentMessage message;
  v1::Hello& hello = *message.mutable_hello();
  hello.set_protocol_version(kProtocolVersion);
  hello.set_agent_id(options_.agent_id);
  for (const auto& [key, value] : options_.labels) (*hello.mutable_labels())[key] = value;
  hello.set_version(options_.version);
  for (const char* capability : kCapabilities) hello.add_capabilities(capability);
  hello.set_max_concurrent(static_cast<uint32_t>(options_.max_concurrent));
  for (const AttemptStore::Attempt* attempt : store_.Known()) {
    v1::KnownAttempt& known = *hello.add_known_attempts();
    *known.mutable_id() = attempt->id;
    known.set_finished(attempt->phase == AttemptStore::Phase::kFinished);
  }
  Enqueue(std::move(message));

  welcome_timer_ = strand_.At(strand_.Now() + options_.welcome_timeout, [this, generation] {
    welcome_timer_.reset();
    if (generation == generation_ && state_ == LinkState::kWaitingForWelcome) {
      EndStream(absl::StrCat("no Welcome within ", Seconds(options_.welcome_timeout)));
    }
  });
}

void AgentLink::OnMessage(uint64_t generation, const v1::CoordinatorMessage& message) {
  if (generation != generation_ || stopping_ || state_ == LinkState::kIdle) return;
  last_heard_ = strand_.Now();
  switch (message.kind_case()) {
    case v1::CoordinatorMessage::kWelcome:
      OnWelcome(message.welcome());
      return;
    case v1::CoordinatorMessage::kHeartbeat:
      return;  // being heard is all it says
    case v1::CoordinatorMessage::kDispatch:
      OnDispatch(message.dispatch());
      return;
    case v1::CoordinatorMessage::kCancel:
      OnCancel(message.cancel());
      return;
    case v1::CoordinatorMessage::kResultAck:
      OnResultAck(message.result_ack());
      return;
    case v1::CoordinatorMessage::KIND_NOT_SET:
      log_.Line("ignored a message from the coordinator with nothing set (a newer protocol?)");
      return;
  }
}

void AgentLink::OnWelcome(const v1::Welcome& welcome) {
  if (state_ == LinkState::kWelcomed) {
    log_.Line("ignored a second Welcome on the same stream");
    return;
  }
  state_ = LinkState::kWelcomed;
  welcomed_ = true;
  if (welcome_timer_) strand_.Cancel(*welcome_timer_);
  welcome_timer_.reset();
  backoff_.Reset();
  heartbeat_interval_ =
      std::max(welcome.heartbeat_interval_ms() > 0 ? Millis(welcome.heartbeat_interval_ms())
                                                   : options_.default_heartbeat_interval,
               options_.min_heartbeat_interval);
  heartbeat_timeout_ = welcome.heartbeat_timeout_ms() > 0
                           ? std::max(Millis(welcome.heartbeat_timeout_ms()), heartbeat_interval_)
                           : 3 * heartbeat_interval_;

  std::vector<std::string> labels;
  for (const auto& [key, value] : options_.labels) labels.push_back(absl::StrCat(key, "=", value));
  std::string line =
      absl::StrCat("connected to ", options_.coordinator, " as ", options_.agent_id, " (labels ",
                   labels.empty() ? "none" : absl::StrJoin(labels, ","), ")");
  if (!welcome.coordinator_id().empty()) {
    absl::StrAppend(&line, ", coordinator '", welcome.coordinator_id(), "'");
  }
  if (!welcome.run_id().empty()) absl::StrAppend(&line, ", run '", welcome.run_id(), "'");
  log_.Line(line);

  for (const AttemptStore::Attempt* attempt : store_.Unacknowledged()) SendResult(attempt->key);
  heartbeat_timer_ = strand_.At(strand_.Now() + heartbeat_interval_, [this] { SendHeartbeat(); });
  silence_timer_ = strand_.At(last_heard_ + heartbeat_timeout_, [this] { CheckSilence(); });
}

void AgentLink::OnDispatch(const v1::Dispatch& dispatch) {
  const std::string label = AttemptLabel(dispatch.id());
  const int64_t now = NowUnixMs();
  absl::StatusOr<ActionRequest> request = ToActionRequest(dispatch);
  if (!request.ok()) {
    const std::string error(request.status().message());
    const AttemptStore::Admission admission =
        store_.AdmitFinished(dispatch.id(), FailedResult(dispatch.id(), error, now));
    SendAccepted(dispatch.id(), admission.duplicate, admission.started_unix_ms);
    if (admission.duplicate) {
      log_.Line(absl::StrCat("dispatch ", label, " is a duplicate; not run again"));
      return;
    }
    log_.Line(absl::StrCat("dispatch ", label, " rejected: ", error));
    recorder_.Finished(*store_.Get(AttemptKey(dispatch.id())));
    SendResult(AttemptKey(dispatch.id()));
    return;
  }
  const AttemptStore::Admission admission =
      store_.Admit(dispatch.id(), *std::move(request), dispatch.output_cap_bytes(), now);
  SendAccepted(dispatch.id(), admission.duplicate, admission.started_unix_ms);
  if (admission.duplicate) {
    log_.Line(absl::StrCat("dispatch ", label, " is a duplicate; not run again"));
  } else if (admission.start_now) {
    StartAttempt(AttemptKey(dispatch.id()));
  } else {
    log_.Line(absl::StrCat("dispatch ", label, " queued (", store_.running(), " running, ",
                           store_.queued(), " waiting)"));
  }
}

void AgentLink::OnCancel(const v1::Cancel& cancel) {
  const std::string key = AttemptKey(cancel.id());
  const std::string label = AttemptLabel(cancel.id());
  const AttemptStore::Attempt* attempt = store_.Get(key);
  if (attempt == nullptr || attempt->phase == AttemptStore::Phase::kFinished) return;
  const std::string why = cancel.reason().empty() ? "" : absl::StrCat(" (", cancel.reason(), ")");
  if (attempt->phase == AttemptStore::Phase::kQueued) {
    v1::Result result = FailedResult(cancel.id(), "cancelled before it started", NowUnixMs());
    result.set_cancelled(true);
    store_.FinishQueued(key, std::move(result));
    log_.Line(absl::StrCat(label, " cancelled before it started", why));
    recorder_.Finished(*store_.Get(key));
    SendResult(key);
    return;
  }
  log_.Line(absl::StrCat("cancelling ", label, why));
  executor_.Cancel(key);
}

void AgentLink::OnResultAck(const v1::ResultAck& ack) {
  if (store_.Acknowledge(AttemptKey(ack.id()))) recorder_.Acknowledged(ack.id());
}

void AgentLink::StartAttempt(const std::string& key) {
  const AttemptStore::Attempt* attempt = store_.Get(key);
  if (attempt == nullptr) return;
  if (absl::Status recorded = recorder_.Started(*attempt); !recorded.ok()) {
    // An attempt the agent could lose track of (if it died, the coordinator would send it
    // again and it would run twice) is not started at all: the step fails with the reason.
    const std::string error =
        absl::StrCat("not started: the agent cannot record it in its state directory (",
                     recorded.message(), ")");
    log_.Line(absl::StrCat("dispatch ", AttemptLabel(attempt->id), " ", error));
    const int64_t now = NowUnixMs();
    const std::vector<std::string> next =
        store_.Finish(key, FailedResult(attempt->id, error, now), now);
    recorder_.Finished(*store_.Get(key));
    SendResult(key);
    for (const std::string& queued : next) StartAttempt(queued);
    return;
  }
  log_.Line(absl::StrCat("dispatch ", AttemptLabel(attempt->id), " started"));
  Scheduler* strand = &strand_;
  executor_.Start(attempt->request, [this, strand, key](ActionResult outcome) {
    strand->Post([this, key, outcome = std::move(outcome)] { OnAttemptDone(key, outcome); });
  });
}

void AgentLink::OnAttemptDone(const std::string& key, const ActionResult& outcome) {
  const AttemptStore::Attempt* attempt = store_.Get(key);
  if (stopping_ || attempt == nullptr || attempt->phase != AttemptStore::Phase::kRunning) return;
  const int64_t now = NowUnixMs();
  v1::Result result = ToResult(attempt->id, outcome, attempt->output_cap_bytes, now);
  log_.Line(absl::StrCat(AttemptLabel(attempt->id), " finished: ", DescribeOutcome(result), " in ",
                         Seconds(outcome.duration)));
  const std::vector<std::string> next = store_.Finish(key, std::move(result), now);
  recorder_.Finished(*store_.Get(key));  // on disk before the coordinator can see it
  SendResult(key);
  for (const std::string& queued : next) StartAttempt(queued);
}

void AgentLink::SendAccepted(const v1::DispatchId& id, bool duplicate, int64_t started_unix_ms) {
  v1::AgentMessage message;
  v1::Accepted& accepted = *message.mutable_accepted();
  *accepted.mutable_id() = id;
  accepted.set_duplicate(duplicate);
  accepted.set_started_unix_ms(started_unix_ms);
  Enqueue(std::move(message));
}

void AgentLink::SendResult(const std::string& key) {
  // Before the Welcome results wait: OnWelcome delivers every one still unacknowledged.
  if (state_ != LinkState::kWelcomed) return;
  const AttemptStore::Attempt* attempt = store_.Get(key);
  if (attempt == nullptr || attempt->phase != AttemptStore::Phase::kFinished) return;
  v1::AgentMessage message;
  *message.mutable_result() = attempt->result;
  message.mutable_result()->set_redelivered(attempt->result_sent);
  store_.MarkSent(key);
  Enqueue(std::move(message));
}

void AgentLink::SendHeartbeat() {
  heartbeat_timer_.reset();
  if (state_ != LinkState::kWelcomed) return;
  v1::AgentMessage message;
  v1::Heartbeat& heartbeat = *message.mutable_heartbeat();
  heartbeat.set_sent_unix_ms(NowUnixMs());
  heartbeat.set_running(static_cast<uint32_t>(store_.running()));
  heartbeat.set_queued(static_cast<uint32_t>(store_.queued()));
  Enqueue(std::move(message));
  heartbeat_timer_ = strand_.At(strand_.Now() + heartbeat_interval_, [this] { SendHeartbeat(); });
}

void AgentLink::CheckSilence() {
  silence_timer_.reset();
  if (state_ != LinkState::kWelcomed) return;
  const Millis silent = strand_.Now() - last_heard_;
  if (silent >= heartbeat_timeout_) {
    EndStream(absl::StrCat("no message from the coordinator for ", Seconds(silent)));
    return;
  }
  silence_timer_ = strand_.At(last_heard_ + heartbeat_timeout_, [this] { CheckSilence(); });
}

void AgentLink::EndStream(const std::string& reason) {
  if (stream_ == nullptr || released_) return;
  if (end_reason_.empty()) end_reason_ = reason;
  stream_->Cancel();  // the failed read then releases it (OnReadEnd)
}

void AgentLink::OnReadEnd(uint64_t generation) {
  if (generation != generation_ || stream_ == nullptr || released_) return;
  state_ = LinkState::kIdle;
  CancelTimers();
  outbox_.clear();
  stream_->Cancel();  // the coordinator may have only stopped sending
  stream_->Release();
  released_ = true;
}

void AgentLink::OnWriteDone(uint64_t generation, bool ok) {
  if (generation != generation_) return;
  write_in_flight_ = false;
  if (ok) WriteNext();
}

void AgentLink::OnStreamDone(uint64_t generation, const grpc::Status& status) {
  if (generation != generation_) return;
  stream_.reset();
  state_ = LinkState::kIdle;
  if (stopping_) return;
  const bool refused = end_reason_.empty() && IsRefusal(status);
  const Millis delay = refused ? backoff_.Maximum() : backoff_.Next();
  const std::string why = end_reason_.empty() ? StatusText(status) : end_reason_;
  const std::string retry = absl::StrCat("; retrying in ", Seconds(delay));
  if (refused) {
    log_.Line(
        absl::StrCat("refused by the coordinator at ", options_.coordinator, ": ", why, retry));
  } else if (welcomed_) {
    log_.Line(absl::StrCat("connection lost: ", why, retry));
  } else {
    log_.Line(absl::StrCat("cannot connect to ", options_.coordinator, ": ", why, retry));
  }
  reconnect_timer_ = strand_.At(strand_.Now() + delay, [this] { Connect(); });
}

void AgentLink::CancelTimers() {
  for (std::optional<Scheduler::TimerId>* timer :
       {&welcome_timer_, &heartbeat_timer_, &silence_timer_}) {
    if (*timer) strand_.Cancel(**timer);
    timer->reset();
  }
}

void AgentLink::Enqueue(v1::AgentMessage message) {
  if (stream_ == nullptr || released_ || state_ == LinkState::kIdle) return;
  outbox_.push_back(std::move(message));
  WriteNext();
}

void AgentLink::WriteNext() {
  if (write_in_flight_ || outbox_.empty() || stream_ == nullptr || released_) return;
  write_in_flight_ = true;
  stream_->Write(std::move(outbox_.front()));
  outbox_.pop_front();
}

}  // namespace tminus::agent
