#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/history/observed_durations.h"
#include "engine/interchange/msproject_writer.h"
#include "engine/interchange/task_csv.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "tools/cli/commands.h"
#include "tools/cli/recorded_runs.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

std::string Truncate(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n - 3) + "...";
}

// Clock time in the runbook's offset when T0 is known, else the T-time.
std::string When(const Plan& plan, Seconds offset) {
  if (!plan.t0_unix) return FormatTTime(offset);
  return FormatClock(*plan.t0_unix + offset.count(), plan.utc_offset_minutes);
}

std::string CriticalPathText(const Runbook& rb, const Plan& plan) {
  std::string text;
  for (int i : plan.critical_path) {
    if (!text.empty()) text += " -> ";
    text += rb.steps[i].id.value;
  }
  return text;
}

void PrintTable(const Runbook& rb, const Plan& plan, const ObservedDurations* observed, const Output& io) {
  Style style;
  style.color = io.color_out;
  std::string heading = rb.name.value;
  if (rb.title.present()) heading += ": " + rb.title.value;
  if (rb.change.present()) heading += "  [" + rb.change.value + "]";
  io.out << style.Bold(heading) << "\n";
  std::string t0 = plan.t0_unix ? "T0 " + FormatIsoTime(*plan.t0_unix, plan.utc_offset_minutes)
                                : "T0 not set (times are relative; give --t0 or window.start)";
  io.out << t0 << ", " << rb.steps.size() << " steps\n\n";

  std::vector<std::string> header = {"", "STEP"};
  if (plan.t0_unix) {
    header.insert(header.end(), {"START", "END"});
  }
  header.insert(header.end(), {"T±START", "DUR", "SLACK", "OWNER", "STREAM", "TITLE"});
  Table table(header);
  for (int i : PlanOrder(plan)) {
    const Step& s = rb.steps[i];
    const PlannedStep& p = plan.steps[i];
    std::vector<std::string> row = {p.critical ? "*" : "", s.id.value};
    if (plan.t0_unix) row.insert(row.end(), {When(plan, p.start), When(plan, p.end)});
    const bool evidence = observed != nullptr && observed->durations[i].has_value();
    row.insert(row.end(), {FormatTTime(p.start), (evidence ? "~" : "") + FormatDuration(plan.durations[i]),
                           FormatDuration(p.slack), s.owner.value, s.stream.value,
                           Truncate(s.title.value, 48)});
    table.Add(std::move(row), p.critical);
  }
  table.Print(io.out, style);

  io.out << "\n" << style.Bold("Planned end") << " " << When(plan, plan.end);
  if (plan.t0_unix) io.out << " (" << FormatTTime(plan.end) << ")";
  io.out << ", total " << FormatDuration(plan.end - plan.origin);
  if (plan.origin.count() < 0) io.out << " from " << FormatTTime(plan.origin);
  io.out << "\n";
  if (plan.window_end) {
    const Seconds margin = *plan.window_end - plan.end;
    io.out << style.Bold("Window closes") << " " << When(plan, *plan.window_end);
    if (plan.t0_unix) io.out << " (" << FormatTTime(*plan.window_end) << ")";
    if (plan.fits_window) {
      io.out << ", margin " << style.Green(FormatDuration(margin)) << "\n";
    } else {
      io.out << ", " << style.Red("over by " + FormatDuration(-margin)) << "\n";
    }
  } else {
    io.out << "No window end set\n";
  }
  io.out << style.Bold("Critical path") << " (" << plan.critical_path.size()
         << " steps, * above): " << CriticalPathText(rb, plan) << "\n";
  if (observed != nullptr) {
    io.out << style.Bold("Durations") << ": " << observed->steps_observed << " of " << rb.steps.size()
           << " steps (~ above) as observed in " << observed->runs << (observed->runs == 1 ? " run" : " runs")
           << " (the median per step)"
           << (observed->steps_observed < static_cast<int>(rb.steps.size()) ? "; the rest as the runbook estimates" : "")
           << "\n";
  }
}

nlohmann::json PlanJson(const Runbook& rb, const Plan& plan, const ObservedDurations* observed) {
  nlohmann::json steps = nlohmann::json::array();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const Step& s = rb.steps[i];
    const PlannedStep& p = plan.steps[i];
    steps.push_back({{"id", s.id.value},
                     {"type", StepTypeName(s.type.value)},
                     {"start_offset_s", p.start.count()},
                     {"end_offset_s", p.end.count()},
                     {"duration_s", plan.durations[i].count()},
                     {"slack_s", p.slack.count()},
                     {"critical", p.critical},
                     {"stream", s.stream.present() ? nlohmann::json(s.stream.value) : nullptr},
                     {"owner", s.owner.present() ? nlohmann::json(s.owner.value) : nullptr},
                     {"duration_source",
                      observed != nullptr && observed->durations[i] ? "observed" : "runbook"},
                     {"observed_runs", observed != nullptr ? observed->samples[i] : 0}});
  }
  nlohmann::json critical = nlohmann::json::array();
  for (int i : plan.critical_path) critical.push_back(rb.steps[i].id.value);
  return {{"name", rb.name.value},
          {"t0", plan.t0_unix ? nlohmann::json(FormatIsoTime(*plan.t0_unix, plan.utc_offset_minutes))
                              : nullptr},
          {"origin_offset_s", plan.origin.count()},
          {"end_offset_s", plan.end.count()},
          {"window_end_offset_s", plan.window_end ? nlohmann::json(plan.window_end->count()) : nullptr},
          {"fits_window", plan.fits_window},
          {"critical_path", critical},
          {"steps", steps}};
}

