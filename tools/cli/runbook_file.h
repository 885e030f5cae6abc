// Reading a runbook file and checking it: the first part of every offline command.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/base/diagnostic.h"
#include "engine/model/runbook.h"
#include "engine/validate/validator.h"
#include "tools/cli/commands.h"

namespace tminus::cli {

struct CheckedRunbook {
  std::string path;
  bool readable = false;
  std::string read_error;  // when !readable
  std::string text;
  Runbook runbook;
  Diagnostics diagnostics;  // sorted by location

  bool valid(bool strict) const {
    return readable && !diagnostics.has_errors() && (!strict || diagnostics.warning_count() == 0);
  }
};

// Reads, loads and validates `path`. With `strict`, warnings are reported as errors.
CheckedRunbook CheckRunbookFile(const std::string& path, const ValidateOptions& options,
                                bool strict);

// Reads a whole file; false with *error (strerror text) when it cannot.
bool ReadFile(const std::string& path, std::string* text, std::string* error);

// Writes `text` to `path` whole or not at all: into a temporary file beside it, synced, then
// renamed over it. False with *error when it cannot (the old file, if any, is untouched).
bool WriteFileAtomically(const std::string& path, const std::string& text, std::string* error);

// Parses --t0: an absolute ISO 8601 time with offset.
std::optional<Instant> ParseT0(const std::string& text, std::string* error);

// The start of every command that works on one runbook: parses --t0 (into *t0) and reads,
// loads and validates `file`. When that fails it says why under `command`'s name and
// returns null with *exit_code set (usage or invalid input). `show_warnings` also prints
// the diagnostics of a runbook without errors.
std::unique_ptr<CheckedRunbook> LoadRunbookFor(const char* command, const std::string& file,
                                               const std::optional<std::string>& t0_flag,
                                               bool show_warnings, const Output& io,
                                               std::optional<Instant>* t0, int* exit_code);

// Prints "FILE:LINE:COL: error: MESSAGE" lines.
void PrintDiagnostics(const CheckedRunbook& checked, std::ostream& out, bool color);

}  // namespace tminus::cli
