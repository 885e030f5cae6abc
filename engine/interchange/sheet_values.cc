#include "engine/interchange/sheet_values.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace tminus {
namespace {

constexpr double kMaxDurationSeconds = 366.0 * 86400;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Seconds in one of a unit word, or 0 when the word is not a unit.
double UnitSeconds(std::string_view word) {
  struct Unit {
    const char* names[6];
    double seconds;
  };
  static const Unit kUnits[] = {
      {{"s", "sec", "secs", "second", "seconds", nullptr}, 1},
      {{"m", "min", "mins", "minute", "minutes", nullptr}, 60},
      {{"h", "hr", "hrs", "hour", "hours", nullptr}, 3600},
      {{"d", "day", "days", "dy", "dys", nullptr}, 86400},
      {{"w", "wk", "wks", "week", "weeks", nullptr}, 7 * 86400},
  };
  for (int elapsed = 0; elapsed < 2; ++elapsed) {
    for (const Unit& unit : kUnits) {
      for (const char* name : unit.names) {
        if (name && word == name) return unit.seconds;
      }
    }
    // MS Project writes elapsed durations with an 'e' in front ("2 edays", "30 emins").
    if (word.size() < 2 || word[0] != 'e') break;
    word.remove_prefix(1);
  }
  return 0;
}

// "12", "1.5", "1,5" at text[*pos]; false when there is no number there.
bool ReadDecimal(std::string_view text, size_t* pos, double* value) {
  size_t i = *pos;
  double v = 0;
  size_t digits = 0;
  while (i < text.size() && IsDigit(text[i]) && digits < 12) {
    v = v * 10 + (text[i++] - '0');
    ++digits;
  }
  if (i + 1 < text.size() && (text[i] == '.' || text[i] == ',') && IsDigit(text[i + 1])) {
    ++i;
    double scale = 0.1;
    while (i < text.size() && IsDigit(text[i])) {
      v += (text[i++] - '0') * scale;
      scale /= 10;
    }
  } else if (digits == 0) {
    return false;
  }
  *pos = i;
  *value = v;
  return true;
}

// "H:MM" or "H:MM:SS".
std::optional<Seconds> ParseClockDuration(std::string_view text, std::string* why) {
  int64_t parts[3] = {0, 0, 0};
  int count = 0;
  size_t i = 0;
  while (count < 3) {
    size_t start = i;
    int64_t v = 0;
    while (i < text.size() && IsDigit(text[i]) && i - start < 9) v = v * 10 + (text[i++] - '0');
    if (i == start) break;
    parts[count++] = v;
    if (i < text.size() && text[i] == ':') {
      ++i;
    } else {
      break;
    }
  }
  if (i != text.size() || count < 2 || parts[1] > 59 || parts[2] > 59) {
    *why = "a duration with ':' is hours:minutes or hours:minutes:seconds, like 1:30";
    return std::nullopt;
  }
  return Seconds(parts[0] * 3600 + parts[1] * 60 + parts[2]);
}

bool ReadFixed(std::string_view text, size_t pos, size_t n, int* value) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!IsDigit(text[pos + k])) return false;
    v = v * 10 + (text[pos + k] - '0');
  }
  *value = v;
  return true;
}

// Latin-1 letters U+00C0 to U+00FF without their accents ("" for × and ÷).
const char* const kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

}  // namespace

std::optional<Seconds> ParseSheetDuration(std::string_view text, std::string* why) {
  text = Trim(text);
  if (!text.empty() && text.back() == '?') text = Trim(text.substr(0, text.size() - 1));
  if (text.empty()) {
    *why = "the duration is empty";
    return std::nullopt;
  }
  if (text[0] == '-') {
    *why = "a duration cannot be negative";
    return std::nullopt;
  }
  if (text.find(':') != std::string_view::npos) return ParseClockDuration(text, why);
  std::string lower;
  for (char c : text) lower += Lower(c);
  const char* kShape =
      "write a duration like 30m, 1h30m, 1.5h, 90 mins, 2 hrs or 1d (a bare number is minutes)";
  double total = 0;
  size_t pos = 0;
  int pairs = 0;
  while (pos < lower.size()) {
    double value = 0;
    if (!ReadDecimal(lower, &pos, &value)) {
      *why = kShape;
      return std::nullopt;
    }
    while (pos < lower.size() && lower[pos] == ' ') ++pos;
    size_t word_start = pos;
    while (pos < lower.size() && IsAlpha(lower[pos])) ++pos;
    std::string_view word = std::string_view(lower).substr(word_start, pos - word_start);
    if (word.empty()) {
      if (pos == lower.size() && pairs == 0) {
        total = value * 60;  // a bare number: minutes
        break;
      }
      *why = kShape;
      return std::nullopt;
    }
    const double unit = UnitSeconds(word);
    if (unit == 0) {
      *why = "unknown unit '" + std::string(word) + "'; " + kShape;
      return std::nullopt;
    }
    total += value * unit;
    ++pairs;
    while (pos < lower.size() && (lower[pos] == ' ' || lower[pos] == ',')) ++pos;
  }
  if (total > kMaxDurationSeconds) {
    *why = "a duration of more than a year is surely a mistake";
    return std::nullopt;
  }
  return Seconds(static_cast<int64_t>(std::llround(total)));
}

