// What a run's journal says about how long the run took and how its steps ended, read the
// same way for a live run and a simulated one: from the wall-clock time of its run_started
// record to that of its run_ended record.
#pragma once

#include <cstdint>
#include <string>

namespace tminus::bench {

struct RunSpan {
  std::string error;  // the journal could not be read
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  std::string end_state;  // run_ended's state ("succeeded", ...); empty without one
  int results_ok = 0;
  int results_failed = 0;  // including late ones
  std::string first_failure;  // "step: error" of the first result that failed
  int records = 0;

  double seconds() const { return (ended_ms - started_ms) / 1000.0; }
};

RunSpan ReadRunSpan(const std::string& journal_path);

}  // namespace tminus::bench
