#include "engine/interchange/task_csv.h"

#include <algorithm>

#include "engine/interchange/csv.h"
#include "engine/interchange/sheet_values.h"

namespace tminus {

std::string WriteTaskCsv(const Runbook& rb, const Plan& plan) {
  std::string out = "\xEF\xBB\xBF";
  auto row = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(fields[i]);
    }
    out += "\r\n";
  };
  row({"ID", "Title", "Stream", "Owner", "Type", "Duration", "Planned start", "Planned end",
       "Predecessors", "Critical", "Slack"});
  for (int i : PlanOrder(plan)) {
    const Step& s = rb.steps[i];
    const PlannedStep& p = plan.steps[i];
    std::string needs;
    for (const SourcedString& need : s.needs) {
      if (!needs.empty()) needs += ',';
      needs += need.value;
    }
    row({s.id.value, SpreadsheetText(s.title.value), SpreadsheetText(s.stream.value),
         SpreadsheetText(s.owner.value), StepTypeName(s.type.value),
         FormatDuration(plan.durations[i]), FormatSheetTime(plan, p.start),
         FormatSheetTime(plan, p.end), needs, p.critical ? "yes" : "no", FormatDuration(p.slack)});
  }
  return out;
}

}  // namespace tminus
