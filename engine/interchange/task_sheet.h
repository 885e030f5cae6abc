// A spreadsheet task list read by its headers: which column is the id, the name, the
// duration and so on, whatever the tool that exported it called them, and each row's
// values read and checked.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/base/diagnostic.h"
#include "engine/interchange/csv.h"
#include "engine/interchange/sheet_values.h"

namespace tminus {

enum class SheetColumn { kId, kName, kDuration, kPredecessors, kOwner, kStart, kStream, kType };
constexpr int kSheetColumnCount = 8;

// The headers a column is found by (compared without case, with '_' and '-' read as
// spaces), in order of preference, e.g. {"id", "task id", "step id", "#", "wbs"}.
const std::vector<std::string>& SheetColumnAliases(SheetColumn column);

struct SheetTask {
  int line = 0;  // the file's line where its row starts
  int row = 0;   // its position among the data rows, from 1
  std::string id, name, predecessors, owner, stream, type;  // trimmed cells, "" when empty
  Seconds duration{0};
  std::optional<SheetTime> start;
};

struct TaskSheet {
  // Index of each column's field in a row (-1 when the sheet has no such column) and its
  // header as written.
  int field[kSheetColumnCount];
  std::string header[kSheetColumnCount];
  std::vector<SheetTask> tasks;

  bool has(SheetColumn c) const { return field[static_cast<int>(c)] >= 0; }
  // Where a task's cell is: its row's line, and the column's position from 1.
  SourceLoc At(const SheetTask& task, SheetColumn c) const {
    return {task.line, field[static_cast<int>(c)] + 1};
  }
  // "column 'Duration'", as the sheet's header names it.
  std::string Name(SheetColumn c) const { return "column '" + header[static_cast<int>(c)] + "'"; }
};

// Finds the columns (a name and a duration column are required) and reads every row,
// reporting each bad cell. Returns nothing when a required column is missing.
std::optional<TaskSheet> ReadTaskSheet(const CsvTable& table, Diagnostics* diagnostics);

}  // namespace tminus
