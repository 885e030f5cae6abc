// Where operators' requests meet the run, whichever way they came (the gRPC control API,
// the dashboard): status reads and acts are posted to the engine's strand and answered
// from there, an act only once the engine's record of it (accepted or refused) is durable;
// the journal's events fan out to whoever listens. Callers never touch the engine and
// never wait on it: every request is answered exactly once, by its callback.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/base/scheduler.h"
#include "engine/exec/run_engine.h"
#include "tminus/v1/control.pb.h"

namespace tminus::control {

struct DeskOptions {
  Scheduler* strand = nullptr;
  // On the strand: the engine (null until it exists and once it is gone) and the status.
  std::function<RunEngine*()> engine;
  std::function<v1::StatusReply()> status;
  // From any thread: the agents connected now.
  std::function<v1::AgentsReply()> agents;
  // Refused calls and accepted acts, one line each.
  std::function<void(const std::string&)> log;
};

// How an act ended.
struct ActResult {
  enum class Outcome {
    kDecided,        // the engine accepted or refused it: `accepted`, `reason`
    kNotRunning,     // the run is not under way
    kStopping,       // the coordinator stopped before it could act
    kJournalFailed,  // the journal failed; nothing more is acted on
  };
  Outcome outcome = Outcome::kDecided;
  bool accepted = false;
  std::string reason;  // the engine's refusal, or why it could not act
  std::string person;
};

// Receives every event as the journal records it, on the strand.
class EventListener {
 public:
  virtual ~EventListener() = default;
  // Whether anyone is listening now (so events need encoding at all).
  virtual bool listening() const = 0;
  virtual void OnRunEvent(const v1::Event& event) = 0;
};

class RunDesk {
 public:
  using Act = std::function<absl::Status(RunEngine& engine, const std::string& person)>;

  explicit RunDesk(DeskOptions options) : options_(std::move(options)) {}

  // Runs `act` on the strand as `person`, then calls `done` (on the strand, or here once
  // stopping). `what` ("signs off 'cab'") is how the log line names it.
  void Perform(const std::string& person, std::string what, Act act,
               std::function<void(const ActResult&)> done);
  // Calls `done` with the status on the strand, or with null once stopping.
  void ReadStatus(std::function<void(const v1::StatusReply*)> done);
  v1::AgentsReply Agents() const;

  // Answers every request still waiting for the strand (which no longer runs) as
  // stopping, and every later one at once. Call once the strand has stopped.
  void Stop();

  // Listeners are added before the run starts and outlive it.
  void AddListener(EventListener* listener) { listeners_.push_back(listener); }
  bool listening() const;
  void Publish(const v1::Event& event);

  void Log(const std::string& line) const;

 private:
  // Posts `task` to the strand unless stopping; `on_stop` answers the request if the
  // strand never gets to it. False (with `on_stop` called) once stopping.
  bool Post(std::function<void(uint64_t id)> task, std::function<void()> on_stop);
  // On the strand: true when request `id` still waits, and now the caller's to answer.
  bool Claim(uint64_t id);

  const DeskOptions options_;
  std::mutex mutex_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::function<void()>> waiting_;  // id -> answers it as stopping
  bool stopped_ = false;
  std::vector<EventListener*> listeners_;
};

}  // namespace tminus::control
