// A run as its journal recorded it: the runbook the run started with (the copy the journal
// kept, never a file that may have changed since), every event decoded, and whether the
// hash chain verifies. Reports, comparisons and `tminus resume` all start here.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/exec/run_event.h"
#include "engine/journal/journal.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace tminus {

struct RecordedRun {
  std::string journal_path;
  Runbook runbook;  // loaded and validated from the run_started record's runbook text
  StepGraph graph;
  std::vector<RunEvent> events;     // every record, decoded, in order
  std::vector<int64_t> wall_ms;     // each record's wall-clock time, by event index
  RunEvent started;                 // events.front(): mode, T0, runbook text and hash, run id
  bool ended = false;               // the last record is run_ended
  int64_t records = 0;
  std::string head;                 // the last record's hash: the chain's head
  // The chain checked from end to end (a run that has not ended may stop anywhere).
  VerifyResult verify;
};

// Reads and decodes the journal at `path`. A chain that does not verify is reported in
// `verify`, not as a failure, so that an auditor can still see what the file holds; the
// caller decides what a broken chain means. Fails, saying why, when the file cannot be
// read (NotFound, Unavailable), holds no run, keeps a runbook that does not load and
// validate, or holds a record that does not decode (InvalidArgument, DataLoss).
absl::StatusOr<RecordedRun> LoadRecordedRun(const std::string& path);

}  // namespace tminus
