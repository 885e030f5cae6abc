// Values as people type them into spreadsheets, read and written: durations ("1.5h",
// "90 mins", "2 days"), start times ("2026-12-05 22:00", "T+01:30") and names turned into
// step ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/model/time_spec.h"
#include "engine/plan/planner.h"

namespace tminus {

// A duration in a spreadsheet cell. Accepted: the runbook format's own ("1h30m", "90s"),
// numbers with units ("1.5h", "90 mins", "2 hrs", "1 day", "0.5d", "1 wk", "1,5h" with a
// decimal comma), several of them ("1h 30m", "1 hr 30 mins"), MS Project's elapsed units
// ("2 edays") and estimates ("3 days?"), "H:MM" or "H:MM:SS", and a bare number, which
// is minutes. A day is 24 hours and a week 7 days: a cutover runs around the clock.
// Fractions are rounded to the second. Returns nothing with *why set when it is none of
// these, negative, or longer than a year.
std::optional<Seconds> ParseSheetDuration(std::string_view text, std::string* why);

// A start time in a spreadsheet cell: a T-time ("T+01:30", "T-2h"), an ISO 8601 time with
// an offset, or a local date and time without one ("2026-12-05 22:00", "2026-12-05T22:00:00",
// "2026/12/05 22:00", "2026-12-05").
struct SheetTime {
  enum class Kind { kRelative, kAbsolute, kLocal };
  Kind kind = Kind::kRelative;
  Seconds offset{0};           // kRelative: from T0
  int64_t unix_seconds = 0;    // kAbsolute: the instant; kLocal: the wall time read as UTC
  int utc_offset_minutes = 0;  // kAbsolute
};
std::optional<SheetTime> ParseSheetTime(std::string_view text, std::string* why);

// A planned time for a spreadsheet: "2026-12-05 22:00" in the runbook's offset when T0 is
// known ("...:30" when the seconds are not zero), else the T-time ("T+01:30").
std::string FormatSheetTime(const Plan& plan, Seconds offset);

// A name as a step id: lower case ASCII letters and digits, other characters as single
// dashes (accented Latin letters lose their accents), at most `max_length` characters.
// "" when nothing is left.
std::string Slugify(std::string_view text, size_t max_length = 48);

// True for "[a-z0-9][a-z0-9-_.]*", the format's step ids.
bool IsStepId(std::string_view text);

}  // namespace tminus
