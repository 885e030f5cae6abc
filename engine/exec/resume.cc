// LoadRunForResume: from a journal file to what RunEngine::Resume takes.
#include "engine/exec/resume.h"

#include <utility>

#include "engine/base/diagnostic.h"
#include "engine/journal/journal.h"
#include "engine/loader/runbook_loader.h"
#include "engine/model/time_spec.h"
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

}  // namespace

absl::StatusOr<ResumeInput> LoadRunForResume(const std::string& journal_path) {
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(journal_path);
  if (!records.ok()) return records.status();
  const VerifyResult verified = VerifyJournal(journal_path, std::nullopt, RunEnd::kOptional);
  if (!verified.ok) {
    return absl::DataLossError("the journal " + journal_path +
                               " does not verify: " + verified.problem + "; it cannot be resumed");
  }
  // Verified: not empty, record 1 is run_started with the text its hash states.
  ResumeInput input;
  input.journal_path = journal_path;
  input.records = static_cast<int64_t>(records->size());
  input.head = records->back().hash;

  // run_started and run_ended name no step: they decode against any runbook.
  const Runbook none{};
  const StepGraph no_steps = StepGraph::Build(none);
  const JournalRecord& first = records->front();
  absl::StatusOr<RunEvent> started =
      DecodeEvent(first.type, first.actor, first.payload, none, no_steps);
  if (!started.ok()) {
    return absl::DataLossError("record 1 of " + journal_path + ": " +
                               std::string(started.status().message()));
  }
  const JournalRecord& last = records->back();
  if (last.type == EventTypeName(EventType::kRunEnded)) {
    absl::StatusOr<RunEvent> ended =
        DecodeEvent(last.type, last.actor, last.payload, none, no_steps);
    const std::string how = ended.ok() ? RunPhaseName(ended->phase) : "its state unreadable";
    return absl::FailedPreconditionError("the run in " + journal_path + " already ended (" + how +
                                         ") at " + FormatIsoTime(last.wall_ms / 1000, 0) +
                                         "; nothing to resume");
  }

  input.runbook_text = started->runbook_text;
  input.runbook_sha256 = started->runbook_sha256;
  input.mode = started->mode;
  input.t0 = EngineTime(started->t0_ms);
  input.t0_known = started->t0_known;
  Diagnostics diagnostics;
  input.runbook = LoadRunbook(input.runbook_text, &diagnostics);
  if (!diagnostics.has_errors()) ValidateRunbook(input.runbook, ValidateOptions{}, &diagnostics);
  if (diagnostics.has_errors()) {
    diagnostics.SortByLocation();
    return absl::InvalidArgumentError("the runbook kept in " + journal_path +
                                      " is not valid: " + FirstErrors(diagnostics));
  }
  input.graph = StepGraph::Build(input.runbook);

  input.events.reserve(records->size());
  for (const JournalRecord& r : *records) {
    absl::StatusOr<RunEvent> event =
        DecodeEvent(r.type, r.actor, r.payload, input.runbook, input.graph);
    if (!event.ok()) {
      return absl::DataLossError("record " + std::to_string(r.seq) + " of " + journal_path + ": " +
                                 std::string(event.status().message()));
    }
    input.events.push_back(*std::move(event));
  }
  return input;
}

RunOptions ResumeRunOptions(const ResumeInput& input, std::map<std::string, std::string> secrets) {
  RunOptions options;
  options.mode = input.mode;
  options.t0 = input.t0;
  options.t0_known = input.t0_known;
  options.runbook_text = input.runbook_text;
  options.runbook_sha256 = input.runbook_sha256;
  options.sync_decisions = true;
  options.secrets = std::move(secrets);
  return options;
}

}  // namespace tminus
