#include "tools/cli/recorded_runs.h"

#include <utility>

#include "tools/cli/terminal.h"

namespace tminus::cli {

std::unique_ptr<RecordedRun> LoadJournalFor(const char* command, const std::string& path, const Output& io,
                                         int* exit_code) {
  absl::StatusOr<RecordedRun> run = LoadRecordedRun(path);
  if (!run.ok()) {
    const absl::StatusCode code = run.status().code();
    const std::string message(run.status().message());
    io.err << "tminus " << command << ": " << message << "\n";
    if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kUnavailable ||
        code == absl::StatusCode::kPermissionDenied) {
      *exit_code = kExitUsage;
    } else if (message.find("does not verify") != std::string::npos) {
      *exit_code = kExitAuditFailed;
    } else {
      *exit_code = kExitInvalid;
    }
    return nullptr;
  }
  return std::make_unique<RecordedRun>(*std::move(run));
}

int VerifiedExit(const char* command, const RecordedRun& run, const Output& io) {
  if (run.verify.ok) return kExitOk;
  Style err;
  err.color = io.color_err;
  io.err << "tminus " << command << ": " << err.Red("the journal " + run.journal_path + " does not verify") << ": "
         << run.verify.problem << "\n";
  return kExitAuditFailed;
}

}  // namespace tminus::cli
