// Reading journals for the commands that look back at runs (report, compare, plan
// --durations-from): one way to say why a journal cannot be used, one exit code for it.
#pragma once

#include <memory>
#include <string>

#include "engine/history/recorded_run.h"
#include "tools/cli/commands.h"

namespace tminus::cli {

// Loads a journal for `command`, or says why not on io.err and sets *exit_code: 2 when it
// cannot be opened or read, 4 when a broken chain is why it does not load, 1 otherwise (not
// a journal, or not a run's).
std::unique_ptr<RecordedRun> LoadJournalFor(const char* command, const std::string& path, const Output& io,
                                            int* exit_code);

// 0 when the journal's chain verifies; else says so on io.err and returns 4.
int VerifiedExit(const char* command, const RecordedRun& run, const Output& io);

}  // namespace tminus::cli
