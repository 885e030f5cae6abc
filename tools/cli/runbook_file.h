// Reading a runbook file and checking it: the first part of every offline command.
#pragma once

#include <optional>
#include <string>

#include "engine/base/diagnostic.h"
#include "engine/model/runbook.h"
#include "engine/validate/validator.h"

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

// Parses --t0: an absolute ISO 8601 time with offset.
std::optional<Instant> ParseT0(const std::string& text, std::string* error);

// Prints "FILE:LINE:COL: error: MESSAGE" lines.
void PrintDiagnostics(const CheckedRunbook& checked, std::ostream& out, bool color);

}  // namespace tminus::cli
