#include "engine/interchange/task_sheet.h"

namespace tminus {
namespace {

std::string Trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

// Lower case, '_' and '-' as spaces, runs of spaces as one, trimmed.
std::string NormalHeader(const std::string& header) {
  std::string out;
  for (char c : Trimmed(header)) {
    if (c == '_' || c == '-' || c == '\t' || c == '\n') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Cell(const CsvRow& row, int field) {
  if (field < 0 || field >= static_cast<int>(row.fields.size())) return "";
  return FromSpreadsheetText(Trimmed(row.fields[field]));
}

std::string AliasList(SheetColumn column) {
  std::string text;
  for (const std::string& alias : SheetColumnAliases(column)) {
    if (!text.empty()) text += ", ";
    text += "'" + alias + "'";
  }
  return text;
}

}  // namespace

const std::vector<std::string>& SheetColumnAliases(SheetColumn column) {
  static const std::vector<std::string> kAliases[kSheetColumnCount] = {
      {"id", "task id", "step id", "#", "wbs"},
      {"name", "task name", "title", "task", "step name"},
      {"duration", "dur", "planned duration"},
      {"predecessors", "predecessor", "depends on", "dependencies", "needs"},
      {"owner", "team", "resource names", "resource name", "resources", "assignee",
       "assigned to"},
      {"start", "not before", "planned start", "start date", "start time"},
      {"stream", "workstream", "work stream", "phase"},
      {"type", "step type"},
  };
  return kAliases[static_cast<int>(column)];
}

std::optional<TaskSheet> ReadTaskSheet(const CsvTable& table, Diagnostics* diagnostics) {
  if (table.rows.empty()) {
    diagnostics->Error({1, 1}, "the file has no header row: expected columns such as Name, "
                               "Duration, Predecessors, Owner");
    return std::nullopt;
  }
  const CsvRow& header_row = table.rows[0];
  TaskSheet sheet;
  for (int c = 0; c < kSheetColumnCount; ++c) {
    sheet.field[c] = -1;
    // The most preferred alias wins; among equal ones the leftmost column.
    const std::vector<std::string>& aliases = SheetColumnAliases(static_cast<SheetColumn>(c));
    for (size_t a = 0; a < aliases.size() && sheet.field[c] < 0; ++a) {
      for (size_t f = 0; f < header_row.fields.size(); ++f) {
        if (NormalHeader(header_row.fields[f]) == aliases[a]) {
          sheet.field[c] = static_cast<int>(f);
          sheet.header[c] = Trimmed(header_row.fields[f]);
          break;
        }
      }
    }
  }
  bool missing = false;
  for (SheetColumn required : {SheetColumn::kName, SheetColumn::kDuration}) {
    if (sheet.has(required)) continue;
    missing = true;
    diagnostics->Error({header_row.line, 1},
                       "no " + std::string(required == SheetColumn::kName ? "name" : "duration") +
                           " column in the header row; name it one of " + AliasList(required));
  }
  if (missing) return std::nullopt;

  for (size_t r = 1; r < table.rows.size(); ++r) {
    const CsvRow& row = table.rows[r];
    SheetTask task;
    task.line = row.line;
    task.row = static_cast<int>(r);
    auto cell = [&](SheetColumn c) { return Cell(row, sheet.field[static_cast<int>(c)]); };
    task.id = cell(SheetColumn::kId);
    task.name = cell(SheetColumn::kName);
    task.predecessors = cell(SheetColumn::kPredecessors);
    task.owner = cell(SheetColumn::kOwner);
    task.stream = cell(SheetColumn::kStream);
    task.type = cell(SheetColumn::kType);
    if (task.id.empty() && task.name.empty()) {
      diagnostics->Error(sheet.At(task, SheetColumn::kName),
                         "this row has neither an id nor a name; give the task a name");
    }
    const std::string duration = cell(SheetColumn::kDuration);
    std::string why;
    if (duration.empty()) {
      diagnostics->Error(sheet.At(task, SheetColumn::kDuration),
                         sheet.Name(SheetColumn::kDuration) +
                             " is empty; write 0 for a milestone, or a duration like 30m");
    } else if (std::optional<Seconds> d = ParseSheetDuration(duration, &why)) {
      task.duration = *d;
    } else {
      diagnostics->Error(sheet.At(task, SheetColumn::kDuration),
                         sheet.Name(SheetColumn::kDuration) + ": '" + duration +
                             "' is not a duration: " + why);
    }
    const std::string start = cell(SheetColumn::kStart);
    if (!start.empty()) {
      task.start = ParseSheetTime(start, &why);
      if (!task.start) {
        diagnostics->Error(sheet.At(task, SheetColumn::kStart),
                           sheet.Name(SheetColumn::kStart) + ": '" + start +
                               "' is not a start time: " + why);
      }
    }
    sheet.tasks.push_back(std::move(task));
  }
  if (sheet.tasks.empty()) {
    diagnostics->Error({header_row.line, 1}, "the file has a header row but no tasks");
    return std::nullopt;
  }
  return sheet;
}

}  // namespace tminus
