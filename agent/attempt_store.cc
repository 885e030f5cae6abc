#include "agent/attempt_store.h"

#include <algorithm>
#include <utility>

#include "agent/dispatch_translate.h"

namespace tminus::agent {

namespace {

AttemptStoreOptions Normalized(AttemptStoreOptions options) {
  options.max_concurrent = std::max<size_t>(options.max_concurrent, 1);
  return options;
}

}  // namespace

AttemptStore::AttemptStore(AttemptStoreOptions options) : options_(Normalized(options)) {}

AttemptStore::Attempt* AttemptStore::Insert(const v1::DispatchId& id, Admission* admission) {
  const std::string key = AttemptKey(id);
  if (const Attempt* known = Get(key)) {
    admission->duplicate = true;
    admission->started_unix_ms = known->started_unix_ms;
    return nullptr;
  }
  if (WasAcknowledged(key)) {
    admission->duplicate = true;
    return nullptr;
  }
  Attempt& attempt = attempts_[key];
  attempt.key = key;
  attempt.id = id;
  attempt.admit_order = next_admit_order_++;
  return &attempt;
}

AttemptStore::Admission AttemptStore::Admit(const v1::DispatchId& id, ActionRequest request,
                                            size_t output_cap_bytes, int64_t now_unix_ms) {
  Admission admission;
  Attempt* attempt = Insert(id, &admission);
  if (attempt == nullptr) return admission;
  attempt->request = std::move(request);
  attempt->request.dispatch_id = attempt->key;
  attempt->output_cap_bytes = output_cap_bytes;
  if (running_ < options_.max_concurrent && queue_.empty()) {
    attempt->phase = Phase::kRunning;
    attempt->started_unix_ms = now_unix_ms;
    ++running_;
    admission.start_now = true;
    admission.started_unix_ms = now_unix_ms;
  } else {
    attempt->phase = Phase::kQueued;
    queue_.push_back(attempt->key);
  }
  return admission;
}

AttemptStore::Admission AttemptStore::AdmitFinished(const v1::DispatchId& id, v1::Result result) {
  Admission admission;
  Attempt* attempt = Insert(id, &admission);
  if (attempt == nullptr) return admission;
  attempt->phase = Phase::kFinished;
  attempt->result = std::move(result);
  attempt->finish_order = next_finish_order_++;
  return admission;
}

std::vector<std::string> AttemptStore::Finish(const std::string& key, v1::Result result,
                                              int64_t now_unix_ms) {
  auto found = attempts_.find(key);
  if (found == attempts_.end() || found->second.phase != Phase::kRunning) return {};
  Attempt& attempt = found->second;
  attempt.phase = Phase::kFinished;
  attempt.result = std::move(result);
  attempt.request = ActionRequest();  // argv, env and secrets are not needed any more
  attempt.finish_order = next_finish_order_++;
  --running_;
  return StartQueued(now_unix_ms);
}

bool AttemptStore::FinishQueued(const std::string& key, v1::Result result) {
  auto found = attempts_.find(key);
  if (found == attempts_.end() || found->second.phase != Phase::kQueued) return false;
  queue_.erase(std::find(queue_.begin(), queue_.end(), key));
  Attempt& attempt = found->second;
  attempt.phase = Phase::kFinished;
  attempt.result = std::move(result);
  attempt.request = ActionRequest();
  attempt.finish_order = next_finish_order_++;
  return true;
}

std::vector<std::string> AttemptStore::StartQueued(int64_t now_unix_ms) {
  std::vector<std::string> started;
  while (running_ < options_.max_concurrent && !queue_.empty()) {
    Attempt& attempt = attempts_.at(queue_.front());
    queue_.pop_front();
    attempt.phase = Phase::kRunning;
    attempt.started_unix_ms = now_unix_ms;
    ++running_;
    started.push_back(attempt.key);
  }
  return started;
}

bool AttemptStore::Acknowledge(const std::string& key) {
  auto found = attempts_.find(key);
  if (found == attempts_.end() || found->second.phase != Phase::kFinished) return false;
  attempts_.erase(found);
  Remember(key);
  return true;
}

void AttemptStore::Remember(const std::string& key) {
  if (options_.remembered_acks == 0) return;
  if (!acknowledged_.insert(key).second) return;
  acknowledged_order_.push_back(key);
  while (acknowledged_order_.size() > options_.remembered_acks) {
    acknowledged_.erase(acknowledged_order_.front());
    acknowledged_order_.pop_front();
  }
}

void AttemptStore::MarkSent(const std::string& key) {
  auto found = attempts_.find(key);
  if (found != attempts_.end() && found->second.phase == Phase::kFinished) {
    found->second.result_sent = true;
  }
}

const AttemptStore::Attempt* AttemptStore::Get(const std::string& key) const {
  auto found = attempts_.find(key);
  return found == attempts_.end() ? nullptr : &found->second;
}

bool AttemptStore::WasAcknowledged(const std::string& key) const {
  return acknowledged_.count(key) != 0;
}

std::vector<const AttemptStore::Attempt*> AttemptStore::Known() const {
  std::vector<const Attempt*> active;
  std::vector<const Attempt*> finished;
  for (const auto& [key, attempt] : attempts_) {
    (attempt.phase == Phase::kFinished ? finished : active).push_back(&attempt);
  }
  std::sort(active.begin(), active.end(),
            [](const Attempt* a, const Attempt* b) { return a->admit_order < b->admit_order; });
  std::sort(finished.begin(), finished.end(),
            [](const Attempt* a, const Attempt* b) { return a->finish_order < b->finish_order; });
  active.insert(active.end(), finished.begin(), finished.end());
  return active;
}

std::vector<const AttemptStore::Attempt*> AttemptStore::Unacknowledged() const {
  std::vector<const Attempt*> finished;
  for (const auto& [key, attempt] : attempts_) {
    if (attempt.phase == Phase::kFinished) finished.push_back(&attempt);
  }
  std::sort(finished.begin(), finished.end(),
            [](const Attempt* a, const Attempt* b) { return a->finish_order < b->finish_order; });
  return finished;
}

}  // namespace tminus::agent
