#include "report/report_text.h"

#include <algorithm>

#include "engine/model/time_spec.h"

namespace tminus::report {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool HasClock(const RunHistory& h) { return h.run != nullptr && h.run->started.t0_known; }

std::string Clock(const RunHistory& h, Offset at) {
  const Seconds s = ToSeconds(at);
  if (!HasClock(h)) return FormatTTime(s);
  return FormatClock(h.t0_ms / 1000 + s.count(), h.utc_offset_minutes);
}

std::string When(const RunHistory& h, Offset at) {
  const Seconds s = ToSeconds(at);
  if (!HasClock(h)) return FormatTTime(s);
  return Clock(h, at) + " (" + FormatTTime(s) + ")";
}

std::string Dur(Seconds d) { return FormatDuration(d); }

std::string DurOrDash(const std::optional<Seconds>& d) { return d ? FormatDuration(*d) : "-"; }

std::string Delta(Seconds d) {
  if (d.count() > 0) return "+" + FormatDuration(d);
  return FormatDuration(d);
}

std::string ModeWords(const RunHistory& h) {
  const std::string& mode = h.run->started.mode;
  if (mode == "run") return "live run";
  if (mode == "rehearsal") return "rehearsal";
  if (mode == "simulate") return "simulation";
  return mode;
}

std::string OutcomeWords(const RunHistory& h) {
  if (!h.state.ended()) return "not ended";
  std::string words = RunPhaseName(h.state.phase());
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string StateWords(const RunHistory& h, int step) {
  const StepFacts& f = h.steps[step];
  std::string words = StepStateName(f.state);
  if (f.decision) {
    words += std::string(" (") + DecisionName(*f.decision) + (f.decided_by_override ? ", override" : "") + ")";
  }
  return words;
}

std::string StreamOf(const Step& step) {
  return step.stream.present() && !step.stream.value.empty() ? step.stream.value : "general";
}

std::vector<std::pair<std::string, std::vector<int>>> ByStream(const RunHistory& h) {
  const Runbook& rb = h.run->runbook;
  std::vector<int> order(rb.steps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (h.planned) order = PlanOrder(h.plan);
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (int i : order) {
    const std::string stream = StreamOf(rb.steps[i]);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == stream; });
    if (it == groups.end()) it = groups.insert(groups.end(), {stream, {}});
    it->second.push_back(i);
  }
  return groups;
}

std::string PathText(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " -> ") + id;
  return out.empty() ? "(none)" : out;
}

std::string PathText(const Runbook& rb, const std::vector<int>& steps) {
  std::vector<std::string> ids;
  for (int i : steps) ids.push_back(rb.steps[i].id.value);
  return PathText(ids);
}

std::string RunTitle(const Runbook& rb) {
  return rb.title.present() && !rb.title.value.empty() ? rb.title.value : rb.name.value;
}

}  // namespace tminus::report
