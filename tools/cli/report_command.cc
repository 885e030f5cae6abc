#include "tools/cli/report_command.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/history/comparison.h"
#include "engine/history/recorded_run.h"
#include "engine/history/run_history.h"
#include "engine/model/time_spec.h"
#include "report/compare_report.h"
#include "report/report_text.h"
#include "report/run_report.h"
#include "tools/cli/recorded_runs.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {

namespace {

// Writes `text` to `path`, or says why not.
bool WriteOutput(const char* command, const std::string& path, const std::string& text, const Output& io) {
  std::string error;
  if (!WriteFileAtomically(path, text, &error)) {
    io.err << "tminus " << command << ": cannot write " << path << ": " << error << "\n";
    return false;
  }
  return true;
}

}  // namespace

int RunReport(const ReportArgs& args, const Output& io) {
  int exit_code = kExitOk;
  const std::unique_ptr<RecordedRun> run = LoadJournalFor("report", args.journal, io, &exit_code);
  if (!run) return exit_code;
  const RunHistory history = BuildHistory(*run);
  const report::Document doc = report::RunReport(history);
  if (args.html && !WriteOutput("report", *args.html, report::RenderHtml(doc), io)) return kExitUsage;
  if (args.markdown && !WriteOutput("report", *args.markdown, report::RenderMarkdown(doc), io)) return kExitUsage;
  if (!args.html && !args.markdown) {
    io.out << report::RenderMarkdown(doc);
    io.out.flush();
    if (!io.out) return kExitUsage;
  }
  if (args.html) io.err << "wrote " << *args.html << "\n";
  if (args.markdown) io.err << "wrote " << *args.markdown << "\n";
  return VerifiedExit("report", *run, io);
}

