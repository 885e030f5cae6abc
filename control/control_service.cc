#include "control/control_service.h"

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/acts.h"
#include "net/ordered_writes.h"

namespace tminus::control {

// One Watch stream: events queue here and are written one at a time. Reference-counted so
// Publish can reach it without holding the service's lock across a gRPC call.
class ControlService::Watcher : public grpc::ServerWriteReactor<v1::Event> {
 public:
  static constexpr size_t kMaxQueued = 10000;

  explicit Watcher(ControlService* service) : service_(service) {}

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Publish is called from the strand alone, so the size checked is the size pushed to.
  void Push(const v1::Event& event) {
    if (writes_.queued() >= kMaxQueued) {
      Apply(writes_.End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     "this watcher fell more than 10000 events behind; watch again"),
                        /*drop_queued=*/true));
      return;
    }
    Writes::Action action;
    if (writes_.Push(event, &action)) Apply(action);
  }

  // Ends the stream with `status` once what is queued is written.
  void End(grpc::Status status) { Apply(writes_.End(std::move(status))); }

  void OnWriteDone(bool ok) override {
    Writes::Action action = writes_.WriteDone(ok);
    // A broken stream ends here (unless an end was already waiting for this write).
    if (!ok && !action.finish) action = writes_.End(grpc::Status::OK);
    Apply(action);
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher left")); }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(service_->mutex_);
      service_->watchers_.erase(this);
      service_->watching_.store(!service_->watchers_.empty());
    }
    Unref();
  }

 private:
  using Writes = net::OrderedWrites<v1::Event>;
  void Apply(const Writes::Action& action) { Writes::Apply(this, action); }

  ControlService* const service_;
  std::atomic<int> refs_{1};
  Writes writes_;
};

void ControlService::Stop() {
  std::vector<Watcher*> watchers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    for (Watcher* w : watchers_) {
      w->Ref();
      watchers.push_back(w);
    }
  }
  for (Watcher* w : watchers) {
    w->End(grpc::Status::OK);
    w->Unref();
  }
}

const Operator* ControlService::Caller(grpc::CallbackServerContext* context, const char* call) {
  std::string token;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) token = BearerToken(std::string(it->second.data(), it->second.size()));
  const Operator* op = options_.operators == nullptr ? nullptr : options_.operators->Authenticate(token);
  if (op == nullptr) {
    options_.desk->Log(absl::StrCat("refused a control call (", call, ") from ", context->peer(), ": ",
                     token.empty() ? "no API token" : "an unknown API token"));
  }
  return op;
}

grpc::Status ControlService::Unauthenticated() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "an API token of one of this coordinator's operators is required "
                      "(TMINUS_TOKEN or --token-file)");
}

const Operator* ControlService::Authenticate(grpc::CallbackServerContext* context,
                                             grpc::ServerUnaryReactor* reactor, const char* call) {
  const Operator* op = Caller(context, call);
  if (op == nullptr) reactor->Finish(Unauthenticated());
  return op;
}

grpc::ServerUnaryReactor* ControlService::Perform(grpc::CallbackServerContext* context,
                                                  v1::ActReply* reply, const char* call,
                                                  NamedAct act) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Operator* op = Authenticate(context, reactor, call);
  if (op == nullptr) return reactor;
  options_.desk->Perform(op->name, std::move(act.what), std::move(act.act),
                         [reactor, reply](const ActResult& r) {
                           switch (r.outcome) {
                             case ActResult::Outcome::kDecided:
                               reply->set_person(r.person);
                               reply->set_accepted(r.accepted);
                               reply->set_reason(r.reason);
                               reactor->Finish(grpc::Status::OK);
                               return;
                             case ActResult::Outcome::kNotRunning:
                             case ActResult::Outcome::kStopping:
                               reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, r.reason));
                               return;
                             case ActResult::Outcome::kJournalFailed:
                               reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, r.reason));
                               return;
                           }
                         });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Status(grpc::CallbackServerContext* context,
                                                 const v1::StatusRequest*, v1::StatusReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Authenticate(context, reactor, "status") == nullptr) return reactor;
  options_.desk->ReadStatus([reactor, reply](const v1::StatusReply* status) {
    if (status == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the coordinator stopped before it could answer"));
      return;
    }
    *reply = *status;
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Agents(grpc::CallbackServerContext* context,
                                                 const v1::AgentsRequest*, v1::AgentsReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Authenticate(context, reactor, "agents") == nullptr) return reactor;
  *reply = options_.desk->Agents();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::SignOff(grpc::CallbackServerContext* context,
                                                  const v1::SignOffRequest* request, v1::ActReply* reply) {
  return Perform(context, reply, "signoff", SignOffAct(request->step(), request->comment()));
}

grpc::ServerUnaryReactor* ControlService::Decide(grpc::CallbackServerContext* context,
                                                 const v1::DecideRequest* request, v1::ActReply* reply) {
  const std::string& d = request->decision();
  if (d != "go" && d != "nogo") {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "the decision must be 'go' or 'nogo', not '" + d + "'"));
    return reactor;
  }
  return Perform(context, reply, "decide", DecideAct(request->gate(), d == "go", request->reason()));
}

grpc::ServerUnaryReactor* ControlService::Retry(grpc::CallbackServerContext* context,
                                                const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "retry", StepAct("retry", request->step(), request->reason()));
}

grpc::ServerUnaryReactor* ControlService::Skip(grpc::CallbackServerContext* context,
                                               const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "skip", StepAct("skip", request->step(), request->reason()));
}

grpc::ServerUnaryReactor* ControlService::MarkDone(grpc::CallbackServerContext* context,
                                                   const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "mark-done", StepAct("mark-done", request->step(), request->reason()));
}

grpc::ServerUnaryReactor* ControlService::Abort(grpc::CallbackServerContext* context,
                                                const v1::RunCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "abort", AbortAct(request->reason()));
}

grpc::ServerUnaryReactor* ControlService::Rollback(grpc::CallbackServerContext* context,
                                                   const v1::RunCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "rollback", RollbackAct(request->reason(), request->force()));
}

}  // namespace tminus::control

namespace tminus::control {

grpc::ServerWriteReactor<v1::Event>* ControlService::Watch(grpc::CallbackServerContext* context,
                                                           const v1::WatchRequest*) {
  auto* watcher = new Watcher(this);
  if (Caller(context, "watch") == nullptr) {
    watcher->End(Unauthenticated());
    return watcher;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      watchers_.insert(watcher);
      watching_.store(true);
      return watcher;
    }
  }
  watcher->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the coordinator is stopping"));
  return watcher;
}

void ControlService::OnRunEvent(const v1::Event& event) {
  std::vector<Watcher*> watchers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Watcher* w : watchers_) {
      w->Ref();
      watchers.push_back(w);
    }
  }
  for (Watcher* w : watchers) {
    w->Push(event);
    w->Unref();
  }
}

}  // namespace tminus::control
