// Where the engine records its events before acting on them: the journal, or nowhere.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "engine/exec/run_event.h"

namespace tminus {

enum class Durability;

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Records the event; with `sync` it is durable before this returns. An error means the
  // event was not recorded: the engine stops acting.
  virtual absl::Status Record(const RunEvent& event, bool sync) = 0;
  // Makes every recorded event durable (group commit); called when the engine goes idle.
  virtual absl::Status Flush() = 0;
  // The hash of the last recorded event ("" when the sink keeps no chain).
  virtual std::string ChainHead() const = 0;
};

// Records nothing: for simulations without --journal and for measuring the engine alone.
class NullSink : public EventSink {
 public:
  absl::Status Record(const RunEvent&, bool) override { return absl::OkStatus(); }
  absl::Status Flush() override { return absl::OkStatus(); }
  std::string ChainHead() const override { return ""; }
};

}  // namespace tminus
