// The control API (proto/tminus/v1/control.proto) served to operators' tools. Every call
// is authenticated against the operators file; acts are posted to the engine's strand and
// answered from there once the engine's record of them is durable, so the gRPC threads
// never touch the engine and never wait on it.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "control/operators.h"
#include "engine/base/scheduler.h"
#include "engine/exec/run_engine.h"
#include "tminus/v1/control.grpc.pb.h"

namespace tminus::control {

struct ControlOptions {
  const Operators* operators = nullptr;  // not changed while the service runs
  Scheduler* strand = nullptr;
  // On the strand: the engine (null until it exists and once it is gone) and the status.
  std::function<RunEngine*()> engine;
  std::function<v1::StatusReply()> status;
  // From any thread: the agents connected now.
  std::function<v1::AgentsReply()> agents;
  // Refused calls and accepted acts, one line each.
  std::function<void(const std::string&)> log;
};

class ControlService : public v1::Control::CallbackService {
 public:
  explicit ControlService(ControlOptions options) : options_(std::move(options)) {}

  // Answers every call still waiting for the strand (which no longer runs) with
  // UNAVAILABLE, and every later one at once; ends every Watch stream once what it was
  // sent is written. Call once the strand has stopped, before shutting the server down.
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

  // Sends `event` to every watcher (from the strand, as the engine records it).
  void Publish(const v1::Event& event);
  // Whether anyone watches (so events need encoding at all).
  bool watching() const { return watching_.load(); }

  class Watcher;  // one Watch stream (control_service.cc)

 private:
  using Act = std::function<absl::Status(RunEngine& engine, const std::string& person)>;
  // The caller's operator, or null (the refusal logged with the peer's address).
  const Operator* Caller(grpc::CallbackServerContext* context, const char* call);
  static grpc::Status Unauthenticated();
  // The caller's operator, or null after finishing `reactor` with UNAUTHENTICATED.
  const Operator* Authenticate(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                               const char* call);
  // Authenticates, then runs `act` on the strand as the caller and answers with its outcome.
  grpc::ServerUnaryReactor* Perform(grpc::CallbackServerContext* context, v1::ActReply* reply,
                                    const char* call, std::string what, Act act);
  // Retry, Skip and MarkDone: the engine's method of that name on the request's step.
  using StepMethod = absl::Status (RunEngine::*)(const std::string&, const std::string&,
                                                 const std::string&);
  grpc::ServerUnaryReactor* StepAct(grpc::CallbackServerContext* context,
                                    const v1::StepCommand* request, v1::ActReply* reply,
                                    const char* call, const std::string& verb, StepMethod method);
  void Log(const std::string& line) const;
  // Posts `task` to the strand for `reactor`; false (and the call answered) once stopped.
  bool Post(grpc::ServerUnaryReactor* reactor, std::function<void()> task);
  // On the strand: true when the call is still waiting, and now the caller's to finish.
  bool Claim(grpc::ServerUnaryReactor* reactor);

  const ControlOptions options_;
  std::mutex mutex_;
  std::set<grpc::ServerUnaryReactor*> waiting_;  // posted to the strand, not yet answered
  bool stopped_ = false;
  std::set<Watcher*> watchers_;
  std::atomic<bool> watching_{false};
  friend class Watcher;
};

}  // namespace tminus::control
