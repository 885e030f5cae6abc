#include "engine/interchange/msproject_writer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "engine/interchange/csv.h"
#include "engine/interchange/task_csv.h"

namespace tminus {
namespace {

// pjCustomTaskText1: the task field that keeps the step id.
constexpr const char* kText1FieldId = "188743731";
constexpr int kFinishToStart = 1;
constexpr int kStartNoEarlierThan = 4;
constexpr int kFixedDuration = 1;

// Element text: markup characters escaped, characters XML 1.0 does not allow replaced.
std::string XmlText(const std::string& raw) {
  std::string out;
  for (char c : ValidUtf8(raw)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// "PT1H30M0S": hours, minutes and seconds of working time, which on a 24-hour calendar is
// the elapsed time.
std::string IsoDuration(Seconds d) {
  const int64_t s = d.count();
  return "PT" + std::to_string(s / 3600) + "H" + std::to_string(s % 3600 / 60) + "M" +
         std::to_string(s % 60) + "S";
}

class Writer {
 public:
  Writer(const Runbook& rb, const Plan& plan) : rb_(rb), plan_(plan) {}

  std::string Write() {
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
    out_ += "<Project xmlns=\"http://schemas.microsoft.com/project\">\n";
    const std::string title = rb_.title.present() ? rb_.title.value : rb_.name.value;
    Field(1, "SaveVersion", "14");
    Field(1, "Name", rb_.name.value);
    Field(1, "Title", title);
    Field(1, "ScheduleFromStart", "1");
    Field(1, "StartDate", Date(plan_.origin));
    Field(1, "FinishDate", Date(plan_.end));
    Field(1, "CalendarUID", "1");
    Field(1, "MinutesPerDay", "1440");
    Field(1, "MinutesPerWeek", "10080");
    Field(1, "DaysPerMonth", "30");
    Field(1, "DefaultTaskType", std::to_string(kFixedDuration));
    Field(1, "HonorConstraints", "1");
    Field(1, "NewTasksEffortDriven", "0");
    out_ += "  <ExtendedAttributes>\n    <ExtendedAttribute>\n";
    Field(3, "FieldID", kText1FieldId);
    Field(3, "FieldName", "Text1");
    Field(3, "Alias", "tminus step id");
    out_ += "    </ExtendedAttribute>\n  </ExtendedAttributes>\n";
    WriteCalendar();
    WriteTasks(title);
    WriteResources();
    out_ += "</Project>\n";
    return out_;
  }

 private:
  std::string Date(Seconds offset) const {
    return FormatIsoTime(*plan_.t0_unix + offset.count(), plan_.utc_offset_minutes).substr(0, 19);
  }

  void Field(int depth, const char* name, const std::string& value) {
    out_ += std::string(2 * depth, ' ') + "<" + name + ">" + XmlText(value) + "</" + name + ">\n";
  }

  void WriteCalendar() {
    out_ += "  <Calendars>\n    <Calendar>\n";
    Field(3, "UID", "1");
    Field(3, "Name", "24 Hours");
    Field(3, "IsBaseCalendar", "1");
    Field(3, "BaseCalendarUID", "-1");
    out_ += "      <WeekDays>\n";
    for (int day = 1; day <= 7; ++day) {
      out_ += "        <WeekDay>\n";
      Field(5, "DayType", std::to_string(day));
      Field(5, "DayWorking", "1");
      out_ += "          <WorkingTimes>\n            <WorkingTime>\n";
      Field(7, "FromTime", "00:00:00");
      Field(7, "ToTime", "00:00:00");
      out_ += "            </WorkingTime>\n          </WorkingTimes>\n        </WeekDay>\n";
    }
    out_ += "      </WeekDays>\n    </Calendar>\n  </Calendars>\n";
  }

  struct TaskRow {
    int uid = 0;
    std::string name, wbs;
    int level = 0;
    Seconds start{0}, end{0};
    bool summary = false, milestone = false, critical = false;
    int step = -1;  // the step, for level 2
  };

  void WriteTasks(const std::string& title) {
    // Streams in the order they first start; each step under its stream in plan order.
    const std::vector<int> order = PlanOrder(plan_);
    std::vector<std::string> streams;
    std::map<std::string, std::vector<int>> members;
    for (int i : order) {
      const std::string& stream = rb_.steps[i].stream.value;
      if (!members.count(stream)) streams.push_back(stream);
      members[stream].push_back(i);
    }
    std::vector<TaskRow> rows;
    uid_of_step_.assign(rb_.steps.size(), 0);
    for (size_t i = 0; i < rb_.steps.size(); ++i) index_of_id_.emplace(rb_.steps[i].id.value, i);
    int uid = 0;
    for (size_t k = 0; k < streams.size(); ++k) {
      const std::vector<int>& steps = members[streams[k]];
      TaskRow summary;
      summary.uid = ++uid;
      summary.name = streams[k].empty() ? "general" : streams[k];
      summary.wbs = std::to_string(k + 1);
      summary.level = 1;
      summary.summary = true;
      summary.start = plan_.steps[steps.front()].start;
      summary.end = plan_.steps[steps.front()].end;
      for (int i : steps) {
        summary.end = std::max(summary.end, plan_.steps[i].end);
        summary.critical = summary.critical || plan_.steps[i].critical;
      }
      rows.push_back(summary);
      for (size_t j = 0; j < steps.size(); ++j) {
        const int i = steps[j];
        const Step& s = rb_.steps[i];
        TaskRow row;
        row.uid = ++uid;
        uid_of_step_[i] = row.uid;
        row.name = s.title.present() ? s.title.value : s.id.value;
        row.wbs = summary.wbs + "." + std::to_string(j + 1);
        row.level = 2;
        row.start = plan_.steps[i].start;
        row.end = plan_.steps[i].end;
        row.milestone = s.type.value == StepType::kMilestone || s.type.value == StepType::kGate ||
                        plan_.durations[i].count() == 0;
        row.critical = plan_.steps[i].critical;
        row.step = i;
        rows.push_back(row);
      }
    }
    out_ += "  <Tasks>\n";
    TaskRow project;  // Project's own summary of the whole plan, UID 0
    project.name = title;
    project.wbs = "0";
    project.summary = true;
    project.start = plan_.origin;
    project.end = plan_.end;
    WriteTask(project);
    for (const TaskRow& row : rows) WriteTask(row);
    out_ += "  </Tasks>\n";
  }

  void WriteTask(const TaskRow& row) {
    const Step* s = row.step >= 0 ? &rb_.steps[row.step] : nullptr;
    out_ += "    <Task>\n";
    Field(3, "UID", std::to_string(row.uid));
    Field(3, "ID", std::to_string(row.uid));
    Field(3, "Name", row.name);
    Field(3, "Manual", "0");
    Field(3, "Type", std::to_string(kFixedDuration));
    Field(3, "IsNull", "0");
    Field(3, "WBS", row.wbs);
    Field(3, "OutlineNumber", row.wbs);
    Field(3, "OutlineLevel", std::to_string(row.level));
    Field(3, "Start", Date(row.start));
    Field(3, "Finish", Date(row.end));
    Field(3, "Duration", IsoDuration(row.end - row.start));
    Field(3, "Estimated", "0");
    Field(3, "Milestone", row.milestone ? "1" : "0");
    Field(3, "Summary", row.summary ? "1" : "0");
    Field(3, "Critical", row.critical ? "1" : "0");
    std::optional<Seconds> not_before;
    if (s && s->not_before.present()) not_before = s->not_before.value.OffsetFrom(plan_.t0_unix);
    Field(3, "ConstraintType", not_before ? std::to_string(kStartNoEarlierThan) : "0");
    if (not_before) Field(3, "ConstraintDate", Date(*not_before));
    if (s) {
      Field(3, "Notes", "tminus step " + s->id.value + " (" + StepTypeName(s->type.value) + ")");
      std::vector<int> linked;
      for (const SourcedString& need : s->needs) {
        const int uid = UidOfStep(need.value);
        if (uid == 0 || std::find(linked.begin(), linked.end(), uid) != linked.end()) continue;
        linked.push_back(uid);
        out_ += "      <PredecessorLink>\n";
        Field(4, "PredecessorUID", std::to_string(uid));
        Field(4, "Type", std::to_string(kFinishToStart));
        Field(4, "CrossProject", "0");
        Field(4, "LinkLag", "0");
        Field(4, "LagFormat", "7");
        out_ += "      </PredecessorLink>\n";
      }
      out_ += "      <ExtendedAttribute>\n";
      Field(4, "FieldID", kText1FieldId);
      Field(4, "Value", s->id.value);
      out_ += "      </ExtendedAttribute>\n";
    }
    out_ += "    </Task>\n";
  }

  int UidOfStep(const std::string& id) const {
    auto it = index_of_id_.find(id);
    return it == index_of_id_.end() ? 0 : uid_of_step_[it->second];
  }

  // Each owner a work resource, assigned full-time to the steps it owns.
  void WriteResources() {
    std::vector<std::string> owners;
    for (int i : PlanOrder(plan_)) {
      const std::string& owner = rb_.steps[i].owner.value;
      if (!owner.empty() && std::find(owners.begin(), owners.end(), owner) == owners.end()) {
        owners.push_back(owner);
      }
    }
    out_ += "  <Resources>\n";
    for (size_t r = 0; r < owners.size(); ++r) {
      out_ += "    <Resource>\n";
      Field(3, "UID", std::to_string(r + 1));
      Field(3, "ID", std::to_string(r + 1));
      Field(3, "Name", owners[r]);
      Field(3, "Type", "1");
      out_ += "    </Resource>\n";
    }
    out_ += "  </Resources>\n  <Assignments>\n";
    int uid = 0;
    for (int i : PlanOrder(plan_)) {
      const std::string& owner = rb_.steps[i].owner.value;
      if (owner.empty()) continue;
      const size_t r = std::find(owners.begin(), owners.end(), owner) - owners.begin();
      out_ += "    <Assignment>\n";
      Field(3, "UID", std::to_string(++uid));
      Field(3, "TaskUID", std::to_string(uid_of_step_[i]));
      Field(3, "ResourceUID", std::to_string(r + 1));
      Field(3, "Finish", Date(plan_.steps[i].end));
      Field(3, "Start", Date(plan_.steps[i].start));
      Field(3, "Units", "1");
      Field(3, "Work", IsoDuration(plan_.durations[i]));
      out_ += "    </Assignment>\n";
    }
    out_ += "  </Assignments>\n";
  }

  const Runbook& rb_;
  const Plan& plan_;
  std::string out_;
  std::vector<int> uid_of_step_;
  std::unordered_map<std::string, size_t> index_of_id_;
};

}  // namespace

std::string WriteMsProjectXml(const Runbook& runbook, const Plan& plan) {
  if (!plan.t0_unix) return "";
  return Writer(runbook, plan).Write();
}

}  // namespace tminus