std::optional<SheetTime> ParseSheetTime(std::string_view text, std::string* why) {
  text = Trim(text);
  const char* kShape = "write a start like 2026-12-05 22:00, 2026-12-05T22:00:00-05:00 or T+01:30";
  if (text.size() >= 2 && (text[0] == 'T' || text[0] == 't') && (text[1] == '+' || text[1] == '-')) {
    std::string t(text);
    t[0] = 'T';
    std::string inner;
    std::optional<Seconds> offset = ParseTTime(t, &inner);
    if (!offset) {
      *why = inner;
      return std::nullopt;
    }
    SheetTime st;
    st.offset = *offset;
    return st;
  }
  // YYYY-MM-DD or YYYY/MM/DD, then optionally ' ' or 'T' and H:MM[:SS], then an offset.
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const char sep = text.size() > 4 ? text[4] : '-';
  if (!ReadFixed(text, 0, 4, &year) || (sep != '-' && sep != '/') || text.size() < 10 ||
      !ReadFixed(text, 5, 2, &month) || text[7] != sep || !ReadFixed(text, 8, 2, &day)) {
    *why = kShape;
    return std::nullopt;
  }
  size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != ' ' && text[pos] != 'T') {
      *why = kShape;
      return std::nullopt;
    }
    ++pos;
    const size_t hour_digits = pos + 1 < text.size() && text[pos + 1] == ':' ? 1 : 2;
    if (!ReadFixed(text, pos, hour_digits, &hour) || pos + hour_digits >= text.size() ||
        text[pos + hour_digits] != ':' || !ReadFixed(text, pos + hour_digits + 1, 2, &minute)) {
      *why = kShape;
      return std::nullopt;
    }
    pos += hour_digits + 3;
    if (pos < text.size() && text[pos] == ':') {
      if (!ReadFixed(text, pos + 1, 2, &second)) {
        *why = kShape;
        return std::nullopt;
      }
      pos += 3;
    }
  }
  char iso[32];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute,
                second);
  std::string inner;
  if (pos == text.size()) {
    // No offset: check the date with a nominal one, keep the wall time.
    std::optional<Instant> checked = ParseAbsoluteTime(std::string(iso) + "Z", &inner);
    if (!checked) {
      *why = inner;
      return std::nullopt;
    }
    SheetTime st;
    st.kind = SheetTime::Kind::kLocal;
    st.unix_seconds = checked->unix_seconds;
    return st;
  }
  std::optional<Instant> absolute =
      ParseAbsoluteTime(std::string(iso) + std::string(Trim(text.substr(pos))), &inner);
  if (!absolute) {
    *why = inner;
    return std::nullopt;
  }
  SheetTime st;
  st.kind = SheetTime::Kind::kAbsolute;
  st.unix_seconds = absolute->unix_seconds;
  st.utc_offset_minutes = absolute->utc_offset_minutes;
  return st;
}

std::string FormatSheetTime(const Plan& plan, Seconds offset) {
  if (!plan.t0_unix) return FormatTTime(offset);
  // "2026-12-05T22:00:30-05:00" -> "2026-12-05 22:00:30", seconds only when not zero.
  std::string iso = FormatIsoTime(*plan.t0_unix + offset.count(), plan.utc_offset_minutes);
  std::string out = iso.substr(0, 10) + " " + iso.substr(11, 5);
  if (iso.compare(17, 2, "00") != 0) out += ":" + iso.substr(17, 2);
  return out;
}

std::string Slugify(std::string_view text, size_t max_length) {
  std::string out;
  bool dash = false;
  auto add = [&](std::string_view letters) {
    if (dash && !out.empty()) out += '-';
    dash = false;
    out += letters;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c) && c < 0x80) {
      const char lower = Lower(static_cast<char>(c));
      add(std::string_view(&lower, 1));
    } else if (c == 0xC3 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0xBF) {
      const char* letters = kLatin1[static_cast<unsigned char>(text[++i]) - 0x80];
      if (*letters) {
        add(letters);
      } else {
        dash = true;
      }
    } else {
      dash = true;
      // Skip the rest of a multi-byte character.
      while (c >= 0xC0 && i + 1 < text.size() &&
             (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
        ++i;
      }
    }
  }
  if (out.size() > max_length) out.resize(max_length);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

bool IsStepId(std::string_view text) {
  if (text.empty()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || IsDigit(c) ||
                    (i > 0 && (c == '-' || c == '_' || c == '.'));
    if (!ok) return false;
  }
  return true;
}

}  // namespace tminus
