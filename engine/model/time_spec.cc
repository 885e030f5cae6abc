#include "engine/model/time_spec.h"

#include <cstdio>

namespace tminus {
namespace {

constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 86400;  // keeps every sum far from overflow

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of digits at text[*pos]; false if there is none or it is absurdly long.
bool ReadNumber(std::string_view text, size_t* pos, int64_t* value, size_t* digits) {
  size_t start = *pos;
  int64_t v = 0;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    if (*pos - start >= 12) return false;
    v = v * 10 + (text[*pos] - '0');
    ++*pos;
  }
  *digits = *pos - start;
  *value = v;
  return *digits > 0;
}

bool ReadFixed(std::string_view text, size_t pos, size_t n, int* value) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(text[pos + i])) return false;
    v = v * 10 + (text[pos + i] - '0');
  }
  *value = v;
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::string TwoDigits(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02lld", static_cast<long long>(v));
  return buf;
}

}  // namespace

std::optional<Seconds> Instant::OffsetFrom(std::optional<int64_t> t0_unix) const {
  if (kind == Kind::kRelative) return offset;
  if (!t0_unix) return std::nullopt;
  return Seconds(unix_seconds - *t0_unix);
}

std::optional<Seconds> ParseDuration(std::string_view text, std::string* why) {
  static const char kUnits[] = {'d', 'h', 'm', 's'};
  static const int64_t kScale[] = {86400, 3600, 60, 1};
  if (text.empty()) {
    *why = "a duration cannot be empty";
    return std::nullopt;
  }
  size_t pos = 0;
  int next_unit = 0;
  int64_t total = 0;
  while (pos < text.size()) {
    int64_t value = 0;
    size_t digits = 0;
    if (!ReadNumber(text, &pos, &value, &digits)) {
      *why = "expected a number followed by a unit (d, h, m, s), like 90s, 15m, 1h30m";
      return std::nullopt;
    }
    if (pos >= text.size()) {
      *why = "the number " + std::to_string(value) + " needs a unit (d, h, m or s), like " +
             std::to_string(value) + "m";
      return std::nullopt;
    }
    int unit = -1;
    for (int u = 0; u < 4; ++u) {
      if (text[pos] == kUnits[u]) unit = u;
    }
    if (unit < 0) {
      *why = std::string("unknown unit '") + text[pos] + "'; use d, h, m or s, like 1h30m";
      return std::nullopt;
    }
    if (unit < next_unit) {
      *why = "units must come in the order d, h, m, s, each at most once";
      return std::nullopt;
    }
    next_unit = unit + 1;
    ++pos;
    total += value * kScale[unit];
    if (total > kMaxSeconds) {
      *why = "duration is too long";
      return std::nullopt;
    }
  }
  return Seconds(total);
}

std::optional<Seconds> ParseTTime(std::string_view text, std::string* why) {
  if (text.size() < 3 || text[0] != 'T' || (text[1] != '+' && text[1] != '-')) {
    *why = "a T-time starts with T+ or T-, like T-02:00, T+00:15 or T+90m";
    return std::nullopt;
  }
  const int sign = text[1] == '-' ? -1 : 1;
  std::string_view rest = text.substr(2);
  if (rest.find(':') == std::string_view::npos) {
    std::string inner;
    std::optional<Seconds> d = ParseDuration(rest, &inner);
    if (!d) {
      *why = "after T" + std::string(1, text[1]) + " write hours:minutes[:seconds] or a duration (" +
             inner + ")";
      return std::nullopt;
    }
    return Seconds(sign * d->count());
  }
  size_t pos = 0;
  int64_t hours = 0;
  size_t digits = 0;
  const char* kShape = "a T-time is T±hours:minutes[:seconds], like T-02:00 or T+1:30:00";
  if (!ReadNumber(rest, &pos, &hours, &digits) || pos >= rest.size() || rest[pos] != ':') {
    *why = kShape;
    return std::nullopt;
  }
  int minutes = 0, seconds = 0;
  if (!ReadFixed(rest, pos + 1, 2, &minutes)) {
    *why = kShape;
    return std::nullopt;
  }
  pos += 3;
  if (pos < rest.size()) {
    if (rest[pos] != ':' || !ReadFixed(rest, pos + 1, 2, &seconds) || pos + 3 != rest.size()) {
      *why = kShape;
      return std::nullopt;
    }
  }
  if (minutes > 59 || seconds > 59) {
    *why = "minutes and seconds in a T-time must be 00 to 59";
    return std::nullopt;
  }
  const int64_t total = hours * 3600 + minutes * 60 + seconds;
  if (total > kMaxSeconds) {
    *why = "T-time is too far from T0";
    return std::nullopt;
  }
  return Seconds(sign * total);
}