// Mermaid's gantt grammar gives ':' and '#' meaning; keep titles to plain text.
std::string MermaidText(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == ':' || c == '#' || c == ';' || c == '\n') ? ' ' : c;
  return out;
}

void PrintMermaid(const Runbook& rb, const Plan& plan, const Output& io) {
  // Without T0 the chart is drawn from an arbitrary midnight, so the axis reads as T+.
  const int64_t t0 = plan.t0_unix.value_or(DaysFromCivil(2000, 1, 1) * 86400);
  const int offset = plan.t0_unix ? plan.utc_offset_minutes : 0;
  auto at = [&](Seconds s) { return FormatIsoTime(t0 + s.count(), offset).substr(0, 19); };
  io.out << "gantt\n";
  io.out << "    title " << MermaidText(rb.title.present() ? rb.title.value : rb.name.value) << "\n";
  io.out << "    dateFormat YYYY-MM-DDTHH:mm:ss\n";
  io.out << "    axisFormat %H:%M\n";
  std::vector<std::string> streams;
  for (const Step& s : rb.steps) {
    if (std::find(streams.begin(), streams.end(), s.stream.value) == streams.end()) {
      streams.push_back(s.stream.value);
    }
  }
  for (const std::string& stream : streams) {
    io.out << "    section " << MermaidText(stream.empty() ? "general" : stream) << "\n";
    for (size_t i = 0; i < rb.steps.size(); ++i) {
      const Step& s = rb.steps[i];
      if (s.stream.value != stream) continue;
      const PlannedStep& p = plan.steps[i];
      std::vector<std::string> tags;
      if (p.critical) tags.push_back("crit");
      if (s.type.value == StepType::kMilestone || s.type.value == StepType::kGate ||
          plan.durations[i].count() == 0) {
        tags.push_back("milestone");
      }
      std::string line = "    " + MermaidText(s.title.present() ? s.title.value : s.id.value) + " :";
      for (const std::string& t : tags) line += t + ", ";
      line += s.id.value + ", " + at(p.start) + ", " + at(p.end);
      io.out << line << "\n";
    }
  }
}

// The durations the runs in `journals` observed for `rb`'s steps, or null (having said why,
// with *exit_code set).
std::unique_ptr<ObservedDurations> ObservedFrom(const std::vector<std::string>& journals, const Runbook& rb,
                                                const Output& io, int* exit_code) {
  std::vector<std::unique_ptr<RecordedRun>> runs;
  std::vector<RunHistory> histories;
  histories.reserve(journals.size());
  for (const std::string& path : journals) {
    runs.push_back(LoadJournalFor("plan", path, io, exit_code));
    if (!runs.back()) return nullptr;
    if (!runs.back()->verify.ok) {
      *exit_code = VerifiedExit("plan", *runs.back(), io);
      io.err << "tminus plan: the durations in " << path << " are not evidence\n";
      return nullptr;
    }
    histories.push_back(BuildHistory(*runs.back()));
  }
  std::vector<const RunHistory*> pointers;
  for (const RunHistory& h : histories) pointers.push_back(&h);
  absl::StatusOr<ObservedDurations> observed = ObserveDurations(rb, pointers);
  if (!observed.ok()) {
    io.err << "tminus plan: --durations-from: " << observed.status().message() << "\n";
    *exit_code = kExitInvalid;
    return nullptr;
  }
  return std::make_unique<ObservedDurations>(*std::move(observed));
}

}  // namespace

int RunPlan(const PlanArgs& args, const Output& io) {
  std::optional<Instant> t0;
  int exit_code = kExitOk;
  const std::unique_ptr<CheckedRunbook> checked =
      LoadRunbookFor("plan", args.file, args.t0, /*show_warnings=*/true, io, &t0, &exit_code);
  if (!checked) return exit_code;
  const CheckedRunbook& c = *checked;
  const StepGraph graph = StepGraph::Build(c.runbook);
  PlanOptions plan_options;
  plan_options.t0 = t0;
  std::unique_ptr<ObservedDurations> observed;
  if (!args.durations_from.empty()) {
    observed = ObservedFrom(args.durations_from, c.runbook, io, &exit_code);
    if (!observed) return exit_code;
    plan_options.durations = observed->durations;
  }
  absl::StatusOr<Plan> plan = MakePlan(c.runbook, graph, plan_options);
  if (!plan.ok()) {
    io.err << "tminus plan: " << args.file << ": " << plan.status().message() << "\n";
    return kExitInvalid;
  }
  if (args.msproject) {
    // MS Project has only absolute dates: without T0 there is nothing true to write.
    if (!plan->t0_unix) {
      io.err << "tminus plan: --msproject needs T0 (MS Project dates are absolute): set "
                "window.start in " << args.file
             << " or pass --t0, like --t0 2026-12-05T22:00:00-05:00\n";
      return kExitUsage;
    }
    std::string error;
    if (!WriteFileAtomically(*args.msproject, WriteMsProjectXml(c.runbook, *plan), &error)) {
      io.err << "tminus plan: cannot write '" << *args.msproject << "': " << error << "\n";
      return kExitUsage;
    }
  }
  if (args.json) {
    io.out << PlanJson(c.runbook, *plan, observed.get()).dump(2) << "\n";
  } else if (args.mermaid) {
    PrintMermaid(c.runbook, *plan, io);
  } else if (args.csv) {
    io.out << WriteTaskCsv(c.runbook, *plan);
  } else {
    PrintTable(c.runbook, *plan, observed.get(), io);
  }
  return kExitOk;
}

}  // namespace tminus::cli
