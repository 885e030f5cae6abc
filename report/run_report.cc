#include "report/run_report.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engine/model/time_spec.h"
#include "report/report_text.h"

namespace tminus::report {
namespace {

std::string StateCss(StepState state) {
  switch (state) {
    case StepState::kSucceeded: return "ok";
    case StepState::kFailed:
    case StepState::kRollbackFailed:
    case StepState::kUnknown: return "bad";
    case StepState::kSkipped:
    case StepState::kCancelled:
    case StepState::kRolledBack: return "warn";
    default: return "muted";
  }
}

std::string OutcomeCss(const RunHistory& h) {
  if (!h.state.ended()) return "warn";
  return h.state.phase() == RunPhase::kSucceeded ? "ok" : "bad";
}


std::string StepName(const Runbook& rb, int step) {
  if (step < 0) return "(run)";
  return rb.steps[step].id.value;
}

void Summary(const RunHistory& h, Document* doc) {
  const Runbook& rb = h.run->runbook;
  std::vector<std::pair<std::string, Cell>> facts;
  facts.push_back({"Outcome", Text(OutcomeWords(h), OutcomeCss(h))});
  facts.push_back({"Kind of run", Text(ModeWords(h))});
  facts.push_back({"Runbook", Text(rb.name.value + (rb.title.present() ? ": " + rb.title.value : ""))});
  facts.push_back({"Change ticket", Text(rb.change.present() ? rb.change.value : "none given")});
  if (HasClock(h)) {
    facts.push_back({"T0", Text(FormatIsoTime(h.t0_ms / 1000, h.utc_offset_minutes))});
  } else {
    facts.push_back({"T0", Text("not set: times are relative to the start of the simulation")});
  }
  if (h.planned) {
    std::string window = "from T0 " + When(h, Offset(0));
    if (h.plan.window_end) window += " to " + When(h, ToOffset(*h.plan.window_end));
    else window += ", no end set";
    facts.push_back({"Window", Text(window)});
    facts.push_back({"Planned start", Text(When(h, ToOffset(h.plan.origin)))});
    facts.push_back({"Planned end", Text(When(h, ToOffset(h.plan.end)) + ", " +
                                         Dur(h.plan.end - h.plan.origin) + " in all")});
  }
  facts.push_back({"Actual start", Text(When(h, h.started))});
  const Offset end = h.end();
  const std::string end_words = h.state.ended() ? When(h, end) : "not ended; last record at " + When(h, end);
  facts.push_back({"Actual end", Text(end_words + ", " + Dur(ToSeconds(end - h.started)) + " in all")});
  if (h.planned) {
    const Seconds slip = ToSeconds(end) - h.plan.end;
    facts.push_back({"End against plan",
                     Text(slip.count() > 0 ? Dur(slip) + " late" : slip.count() < 0 ? Dur(-slip) + " early" : "on time",
                          slip.count() > 0 ? "warn" : "ok")});
    if (h.plan.window_end) {
      const Seconds spare = *h.plan.window_end - ToSeconds(end);
      facts.push_back({"Window margin", Text(spare.count() >= 0 ? "ended " + Dur(spare) + " before the window closed"
                                                         : "ended " + Dur(-spare) + " after the window closed",
                                      spare.count() >= 0 ? "ok" : "bad")});
    }
  }
  std::map<std::string, int> by_state;
  for (const StepFacts& f : h.steps) ++by_state[StepStateName(f.state)];
  std::string counts;
  for (const auto& [state, n] : by_state) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  facts.push_back({"Steps", Text(std::to_string(h.steps.size()) + ": " + counts)});
  if (h.state.resumes() > 0) {
    facts.push_back({"Coordinator restarts", Text(std::to_string(h.state.resumes()) + " (the run was resumed from its journal)")});
  }
  facts.push_back({"Journal head", Text(h.run->head, "mono")});
  facts.push_back({"Verification", h.run->verify.ok
                                       ? Text("chain intact, " + std::to_string(h.run->verify.records) + " records", "ok")
                                       : Text("FAILED: " + h.run->verify.problem, "bad")});
  doc->Facts(std::move(facts));
}

std::string Tip(const RunHistory& h, int i) {
  const Step& s = h.run->runbook.steps[i];
  const StepFacts& f = h.steps[i];
  std::string tip = s.id.value + (s.title.present() ? ": " + s.title.value : "") + "\n" + StateWords(h, i);
  if (h.planned) {
    tip += "\nplanned " + Clock(h, ToOffset(h.plan.steps[i].start)) + " to " +
           Clock(h, ToOffset(h.plan.steps[i].end)) + " (" + Dur(h.plan.durations[i]) + ")";
  }
  if (f.start) {
    tip += "\nactual " + Clock(h, *f.start) + " to " + (f.end ? Clock(h, *f.end) : std::string("-"));
    if (f.observed) tip += " (" + Dur(*f.observed) + ")";
  }
  return tip;
}

void Timeline(const RunHistory& h, Document* doc) {
  doc->Heading("Timeline");
  GanttChart chart;
  chart.caption = "Planned and actual times of every step, by stream";
  chart.lanes = h.planned ? 2 : 1;
  const int actual_lane = h.planned ? 1 : 0;
  const Offset end = h.end();
  for (const auto& [stream, steps] : ByStream(h)) {
    chart.rows.push_back(GanttRow::Heading(stream));
    for (int i : steps) {
      const StepFacts& f = h.steps[i];
      GanttRow row;
      row.label = h.run->runbook.steps[i].id.value;
      row.tip = Tip(h, i);
      row.critical = f.on_actual_critical_path;
      if (h.planned) {
        const PlannedStep& p = h.plan.steps[i];
        row.bars.push_back({0, ToOffset(p.start), ToOffset(p.end), p.critical ? "plan crit" : "plan",
                            "planned " + Clock(h, ToOffset(p.start)) + " to " + Clock(h, ToOffset(p.end)), false});
      }
      if (f.start) {
        GanttBar bar;
        bar.lane = actual_lane;
        bar.start = *f.start;
        bar.end = f.end.value_or(end);
        bar.open_end = !f.end;
        bar.css = std::string("st-") + StepStateName(f.state) + (f.on_actual_critical_path ? " actual-crit" : "");
        bar.tip = Tip(h, i);
        row.bars.push_back(std::move(bar));
      }
      if (f.rollback_start) {
        row.bars.push_back({actual_lane, *f.rollback_start, f.rollback_end.value_or(end), "rollback",
                            "rollback " + Clock(h, *f.rollback_start) + " to " +
                                (f.rollback_end ? Clock(h, *f.rollback_end) : std::string("-")),
                            !f.rollback_end});
      }
      chart.rows.push_back(std::move(row));
    }
  }
  chart.markers.push_back({Offset(0), "T0", "t0"});
  if (h.planned && h.plan.window_end) chart.markers.push_back({ToOffset(*h.plan.window_end), "window end", "window"});
  chart.markers.push_back({end, h.state.ended() ? "run ended" : "last record", "end"});
  const RunHistory* hp = &h;
  chart.tick_label = [hp](Offset t) {
    const std::string clock = Clock(*hp, t);
    return HasClock(*hp) ? clock.substr(clock.size() >= 5 ? clock.find(' ') + 1 : 0) : clock;
  };
  if (h.planned) chart.legend.push_back({"plan", "planned"});
  if (h.planned) chart.legend.push_back({"plan crit", "planned critical path"});
  chart.legend.push_back({"st-succeeded actual-crit", "actual (outlined: the chain that set the end)"});
  chart.legend.push_back({"st-failed", "failed"});
  chart.legend.push_back({"rollback", "rollback"});
  doc->Chart(std::move(chart), "The chart is in the HTML report; the Steps table below has every time.");
  if (h.planned) {
    doc->Paragraph("Planned critical path: " + PathText(h.run->runbook, h.plan.critical_path) + ".");
  }
  if (!h.actual_critical_path.empty()) {
    doc->Paragraph("The chain that set the actual end: " + PathText(h.run->runbook, h.actual_critical_path) + ".");
  }
  if (!h.planned) doc->Paragraph("No plan: " + h.plan_problem);
}

void People(const RunHistory& h, Document* doc) {
  doc->Heading("Sign-offs and gate decisions");
  Table t;
  t.header = {"When", "Step", "Who", "As", "Act", "Comment or reason"};
  t.empty = "No sign-offs or gate decisions were recorded.";
  for (const PersonAct& a : h.acts) {
    std::string act = a.decision ? std::string(a.vote == Decision::kGo ? "go" : "no-go") : "signed off";
    if (a.override_) act += " (override)";
    t.rows.push_back({Text(When(h, a.at)), Text(StepName(h.run->runbook, a.step)), Text(a.person), Text(a.as),
                      Text(act, a.decision ? (a.vote == Decision::kGo ? "ok" : "bad") : ""), Text(a.comment)});
  }
  doc->AddTable(std::move(t));
}

void Incidents(const RunHistory& h, Document* doc) {
  doc->Heading("Failures, retries, skips and rollbacks");
  Table t;
  t.header = {"When", "Step", "What", "Who", "Detail"};
  t.empty = "Nothing went off the plan: no failures, retries, skips or rollbacks.";
  for (const Incident& i : h.incidents) {
    const bool bad = i.what.find("fail") != std::string::npos || i.what.find("refused") != std::string::npos ||
                     i.what.find("abort") != std::string::npos || i.what.find("unknown") != std::string::npos;
    t.rows.push_back({Text(When(h, i.at)), Text(StepName(h.run->runbook, i.step)), Text(i.what, bad ? "bad" : ""),
                      Text(i.actor), Text(i.detail)});
  }
  doc->AddTable(std::move(t));
}

void Delays(const RunHistory& h, Document* doc) {
  doc->Heading("Deadline misses and overruns");
  if (h.planned) {
    const Seconds actual = ToSeconds(h.end());
    const Seconds slip = actual - h.plan.end;
    const Seconds by_steps = h.replayed.end - h.plan.end;
    const Seconds outside = actual - h.replayed.end;
    doc->Paragraph("The run ended " + Delta(slip) + " against the plan (" + FormatTTime(actual) + " against " +
                   FormatTTime(h.plan.end) + "). Replaying the plan with every step's observed duration ends at " +
                   FormatTTime(h.replayed.end) + ": " + Delta(by_steps) +
                   " comes from how long the steps took, " + Delta(outside) +
                   " from time outside them (a late start, waiting for agents or people before a step opened).");
  }
  Table t;
  t.header = {"Step", "Planned", "Actual", "Overrun", "Past deadline", "Effect on end", "Chain"};
  t.empty = "No step ran over its planned duration or missed its deadline.";
  for (const Delay& d : h.delays) {
    t.rows.push_back({Text(StepName(h.run->runbook, d.step)), Num(Dur(d.planned)),
                      Num(DurOrDash(d.observed)),
                      Num(d.overrun.count() > 0 ? Delta(d.overrun) : "-"),
                      Num(DurOrDash(d.past_deadline)),
                      Cell{d.effect_on_end.count() > 0 ? Delta(d.effect_on_end) : "0s",
                           d.effect_on_end.count() > 0 ? "num bad" : "num"},
                      Text(h.steps[d.step].on_actual_critical_path ? "yes" : "")});
  }
  doc->AddTable(std::move(t));
  if (!h.delays.empty()) {
    doc->Paragraph("Effect on end: how much earlier the run would have ended had that step alone taken its planned "
                   "duration. Chain: the step is on the chain of steps that set the actual end.");
  }
}

void Steps(const RunHistory& h, Document* doc) {
  doc->Heading("Steps");
  Table t;
  t.header = {"Step", "Title", "Stream", "Owner", "State", "Planned start", "Actual start", "Actual end",
              "Planned", "Actual", "Attempts"};
  const Runbook& rb = h.run->runbook;
  for (const auto& [stream, steps] : ByStream(h)) {
    for (int i : steps) {
      const Step& s = rb.steps[i];
      const StepFacts& f = h.steps[i];
      int runs = 0;
      for (const AttemptFacts& a : f.attempts) runs += a.rollback ? 0 : 1;
      t.rows.push_back({Text(s.id.value), Text(s.title.value), Text(stream), Text(s.owner.value),
                        Text(StateWords(h, i), StateCss(f.state)),
                        Text(h.planned ? Clock(h, ToOffset(h.plan.steps[i].start)) : "-"),
                        Text(f.start ? Clock(h, *f.start) : "-"), Text(f.end ? Clock(h, *f.end) : "-"),
                        Num(Dur(PlannedDuration(s))), Num(DurOrDash(f.observed)),
                        Num(runs > 0 ? std::to_string(runs) : "-")});
    }
  }
  doc->AddTable(std::move(t));
}

void Hosts(const RunHistory& h, Document* doc) {
  doc->Heading("Agents and hosts");
  Table t;
  t.header = {"Host", "Kind", "Targets", "Steps", "Attempts", "Failed"};
  t.empty = "No step ran on an agent or a host: every step was manual, a gate or a milestone, or the run was "
            "simulated.";
  for (const HostUse& u : h.hosts) {
    std::string targets;
    for (const std::string& target : u.targets) targets += (targets.empty() ? "" : ", ") + target;
    t.rows.push_back({Text(u.host, "mono"), Text(u.kind), Text(targets), Num(std::to_string(u.steps)),
                      Num(std::to_string(u.attempts)), Cell{std::to_string(u.failed), u.failed ? "num bad" : "num"}});
  }
  doc->AddTable(std::move(t));
}

void Journal(const RunHistory& h, Document* doc) {
  doc->Heading("Journal");
  const RecordedRun& run = *h.run;
  std::vector<std::pair<std::string, Cell>> facts;
  facts.push_back({"File", Text(run.journal_path, "mono")});
  facts.push_back({"Records", Text(std::to_string(run.records))});
  facts.push_back({"Head hash", Text(run.head, "mono")});
  facts.push_back({"Verification", run.verify.ok ? Text("the hash chain is intact from record 1 to " +
                                                        std::to_string(run.verify.records), "ok")
                                                 : Text("FAILED" + (run.verify.first_bad_seq > 0
                                                                        ? " at record " + std::to_string(run.verify.first_bad_seq)
                                                                        : std::string()) +
                                                            ": " + run.verify.problem, "bad")});
  facts.push_back({"Runbook SHA-256", Text(run.started.runbook_sha256, "mono")});
  if (!run.started.run_id.empty()) facts.push_back({"Run id", Text(run.started.run_id, "mono")});
  doc->Facts(std::move(facts));
  doc->Paragraph("To check this report against the journal later: tminus audit verify " + run.journal_path +
                 " --expect-head " + run.head);
}

}  // namespace

Document RunReport(const RunHistory& h) {
  Document doc;
  const Runbook& rb = h.run->runbook;
  doc.title = "Cutover report: " + RunTitle(rb);
  doc.subtitle = ModeWords(h) + " of " + rb.name.value + (rb.change.present() ? ", change " + rb.change.value : "") +
                 ", " + OutcomeWords(h);
  if (!h.run->verify.ok) {
    doc.Banner("The journal does NOT verify: " + h.run->verify.problem +
                   ". This report shows what the file holds, which may have been altered.",
               "bad");
  }
  if (!h.state.ended()) doc.Banner("The run has not ended: this report stops at the journal's last record.", "bad");
  doc.Heading("Summary");
  Summary(h, &doc);
  Timeline(h, &doc);
  People(h, &doc);
  Incidents(h, &doc);
  Delays(h, &doc);
  Steps(h, &doc);
  Hosts(h, &doc);
  Journal(h, &doc);
  return doc;
}

}  // namespace tminus::report
