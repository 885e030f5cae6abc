// Words and numbers shared by every report format: times in the runbook's offset beside
// their T-time, durations and differences, outcomes, steps grouped by stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/history/run_history.h"

namespace tminus::report {

// Text made safe for HTML element content and quoted attribute values.
std::string Escape(std::string_view text);

// "12-05 22:14 (T+00:14)" when T0 is a real instant, else "T+00:14".
std::string When(const RunHistory& h, Offset at);
// The clock part only ("12-05 22:14"), or the T-time when T0 is unknown.
std::string Clock(const RunHistory& h, Offset at);
std::string Dur(Seconds d);
// Dur, or "-" when there is none.
std::string DurOrDash(const std::optional<Seconds>& d);
// A signed difference: "+5m", "-1m30s", "0s".
std::string Delta(Seconds d);

// "live run", "rehearsal" or "simulation".
std::string ModeWords(const RunHistory& h);
// The run's end state ("succeeded", "rolled back", ...) or "not ended".
std::string OutcomeWords(const RunHistory& h);
// The state of a step as the format names it, with the decision of a gate: "succeeded (go)".
std::string StateWords(const RunHistory& h, int step);
// A step's stream, or "general".
std::string StreamOf(const Step& step);
// Step indices grouped by stream, in planned start order when there is a plan (streams by
// their first step), else in runbook order.
std::vector<std::pair<std::string, std::vector<int>>> ByStream(const RunHistory& h);

// Step ids joined as a path, "a -> b -> c"; "(none)" for no steps.
std::string PathText(const std::vector<std::string>& ids);
std::string PathText(const Runbook& rb, const std::vector<int>& steps);

// The runbook's title, else its name.
std::string RunTitle(const Runbook& rb);
// Whether T0 is a real instant (not a simulation's stand-in).
bool HasClock(const RunHistory& h);

}  // namespace tminus::report
