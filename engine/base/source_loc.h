#pragma once

namespace tminus {

// A position in a runbook file, 1-based. line == 0 means "not written in the file".
struct SourceLoc {
  int line = 0;
  int column = 0;

  bool known() const { return line > 0; }
};

}  // namespace tminus
