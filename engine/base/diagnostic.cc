#include "engine/base/diagnostic.h"

#include <algorithm>

namespace tminus {

void Diagnostics::Error(SourceLoc loc, std::string message) {
  items_.push_back({Severity::kError, loc, std::move(message)});
  ++errors_;
}

void Diagnostics::Warning(SourceLoc loc, std::string message) {
  items_.push_back({Severity::kWarning, loc, std::move(message)});
}

void Diagnostics::SortByLocation() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.column < b.loc.column;
  });
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
  }
  return "error";
}

}  // namespace tminus
