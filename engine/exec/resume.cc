// LoadRunForResume: from a journal file to what RunEngine::Resume takes.
#include "engine/exec/resume.h"

#include <utility>

#include "engine/history/recorded_run.h"
#include "engine/model/time_spec.h"

namespace tminus {

absl::StatusOr<ResumeInput> LoadRunForResume(const std::string& journal_path) {
  absl::StatusOr<RecordedRun> run = LoadRecordedRun(journal_path);
  if (!run.ok()) return run.status();
  if (!run->verify.ok) {
    return absl::DataLossError("the journal " + journal_path + " does not verify: " +
                               run->verify.problem + "; it cannot be resumed");
  }
  if (run->ended) {
    const RunEvent& last = run->events.back();
    return absl::FailedPreconditionError(
        "the run in " + journal_path + " already ended (" + RunPhaseName(last.phase) + ") at " +
        FormatIsoTime(run->wall_ms.back() / 1000, 0) + "; nothing to resume");
  }
  ResumeInput input;
  input.journal_path = journal_path;
  input.records = run->records;
  input.head = std::move(run->head);
  input.runbook_text = run->started.runbook_text;
  input.runbook_sha256 = run->started.runbook_sha256;
  input.mode = run->started.mode;
  input.t0 = EngineTime(run->started.t0_ms);
  input.t0_known = run->started.t0_known;
  input.runbook = std::move(run->runbook);
  input.graph = std::move(run->graph);
  input.events = std::move(run->events);
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
