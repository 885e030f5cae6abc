#include "control/control_service.h"

#include "absl/strings/str_cat.h"

namespace tminus::control {

void ControlService::Stop() {
  std::set<grpc::ServerUnaryReactor*> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    waiting.swap(waiting_);
  }
  for (grpc::ServerUnaryReactor* reactor : waiting) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "the coordinator stopped before it could act on this"));
  }
}

bool ControlService::Post(grpc::ServerUnaryReactor* reactor, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      waiting_.insert(reactor);
      options_.strand->Post(std::move(task));
      return true;
    }
  }
  reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the coordinator is stopping"));
  return false;
}

bool ControlService::Claim(grpc::ServerUnaryReactor* reactor) {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.erase(reactor) == 1;
}

void ControlService::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

const Operator* ControlService::Authenticate(grpc::CallbackServerContext* context,
                                             grpc::ServerUnaryReactor* reactor, const char* call) {
  std::string token;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) token = BearerToken(std::string(it->second.data(), it->second.size()));
  const Operator* op = options_.operators == nullptr ? nullptr : options_.operators->Authenticate(token);
  if (op == nullptr) {
    Log(absl::StrCat("refused a control call (", call, ") from ", context->peer(), ": ",
                     token.empty() ? "no API token" : "an unknown API token"));
    reactor->Finish(grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        token.empty() ? "an API token is required (TMINUS_TOKEN or --token-file)"
                      : "the API token is not one of this coordinator's operators"));
  }
  return op;
}

grpc::ServerUnaryReactor* ControlService::Perform(grpc::CallbackServerContext* context,
                                                  v1::ActReply* reply, const char* call,
                                                  std::string what, Act act) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Operator* op = Authenticate(context, reactor, call);
  if (op == nullptr) return reactor;
  const std::string person = op->name;
  Post(reactor, [this, reactor, reply, person, what = std::move(what), act = std::move(act)] {
    if (!Claim(reactor)) return;
    RunEngine* engine = options_.engine ? options_.engine() : nullptr;
    if (engine == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the run is not under way"));
      return;
    }
    const absl::Status outcome = act(*engine, person);
    // Accepted or refused, the record of it is durable before the caller hears.
    const absl::Status flushed = engine->Flush();
    if (!flushed.ok() || !engine->halted().ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL,
                                   "the journal failed; the coordinator has stopped acting"));
      return;
    }
    reply->set_person(person);
    reply->set_accepted(outcome.ok());
    reply->set_reason(std::string(outcome.message()));
    Log(absl::StrCat(person, " ", what, outcome.ok() ? ": accepted" : ": refused: ",
                     outcome.message()));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Status(grpc::CallbackServerContext* context,
                                                 const v1::StatusRequest*, v1::StatusReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Authenticate(context, reactor, "status") == nullptr) return reactor;
  Post(reactor, [this, reactor, reply] {
    if (!Claim(reactor)) return;
    *reply = options_.status();
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Agents(grpc::CallbackServerContext* context,
                                                 const v1::AgentsRequest*, v1::AgentsReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Authenticate(context, reactor, "agents") == nullptr) return reactor;
  if (options_.agents) *reply = options_.agents();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::SignOff(grpc::CallbackServerContext* context,
                                                  const v1::SignOffRequest* request, v1::ActReply* reply) {
  return Perform(context, reply, "signoff", "signs off '" + request->step() + "'",
                 [step = request->step(), comment = request->comment()](RunEngine& e, const std::string& who) {
                   return e.SignOff(step, who, comment);
                 });
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
  return Perform(context, reply, "decide", "decides '" + request->gate() + "' " + d,
                 [gate = request->gate(), go = d == "go", reason = request->reason()](
                     RunEngine& e, const std::string& who) {
                   return e.Decide(gate, who, go ? Decision::kGo : Decision::kNogo, reason);
                 });
}

grpc::ServerUnaryReactor* ControlService::Retry(grpc::CallbackServerContext* context,
                                                const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "retry", "retries '" + request->step() + "'",
                 [step = request->step(), reason = request->reason()](RunEngine& e, const std::string& who) {
                   return e.Retry(step, who, reason);
                 });
}

grpc::ServerUnaryReactor* ControlService::Skip(grpc::CallbackServerContext* context,
                                               const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "skip", "skips '" + request->step() + "'",
                 [step = request->step(), reason = request->reason()](RunEngine& e, const std::string& who) {
                   return e.Skip(step, who, reason);
                 });
}

grpc::ServerUnaryReactor* ControlService::MarkDone(grpc::CallbackServerContext* context,
                                                   const v1::StepCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "mark-done", "marks '" + request->step() + "' done",
                 [step = request->step(), reason = request->reason()](RunEngine& e, const std::string& who) {
                   return e.MarkDone(step, who, reason);
                 });
}

grpc::ServerUnaryReactor* ControlService::Abort(grpc::CallbackServerContext* context,
                                                const v1::RunCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "abort", "aborts the run",
                 [reason = request->reason()](RunEngine& e, const std::string& who) {
                   return e.Abort(who, reason);
                 });
}

grpc::ServerUnaryReactor* ControlService::Rollback(grpc::CallbackServerContext* context,
                                                   const v1::RunCommand* request, v1::ActReply* reply) {
  return Perform(context, reply, "rollback",
                 request->force() ? "forces a rollback" : "starts a rollback",
                 [reason = request->reason(), force = request->force()](RunEngine& e, const std::string& who) {
                   return e.Rollback(who, force, reason);
                 });
}

}  // namespace tminus::control