namespace {

using OrderedJson = nlohmann::ordered_json;

OrderedJson OptSeconds(const std::optional<Seconds>& s) { return s ? OrderedJson(s->count()) : OrderedJson(nullptr); }

OrderedJson RunJson(const RunHistory& h) {
  return {{"journal", h.run->journal_path},
          {"mode", h.run->started.mode},
          {"state", h.state.ended() ? RunPhaseName(h.state.phase()) : "running"},
          {"t0", report::HasClock(h) ? OrderedJson(FormatIsoTime(h.t0_ms / 1000, h.utc_offset_minutes)) : OrderedJson(nullptr)},
          {"end_offset_s", ToSeconds(h.end()).count()},
          {"verified", h.run->verify.ok},
          {"head", h.run->head}};
}

OrderedJson CompareJson(const Comparison& c) {
  OrderedJson steps = OrderedJson::array();
  for (const StepComparison& s : c.steps) {
    steps.push_back({{"id", s.id},
                     {"a_s", OptSeconds(s.took_a)},
                     {"b_s", OptSeconds(s.took_b)},
                     {"delta_s", OptSeconds(s.delta())},
                     {"effect_on_end_s", s.effect_on_end.count()},
                     {"chain_a", s.chain_a},
                     {"chain_b", s.chain_b}});
  }
  OrderedJson movers = OrderedJson::array();
  for (int k : c.movers) movers.push_back(c.steps[k].id);
  return {{"a", RunJson(*c.a)},
          {"b", RunJson(*c.b)},
          {"same_runbook", c.same_runbook},
          {"end_delta_s", c.end_delta.count()},
          {"steps_delta_s", c.steps_delta.count()},
          {"outside_delta_s", c.outside_delta.count()},
          {"movers", movers},
          {"chain_joined", c.chain_joined},
          {"chain_left", c.chain_left},
          {"only_in_a", c.only_in_a},
          {"only_in_b", c.only_in_b},
          {"steps", steps}};
}

void PrintCompare(const Comparison& c, const Output& io) {
  Style style;
  style.color = io.color_out;
  const Runbook& rb = c.b->run->runbook;
  io.out << style.Bold(rb.name.value + ": " + report::ModeWords(*c.a) + " A against " + report::ModeWords(*c.b) + " B")
         << "\n";
  io.out << "A " << c.a->run->journal_path << ", " << report::OutcomeWords(*c.a) << "\n";
  io.out << "B " << c.b->run->journal_path << ", " << report::OutcomeWords(*c.b) << "\n";
  if (!c.same_runbook) {
    io.out << style.Yellow("The runbook changed between the runs") << ": steps matched by id, "
           << c.only_in_b.size() << " only in B, " << c.only_in_a.size() << " only in A\n";
  }
  io.out << "\n" << report::CompareVerdict(c) << "\n\n";
  if (!c.movers.empty()) {
    io.out << style.Bold("Steps that moved the end") << "\n";
    Table movers({"STEP", "A TOOK", "B TOOK", "CHANGE", "EFFECT ON END", "CHAIN"});
    for (int k : c.movers) {
      const StepComparison& s = c.steps[k];
      const std::optional<Seconds> d = s.delta();
      std::string chain = s.chain_a && s.chain_b ? "A, B" : s.chain_a ? "A" : s.chain_b ? "B" : "";
      movers.Add({s.id, report::DurOrDash(s.took_a), report::DurOrDash(s.took_b), d ? report::Delta(*d) : "-", report::Delta(s.effect_on_end),
                  chain},
                 s.effect_on_end.count() > 0);
    }
    movers.Print(io.out, style);
    io.out << "\n";
  }
  std::vector<const StepComparison*> changed;
  for (const StepComparison& s : c.steps) {
    const std::optional<Seconds> d = s.delta();
    if (d && d->count() != 0) changed.push_back(&s);
  }
  std::stable_sort(changed.begin(), changed.end(), [](const StepComparison* x, const StepComparison* y) {
    return std::llabs(x->delta()->count()) > std::llabs(y->delta()->count());
  });
  constexpr size_t kShown = 15;
  io.out << style.Bold("Duration changes") << " (" << changed.size()
         << (changed.size() == 1 ? " step took" : " steps took") << " a different time";
  if (changed.size() > kShown) io.out << "; the " << kShown << " largest";
  io.out << ")\n";
  if (!changed.empty()) {
    Table table({"STEP", "A TOOK", "B TOOK", "CHANGE"});
    for (size_t k = 0; k < changed.size() && k < kShown; ++k) {
      const StepComparison& s = *changed[k];
      table.Add({s.id, report::DurOrDash(s.took_a), report::DurOrDash(s.took_b), report::Delta(*s.delta())});
    }
    table.Print(io.out, style);
  }
  auto join = [](const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out.empty() ? std::string("none") : out;
  };
  io.out << "\n" << style.Bold("The chain that set the end") << ": joined in B: " << join(c.chain_joined)
         << "; left in B: " << join(c.chain_left) << "\n";
}

}  // namespace

int RunCompare(const CompareArgs& args, const Output& io) {
  int exit_code = kExitOk;
  const std::unique_ptr<RecordedRun> run_a = LoadJournalFor("compare", args.journal_a, io, &exit_code);
  if (!run_a) return exit_code;
  const std::unique_ptr<RecordedRun> run_b = LoadJournalFor("compare", args.journal_b, io, &exit_code);
  if (!run_b) return exit_code;
  const RunHistory a = BuildHistory(*run_a);
  const RunHistory b = BuildHistory(*run_b);
  absl::StatusOr<Comparison> comparison = CompareRuns(a, b);
  if (!comparison.ok()) {
    io.err << "tminus compare: " << comparison.status().message() << "\n";
    return kExitInvalid;
  }
  if (args.html) {
    if (!WriteOutput("compare", *args.html, report::RenderHtml(report::CompareReport(*comparison)), io)) {
      return kExitUsage;
    }
  }
  if (args.json) {
    io.out << CompareJson(*comparison).dump(2) << "\n";
  } else {
    PrintCompare(*comparison, io);
  }
  if (args.html) io.err << "wrote " << *args.html << "\n";
  const int a_verified = VerifiedExit("compare", *run_a, io);
  const int b_verified = VerifiedExit("compare", *run_b, io);
  return a_verified != kExitOk ? a_verified : b_verified;
}

}  // namespace tminus::cli