std::optional<Instant> ParseAbsoluteTime(std::string_view text, std::string* why) {
  // YYYY-MM-DDTHH:MM[:SS](Z|±HH:MM|±HHMM|±HH)
  const char* kShape =
      "an absolute time is ISO 8601 with an offset, like 2026-12-05T22:00:00-05:00";
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixed(text, 0, 4, &year) || text.size() < 16 || text[4] != '-' ||
      !ReadFixed(text, 5, 2, &month) || text[7] != '-' || !ReadFixed(text, 8, 2, &day) ||
      text[10] != 'T' || !ReadFixed(text, 11, 2, &hour) || text[13] != ':' ||
      !ReadFixed(text, 14, 2, &minute)) {
    *why = kShape;
    return std::nullopt;
  }
  size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!ReadFixed(text, pos + 1, 2, &second)) {
      *why = kShape;
      return std::nullopt;
    }
    pos += 3;
  }
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    *why = "fractional seconds are not supported; times are to the second";
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    *why = "no such date or time of day";
    return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos >= text.size()) {
    *why = "the time needs an offset, like -05:00, +01:00 or Z";
    return std::nullopt;
  }
  if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!ReadFixed(text, pos + 1, 2, &oh)) {
      *why = "malformed offset; write it like -05:00 or Z";
      return std::nullopt;
    }
    pos += 3;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (pos < text.size()) {
      if (!ReadFixed(text, pos, 2, &om)) {
        *why = "malformed offset; write it like -05:00 or Z";
        return std::nullopt;
      }
      pos += 2;
    }
    if (oh > 23 || om > 59) {
      *why = "offset out of range";
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    *why = "the time needs an offset, like -05:00, +01:00 or Z";
    return std::nullopt;
  }
  if (pos != text.size()) {
    *why = kShape;
    return std::nullopt;
  }
  Instant instant;
  instant.kind = Instant::Kind::kAbsolute;
  instant.unix_seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                         second - int64_t{offset_minutes} * 60;
  instant.utc_offset_minutes = offset_minutes;
  return instant;
}

std::optional<Instant> ParseInstant(std::string_view text, std::string* why) {
  if (!text.empty() && text[0] == 'T') {
    std::optional<Seconds> offset = ParseTTime(text, why);
    if (!offset) return std::nullopt;
    Instant instant;
    instant.offset = *offset;
    return instant;
  }
  if (text.size() >= 4 && IsDigit(text[0])) return ParseAbsoluteTime(text, why);
  *why = "expected a T-time (T-02:00, T+90m) or an ISO 8601 time with offset";
  return std::nullopt;
}

std::string FormatDuration(Seconds d) {
  int64_t s = d.count();
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  if (s == 0) return "0s";
  const int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h > 0) {
    out += std::to_string(h) + "h";
    if (m > 0 || sec > 0) out += TwoDigits(m) + "m";
    if (sec > 0) out += TwoDigits(sec) + "s";
  } else if (m > 0) {
    out += std::to_string(m) + "m";
    if (sec > 0) out += TwoDigits(sec) + "s";
  } else {
    out += std::to_string(sec) + "s";
  }
  return out;
}

std::string FormatTTime(Seconds offset) {
  int64_t s = offset.count();
  std::string out = s < 0 ? "T-" : "T+";
  if (s < 0) s = -s;
  out += TwoDigits(s / 3600) + ":" + TwoDigits((s % 3600) / 60);
  if (s % 60 != 0) out += ":" + TwoDigits(s % 60);
  return out;
}

namespace {

struct Civil {
  int64_t year;
  unsigned month, day;
  int64_t hour, minute, second;
};

Civil ToCivil(int64_t unix_seconds, int utc_offset_minutes) {
  const int64_t local = unix_seconds + int64_t{utc_offset_minutes} * 60;
  int64_t days = local / 86400;
  int64_t rem = local % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c{};
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = rem / 3600;
  c.minute = (rem % 3600) / 60;
  c.second = rem % 60;
  return c;
}

}  // namespace

std::string FormatIsoTime(int64_t unix_seconds, int utc_offset_minutes) {
  const Civil c = ToCivil(unix_seconds, utc_offset_minutes);
  char buf[64];
  const int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%c%02d:%02d",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(c.hour),
                static_cast<long long>(c.minute), static_cast<long long>(c.second),
                utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

std::string FormatClock(int64_t unix_seconds, int utc_offset_minutes) {
  const Civil c = ToCivil(unix_seconds, utc_offset_minutes);
  std::string out = TwoDigits(c.month) + "-" + TwoDigits(c.day) + " " + TwoDigits(c.hour) + ":" +
                    TwoDigits(c.minute);
  if (c.second != 0) out += ":" + TwoDigits(c.second);
  return out;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

}  // namespace tminus
