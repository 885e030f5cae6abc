#include "control/run_desk.h"

#include "absl/strings/str_cat.h"

namespace tminus::control {

bool RunDesk::Post(std::function<void(uint64_t id)> task, std::function<void()> on_stop) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      const uint64_t id = next_id_++;
      waiting_.emplace(id, std::move(on_stop));
      options_.strand->Post([task = std::move(task), id] { task(id); });
      return true;
    }
  }
  on_stop();
  return false;
}

bool RunDesk::Claim(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.erase(id) == 1;
}

void RunDesk::Stop() {
  std::map<uint64_t, std::function<void()>> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    waiting.swap(waiting_);
  }
  for (auto& [id, on_stop] : waiting) on_stop();
}

void RunDesk::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void RunDesk::Perform(const std::string& person, std::string what, Act act,
                      std::function<void(const ActResult&)> done) {
  auto stopping = [done, person] {
    ActResult r;
    r.outcome = ActResult::Outcome::kStopping;
    r.reason = "the coordinator stopped before it could act on this";
    r.person = person;
    done(r);
  };
  Post(
      [this, person, what = std::move(what), act = std::move(act), done](uint64_t id) {
        if (!Claim(id)) return;
        ActResult r;
        r.person = person;
        RunEngine* engine = options_.engine ? options_.engine() : nullptr;
        if (engine == nullptr) {
          r.outcome = ActResult::Outcome::kNotRunning;
          r.reason = "the run is not under way";
          done(r);
          return;
        }
        const absl::Status outcome = act(*engine, person);
        // Accepted or refused, the record of it is durable before the caller hears.
        const absl::Status flushed = engine->Flush();
        if (!flushed.ok() || !engine->halted().ok()) {
          r.outcome = ActResult::Outcome::kJournalFailed;
          r.reason = "the journal failed; the coordinator has stopped acting";
          done(r);
          return;
        }
        r.accepted = outcome.ok();
        r.reason = std::string(outcome.message());
        Log(absl::StrCat(person, " ", what, outcome.ok() ? ": accepted" : ": refused: ",
                         outcome.message()));
        done(r);
      },
      stopping);
}

void RunDesk::ReadStatus(std::function<void(const v1::StatusReply*)> done) {
  Post(
      [this, done](uint64_t id) {
        if (!Claim(id)) return;
        const v1::StatusReply reply = options_.status();
        done(&reply);
      },
      [done] { done(nullptr); });
}

v1::AgentsReply RunDesk::Agents() const {
  return options_.agents ? options_.agents() : v1::AgentsReply();
}

bool RunDesk::listening() const {
  for (EventListener* l : listeners_) {
    if (l->listening()) return true;
  }
  return false;
}

void RunDesk::Publish(const v1::Event& event) {
  for (EventListener* l : listeners_) {
    if (l->listening()) l->OnRunEvent(event);
  }
}

}  // namespace tminus::control
