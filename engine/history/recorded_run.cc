#include "engine/history/recorded_run.h"

#include <utility>

#include "engine/base/diagnostic.h"
#include "engine/loader/runbook_loader.h"
#include "engine/validate/validator.h"

namespace tminus {
namespace {

// The first errors of a runbook that does not load, "LINE:COL: message; ...".
std::string FirstErrors(const Diagnostics& diagnostics) {
  constexpr int kShown = 3;
  std::string out;
  int shown = 0;
  for (const Diagnostic& d : diagnostics.all()) {
    if (d.severity != Severity::kError) continue;
    if (shown == kShown) {
      out += "; ...";
      break;
    }
    out += (shown == 0 ? "" : "; ") + std::to_string(d.loc.line) + ":" +
           std::to_string(d.loc.column) + ": " + d.message;
    ++shown;
  }
  return out;
}

// Decodes what was read (`run->verify` already holds the chain's verdict).
absl::Status Decode(const std::string& path, const std::vector<JournalRecord>& records, RecordedRun* run) {
  if (records.empty()) return absl::InvalidArgumentError("the journal " + path + " holds no records");
  run->journal_path = path;
  run->records = static_cast<int64_t>(records.size());
  run->head = records.back().hash;

  // run_started and run_ended name no step: they decode against any runbook.
  const Runbook none{};
  const StepGraph no_steps = StepGraph::Build(none);
  const JournalRecord& first = records.front();
  if (first.type != EventTypeName(EventType::kRunStarted)) {
    return absl::InvalidArgumentError("record 1 of " + path + " is '" + first.type +
                                      "', not run_started: this is not a run's journal");
  }
  absl::StatusOr<RunEvent> started = DecodeEvent(first.type, first.actor, first.payload, none, no_steps);
  if (!started.ok()) {
    return absl::DataLossError("record 1 of " + path + ": " + std::string(started.status().message()));
  }
  run->started = *std::move(started);
  run->ended = records.back().type == EventTypeName(EventType::kRunEnded);

  Diagnostics diagnostics;
  run->runbook = LoadRunbook(run->started.runbook_text, &diagnostics);
  if (!diagnostics.has_errors()) ValidateRunbook(run->runbook, ValidateOptions{}, &diagnostics);
  if (diagnostics.has_errors()) {
    diagnostics.SortByLocation();
    return absl::InvalidArgumentError("the runbook kept in " + path +
                                      " is not valid: " + FirstErrors(diagnostics));
  }
  run->graph = StepGraph::Build(run->runbook);

  run->events.reserve(records.size());
  run->wall_ms.reserve(records.size());
  for (const JournalRecord& r : records) {
    absl::StatusOr<RunEvent> event = DecodeEvent(r.type, r.actor, r.payload, run->runbook, run->graph);
    if (!event.ok()) {
      return absl::DataLossError("record " + std::to_string(r.seq) + " of " + path + ": " +
                                 std::string(event.status().message()));
    }
    run->events.push_back(*std::move(event));
    run->wall_ms.push_back(r.wall_ms);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordedRun> LoadRecordedRun(const std::string& path) {
  // One read of the file for both the records and the chain's verdict.
  absl::StatusOr<VerifiedJournal> journal = ReadAndVerifyJournal(path, RunEnd::kOptional);
  if (!journal.ok()) return journal.status();
  RecordedRun run;
  run.verify = std::move(journal->verify);
  const absl::Status loaded = Decode(path, journal->records, &run);
  if (!loaded.ok()) {
    // A broken chain explains a record that does not decode better than the record does
    // (a file that is no journal at all says so itself).
    if (!run.verify.ok && run.verify.first_bad_seq > 0) {
      return absl::DataLossError("the journal " + path + " does not verify: " + run.verify.problem);
    }
    return loaded;
  }
  return run;
}

}  // namespace tminus
