// The coordinator's side of the agent protocol (proto/tminus/v1/agent.proto): the
// AgentLink service, one stream per connected agent, the Hello/Welcome handshake, and
// heartbeats both ways. It knows nothing of runs: what agents say goes to an AgentListener
// (the agent executor), and what the coordinator has to say goes out through Send().
//
// Threads: gRPC calls the stream reactions on its own threads; the hub's heartbeat thread
// sends heartbeats and notices silent agents; its writer thread hands every outgoing message
// to gRPC, so a caller of Send() (the engine's strand) never encrypts or writes. The
// listener is called from the gRPC and heartbeat threads, never with the hub's lock held,
// and must not block: it translates and posts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tminus/v1/agent.grpc.pb.h"

namespace tminus {

// An agent as it introduced itself.
struct AgentInfo {
  std::string id;
  std::map<std::string, std::string> labels;
  std::string version;
  std::string peer;  // "ipv4:10.0.0.5:53122"
  int max_concurrent = 0;
  std::chrono::system_clock::time_point connected_at;
  // How long since anything was heard from it (filled in by AgentHub::Connected).
  std::chrono::milliseconds silent_for{0};
};

class AgentListener {
 public:
  virtual ~AgentListener() = default;
  // An agent's Hello was accepted; `known` lists the attempts it still runs or holds
  // results for. Called before any other message of the stream is delivered.
  virtual void OnAgentConnected(const AgentInfo& agent,
                                const std::vector<v1::KnownAttempt>& known) = 0;
  virtual void OnAgentAccepted(const std::string& agent, const v1::Accepted& accepted) = 0;
  virtual void OnAgentResult(const std::string& agent, const v1::Result& result) = 0;
  // Nothing was heard from the agent for the heartbeat timeout (its stream is closed, or
  // open but silent): whatever it was running is lost unless it comes back and reports.
  virtual void OnAgentLost(const std::string& agent, const std::string& why) = 0;
};

struct AgentHubOptions {
  std::string coordinator_id = "tminus";
  std::string run_id;
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds heartbeat_timeout{15000};
  // With mutual TLS: every agent must present a certificate and its common name must equal
  // the agent id in its Hello.
  bool require_certificate = false;
  // Where the hub says what happened to connections ("agent-a connected from ...").
  std::function<void(const std::string&)> log;
};

class AgentHub {
 public:
  explicit AgentHub(AgentHubOptions options);
  ~AgentHub();
  AgentHub(const AgentHub&) = delete;
  AgentHub& operator=(const AgentHub&) = delete;

  // The service to register with a grpc::ServerBuilder.
  grpc::Service* service();
  // Set before the server starts.
  void SetListener(AgentListener* listener) { listener_ = listener; }
  // Starts the heartbeat thread.
  void Start();
  // Ends every stream (agents will dial again) and stops the heartbeat thread. Call before
  // shutting down the gRPC server.
  void Shutdown();

  // Queues `message` for the agent; false when it is not connected now. The hub's writer
  // thread hands it to gRPC (which encrypts and writes it there, not on the caller's
  // thread); messages to one agent keep their order.
  bool Send(const std::string& agent, v1::CoordinatorMessage message);
  // The agents connected now.
  std::vector<AgentInfo> Connected() const;
  std::chrono::milliseconds heartbeat_timeout() const { return options_.heartbeat_timeout; }
  size_t ConnectedCount() const;
  // The ids of the connected agents whose labels include every (key, value) pair of
  // `selector` (all of them for an empty one), in id order. Served from an index of the
  // labels, so its cost follows the number of matches, not of agents.
  using Selector = std::vector<std::pair<std::string, std::string>>;
  std::vector<std::string> Matching(const Selector& selector) const;

  class Stream;  // one agent's stream (agent_hub.cc)

 private:
  class Service;
  friend class Stream;

  // From the streams.
  grpc::Status Admit(Stream* stream, const v1::Hello& hello, const std::string& cert_identity,
                     AgentInfo* info);
  void Heard(Stream* stream);
  void Deliver(Stream* stream, const v1::AgentMessage& message);
  void StreamDone(Stream* stream);
  void Log(const std::string& line) const;

  void HeartbeatLoop();
  void WriterLoop();
  // Queues a message for `stream`, which the caller has Ref()'d; the writer Unref()s it.
  void Enqueue(Stream* stream, v1::CoordinatorMessage message);

  const AgentHubOptions options_;
  std::unique_ptr<Service> service_;
  AgentListener* listener_ = nullptr;

  struct Entry {
    Stream* stream = nullptr;  // null while disconnected (waiting to come back or be lost)
    AgentInfo info;
    std::chrono::steady_clock::time_point last_heard;
  };
  // Adds (or removes) a connected agent's labels to (from) by_label_; under mutex_.
  void Index(const AgentInfo& info, bool add);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, Entry> agents_;
  // Connected agents by label: (key, value) -> agent ids.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> by_label_;
  std::thread heartbeat_thread_;

  // The writer: messages in the order Send() was called, each with a reference to its stream.
  std::mutex out_mutex_;
  std::condition_variable out_wake_;
  std::vector<std::pair<Stream*, v1::CoordinatorMessage>> outgoing_;
  bool out_stopping_ = false;
  std::thread writer_thread_;
};

}  // namespace tminus
