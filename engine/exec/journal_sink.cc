#include "engine/exec/journal_sink.h"

#include <chrono>

namespace tminus {

absl::Status JournalSink::Record(const RunEvent& event, bool sync) {
  absl::StatusOr<int64_t> seq =
      journal_->Append(wall_ms_(), event.actor, EventTypeName(event.type),
                       EncodePayload(event, runbook_), sync ? Durability::kSync : Durability::kGroup);
  return seq.status();
}

int64_t SystemWallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tminus
