#include "engine/exec/journal_sink.h"

#include <chrono>

namespace tminus {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::Status JournalSink::Record(const RunEvent& event, bool sync) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> seq =
      journal_->Append(wall_ms_(), event.actor, EventTypeName(event.type),
                       EncodePayload(event, runbook_), sync ? Durability::kSync : Durability::kGroup);
  if (!sync) {
    ++uncommitted_;
  } else {
    uncommitted_ = 0;
    if (seq.ok() && on_commit_) on_commit_(SecondsSince(start));
  }
  return seq.status();
}

absl::Status JournalSink::Flush() {
  if (uncommitted_ == 0 || !on_commit_) {
    uncommitted_ = 0;
    return journal_->Flush();
  }
  const auto start = std::chrono::steady_clock::now();
  absl::Status flushed = journal_->Flush();
  uncommitted_ = 0;
  if (flushed.ok()) on_commit_(SecondsSince(start));
  return flushed;
}

int64_t SystemWallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tminus
