// The control API (proto/tminus/v1/control.proto) served to operators' tools. Every call
// is authenticated against the operators file, then handed to the run desk, which answers
// it from the engine's strand: the gRPC threads never touch the engine and never wait on
// it.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "control/acts.h"
#include "control/operators.h"
#include "control/run_desk.h"
#include "tminus/v1/control.grpc.pb.h"

namespace tminus::control {

struct ControlOptions {
  const Operators* operators = nullptr;  // not changed while the service runs
  RunDesk* desk = nullptr;
};

class ControlService : public v1::Control::CallbackService, public EventListener {
 public:
  explicit ControlService(ControlOptions options) : options_(std::move(options)) {}

  // Ends every Watch stream once what it was sent is written, and refuses later ones. Call
  // once the strand has stopped (and the desk with it), before shutting the server down.
  void Stop();

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const v1::StatusRequest* request, v1::StatusReply* reply) override;
  grpc::ServerUnaryReactor* SignOff(grpc::CallbackServerContext* context,
                                    const v1::SignOffRequest* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Retry(grpc::CallbackServerContext* context,
                                  const v1::StepCommand* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Skip(grpc::CallbackServerContext* context,
                                 const v1::StepCommand* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* MarkDone(grpc::CallbackServerContext* context,
                                     const v1::StepCommand* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Abort(grpc::CallbackServerContext* context,
                                  const v1::RunCommand* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* context,
                                     const v1::RunCommand* request, v1::ActReply* reply) override;
  grpc::ServerUnaryReactor* Agents(grpc::CallbackServerContext* context,
                                   const v1::AgentsRequest* request, v1::AgentsReply* reply) override;
  grpc::ServerWriteReactor<v1::Event>* Watch(grpc::CallbackServerContext* context,
                                             const v1::WatchRequest* request) override;

  // EventListener: every event goes to every watcher.
  bool listening() const override { return watching_.load(); }
  void OnRunEvent(const v1::Event& event) override;

  class Watcher;  // one Watch stream (control_service.cc)

 private:
  // The caller's operator, or null (the refusal logged with the peer's address).
  const Operator* Caller(grpc::CallbackServerContext* context, const char* call);
  static grpc::Status Unauthenticated();
  // The caller's operator, or null after finishing `reactor` with UNAUTHENTICATED.
  const Operator* Authenticate(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                               const char* call);
  // Authenticates, then has the desk perform `act` as the caller and answers with its outcome.
  grpc::ServerUnaryReactor* Perform(grpc::CallbackServerContext* context, v1::ActReply* reply,
                                    const char* call, NamedAct act);
  const ControlOptions options_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::set<Watcher*> watchers_;
  std::atomic<bool> watching_{false};
  friend class Watcher;
};

}  // namespace tminus::control
