// Diagnostics: the problems `tminus validate` reports, each at a line and column.
#pragma once

#include <string>
#include <vector>

#include "engine/base/source_loc.h"

namespace tminus {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;
};

// Collects diagnostics in the order they are found; callers sort for output.
class Diagnostics {
 public:
  void Error(SourceLoc loc, std::string message);
  void Warning(SourceLoc loc, std::string message);

  const std::vector<Diagnostic>& all() const { return items_; }
  std::vector<Diagnostic>& mutable_all() { return items_; }
  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  int warning_count() const { return static_cast<int>(items_.size()) - errors_; }

  // Sorts by position (stable, so diagnostics at one place keep their order).
  void SortByLocation();

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
};

const char* SeverityName(Severity severity);

}  // namespace tminus
