// Records the engine's events in the journal: decisions and dispatches synced, the rest
// group-committed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/exec/event_sink.h"
#include "engine/journal/journal.h"
#include "engine/model/runbook.h"

namespace tminus {

class JournalSink : public EventSink {
 public:
  // `wall_ms` gives the wall-clock time written with each record.
  JournalSink(Journal* journal, const Runbook& runbook, std::function<int64_t()> wall_ms)
      : journal_(journal), runbook_(runbook), wall_ms_(std::move(wall_ms)) {}

  absl::Status Record(const RunEvent& event, bool sync) override;
  absl::Status Flush() override;
  // Told how long each commit took, in seconds: a synced record (with whatever was
  // pending) and a flush that had records to commit.
  void SetCommitObserver(std::function<void(double seconds)> observer) {
    on_commit_ = std::move(observer);
  }
  std::string ChainHead() const override { return journal_->head(); }

 private:
  Journal* journal_;
  const Runbook& runbook_;
  std::function<int64_t()> wall_ms_;
  std::function<void(double)> on_commit_;
  int64_t uncommitted_ = 0;  // group-committed records not yet flushed (as far as known)
};

// Wall-clock milliseconds since the Unix epoch, from the system clock.
int64_t SystemWallMs();

}  // namespace tminus
