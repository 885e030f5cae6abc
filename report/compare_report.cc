#include "report/compare_report.h"

#include <algorithm>
#include <utility>

#include "engine/model/time_spec.h"
#include "report/report_text.h"

namespace tminus::report {
namespace {

std::string RunLine(const RunHistory& h) {
  std::string line = ModeWords(h) + ", " + OutcomeWords(h);
  if (HasClock(h)) line += ", T0 " + FormatIsoTime(h.t0_ms / 1000, h.utc_offset_minutes);
  line += ", ended at " + FormatTTime(ToSeconds(h.end())) + " (" + h.run->journal_path + ")";
  return line;
}

bool Completed(const RunHistory& h) { return h.state.ended() && h.state.phase() == RunPhase::kSucceeded; }

std::string Movers(const Comparison& c) {
  if (c.movers.empty()) return "";
  std::string out = " (";
  const size_t shown = std::min<size_t>(c.movers.size(), 5);
  for (size_t k = 0; k < shown; ++k) {
    const StepComparison& s = c.steps[c.movers[k]];
    out += (k == 0 ? "" : ", ") + s.id + " " + Delta(s.effect_on_end);
  }
  if (c.movers.size() > shown) out += ", and " + std::to_string(c.movers.size() - shown) + " more";
  return out + ")";
}

}  // namespace

std::string CompareVerdict(const Comparison& c) {
  if (!Completed(*c.a) || !Completed(*c.b)) {
    // An end that was not the run's completion is no measure of how long the run takes.
    return "A " + OutcomeWords(*c.a) + " at " + FormatTTime(ToSeconds(c.end_a)) + ", B " + OutcomeWords(*c.b) +
           " at " + FormatTTime(ToSeconds(c.end_b)) +
           ": their ends do not compare. Over the steps each run completed (the rest as planned), B's "
           "durations move the end by " + Delta(c.steps_delta) + Movers(c) + ".";
  }
  std::string verdict;
  if (c.end_delta.count() == 0) {
    verdict = "B ended at the same time from T0 as A (" + FormatTTime(ToSeconds(c.end_b)) + ")";
  } else {
    verdict = "B ended " + Dur(c.end_delta.count() > 0 ? c.end_delta : -c.end_delta) +
              (c.end_delta.count() > 0 ? " later" : " earlier") + " than A (" + FormatTTime(ToSeconds(c.end_b)) +
              " against " + FormatTTime(ToSeconds(c.end_a)) + ")";
  }
  return verdict + ": the steps' durations account for " + Delta(c.steps_delta) + Movers(c) +
         ", time outside the steps (late starts, waiting) " + Delta(c.outside_delta) + ".";
}

Document CompareReport(const Comparison& c) {
  const RunHistory& a = *c.a;
  const RunHistory& b = *c.b;
  Document doc;
  doc.title = "Run comparison: " + RunTitle(b.run->runbook);
  doc.subtitle = "A: " + RunLine(a) + ". B: " + RunLine(b) + ".";
  if (!a.run->verify.ok) doc.Banner("Journal A does NOT verify: " + a.run->verify.problem, "bad");
  if (!b.run->verify.ok) doc.Banner("Journal B does NOT verify: " + b.run->verify.problem, "bad");
  if (!c.same_runbook) {
    doc.Banner("The runbook changed between the runs: steps are matched by id (" +
                   std::to_string(c.only_in_b.size()) + " only in B, " + std::to_string(c.only_in_a.size()) +
                   " only in A).",
               "bad");
  }

  doc.Heading("Why the end moved");
  doc.Paragraph(CompareVerdict(c));
  Table movers;
  movers.header = {"Step", "A took", "B took", "Change", "Effect on end", "Chain A", "Chain B"};
  movers.empty = "No step's change of duration moved the end.";
  for (int k : c.movers) {
    const StepComparison& s = c.steps[k];
    const std::optional<Seconds> d = s.delta();
    movers.rows.push_back({Text(s.id), Num(DurOrDash(s.took_a)), Num(DurOrDash(s.took_b)), Num(d ? Delta(*d) : "-"),
                           Num(Delta(s.effect_on_end), s.effect_on_end.count() > 0 ? "num bad" : "num ok"),
                           Text(s.chain_a ? "yes" : ""), Text(s.chain_b ? "yes" : "")});
  }
  doc.AddTable(std::move(movers));
  doc.Paragraph("Effect on end: replaying B's plan with A's durations and changing them to B's one step at a time, "
                "in the order the steps ran in B, the end moves by this much at that step. The effects add up to what "
                "the steps account for; the rest is time outside the steps.");
  if (c.partially_attributed) {
    doc.Paragraph("More steps changed than are attributed one by one; the remainder is included in the total only.");
  }

  doc.Heading("Both runs");
  GanttChart chart;
  chart.caption = "Actual times of every step in run A and run B, from each run's T0";
  chart.lanes = 2;
  for (const auto& [stream, steps] : ByStream(b)) {
    chart.rows.push_back(GanttRow::Heading(stream));
    for (int i : steps) {
      const StepComparison& s = c.steps[i];
      GanttRow row;
      row.label = s.id;
      row.critical = s.chain_b;
      const std::optional<Seconds> d = s.delta();
      row.tip = s.id + "\nA took " + DurOrDash(s.took_a) + ", B took " + DurOrDash(s.took_b) + (d ? " (" + Delta(*d) + ")" : "");
      if (s.step_a >= 0 && s.start_a) {
        const StepFacts& f = a.steps[s.step_a];
        row.bars.push_back({0, *f.start, f.end.value_or(a.end()), std::string("run-a") + (s.chain_a ? " actual-crit" : ""),
                            "A: " + FormatTTime(ToSeconds(*f.start)) + " took " + DurOrDash(s.took_a), !f.end});
      }
      if (s.start_b) {
        const StepFacts& f = b.steps[s.step_b];
        row.bars.push_back({1, *f.start, f.end.value_or(b.end()), std::string("run-b") + (s.chain_b ? " actual-crit" : ""),
                            "B: " + FormatTTime(ToSeconds(*f.start)) + " took " + DurOrDash(s.took_b), !f.end});
      }
      chart.rows.push_back(std::move(row));
    }
  }
  chart.markers.push_back({Offset(0), "T0", "t0"});
  chart.markers.push_back({c.end_a, "A ended", "t0"});
  chart.markers.push_back({c.end_b, "B ended", "end"});
  chart.tick_label = [](Offset t) { return FormatTTime(ToSeconds(t)); };
  chart.legend = {{"run-a", "run A"}, {"run-b", "run B"}, {"run-b actual-crit", "outlined: the chain that set the end"}};
  doc.Chart(std::move(chart), "The chart is in the HTML comparison.");

  doc.Heading("The chain that set the end");
  doc.Facts({{"A", Text(PathText(a.run->runbook, a.actual_critical_path))},
             {"B", Text(PathText(b.run->runbook, b.actual_critical_path))},
             {"Joined in B", Text(PathText(c.chain_joined), c.chain_joined.empty() ? "" : "bad")},
             {"Left in B", Text(PathText(c.chain_left))}});
  if (b.planned) {
    doc.Paragraph("The planned critical path: " + PathText(b.run->runbook, b.plan.critical_path) + ".");
  }

  doc.Heading("Every step");
  Table all;
  all.header = {"Step", "Stream", "A took", "B took", "Change", "A started", "B started", "A state", "B state"};
  for (const StepComparison& s : c.steps) {
    const std::optional<Seconds> d = s.delta();
    const Step& step = s.step_b >= 0 ? b.run->runbook.steps[s.step_b] : a.run->runbook.steps[s.step_a];
    std::string css = "num";
    if (d && d->count() > 0) css = "num bad";
    if (d && d->count() < 0) css = "num ok";
    all.rows.push_back({Text(s.id), Text(StreamOf(step)), Num(DurOrDash(s.took_a)), Num(DurOrDash(s.took_b)),
                        Num(d ? Delta(*d) : "-", css),
                        Num(s.start_a ? FormatTTime(ToSeconds(*s.start_a)) : "-"),
                        Num(s.start_b ? FormatTTime(ToSeconds(*s.start_b)) : "-"),
                        Text(s.state_a ? StepStateName(*s.state_a) : (s.step_a < 0 ? "not in A" : "-")),
                        Text(s.state_b ? StepStateName(*s.state_b) : (s.step_b < 0 ? "not in B" : "-"))});
  }
  doc.AddTable(std::move(all));
  return doc;
}

}  // namespace tminus::report
