// Durations, T-times and absolute instants as the runbook format writes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tminus {

using Seconds = std::chrono::seconds;

// An instant: either relative to T0 (a T-time) or an absolute time with the offset it
// was written in.
struct Instant {
  enum class Kind { kRelative, kAbsolute };
  Kind kind = Kind::kRelative;
  Seconds offset{0};        // kRelative: seconds from T0 (negative before it)
  int64_t unix_seconds = 0;  // kAbsolute: seconds since the Unix epoch (UTC)
  int utc_offset_minutes = 0;  // kAbsolute: the offset it was written with

  bool relative() const { return kind == Kind::kRelative; }
  // Seconds from T0; for an absolute instant T0 must be known.
  std::optional<Seconds> OffsetFrom(std::optional<int64_t> t0_unix) const;
};

// Each parser returns std::nullopt on malformed text and sets *why to a short reason.
// "90s", "15m", "1h30m", "2h", "1d" (units d, h, m, s, in that order, each at most once).
std::optional<Seconds> ParseDuration(std::string_view text, std::string* why);
// "T-02:00", "T+00:15", "T+1:30:00", "T+90m", "T-2h".
std::optional<Seconds> ParseTTime(std::string_view text, std::string* why);
// "2026-12-05T22:00:00-05:00", "...Z", "...+0530".
std::optional<Instant> ParseAbsoluteTime(std::string_view text, std::string* why);
// A T-time or an absolute time.
std::optional<Instant> ParseInstant(std::string_view text, std::string* why);

// "1h05m", "15m", "45s", "2h", "1h00m30s", "0s"; negative durations get a leading '-'.
std::string FormatDuration(Seconds d);
// "T-02:00", "T+07:30", "T+00:00:30" (seconds only when not zero).
std::string FormatTTime(Seconds offset);
// ISO 8601 with the given offset: "2026-12-05T22:00:00-05:00".
std::string FormatIsoTime(int64_t unix_seconds, int utc_offset_minutes);
// "12-05 22:00" (month-day hour:minute) in the given offset; ":ss" added when not zero.
std::string FormatClock(int64_t unix_seconds, int utc_offset_minutes);

// Civil-calendar helpers (proleptic Gregorian).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace tminus
