// A spreadsheet task list (CSV, as Excel, MS Project or Smartsheet export it) turned into a
// runbook skeleton that `tminus validate` accepts: ids, titles, durations, dependencies,
// owners (declared as roles), streams and start times, every problem reported at its line
// and column.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/base/diagnostic.h"
#include "engine/interchange/runbook_yaml.h"
#include "engine/model/time_spec.h"

namespace tminus {

struct ImportOptions {
  std::string name;    // the runbook's name, [a-z0-9][a-z0-9-]*
  std::string source;  // the file's name, for the header comment
  // T0. Without it, T0 is the earliest absolute start in the sheet (none when the starts
  // are T-times or there are none); times without an offset are read in its offset.
  std::optional<Instant> t0;
};

struct ImportResult {
  // Diagnostics are at the file's line; the column is the spreadsheet column's position.
  Diagnostics diagnostics;
  std::optional<SkeletonRunbook> runbook;  // set when there is no error
};

// Reads the CSV bytes and builds the runbook:
// - ids: a cell that is a valid step id and not a number (or a WBS code like 1.2) is kept;
//   otherwise the id is made from the name, unique with -2, -3...; predecessors name tasks
//   by the id column as written, or by row number (from 1) when there is no id column;
// - links other than finish-to-start, and lags, become plain finish-to-start needs, with
//   a warning;
// - types: the type column when it names a step type (task and check get a placeholder
//   run); otherwise a milestone when the duration is 0, else a manual step;
// - owners: each distinct owner text is a person in a role named after it (its slug);
// - starts: a step gets a not_before when its start is later than its needs make it (for a
//   step without needs: when it is not T0), so the plan starts every step where the sheet
//   does.
ImportResult ImportTaskCsv(std::string_view bytes, const ImportOptions& options);

}  // namespace tminus
