#include "bench/runbook_gen_yaml.h"

namespace tminus::bench::gen {
namespace {

bool LooksLikeNumberOrKeyword(std::string_view s) {
  static const std::string_view kWords[] = {
      "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL",
      "~",    "yes",   "no",   "on",    "off",  "Yes",   "No",   "On",   "Off",
      "YES",  "NO",    "ON",   "OFF",   "y",    "n",     "Y",    "N"};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots <= 1;
}

}  // namespace

int64_t CeilTo(int64_t seconds, int64_t unit) {
  int64_t q = seconds / unit;
  if (q * unit < seconds) ++q;
  return q * unit;
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

std::string TTime(int64_t seconds) {
  std::string out = seconds < 0 ? "T-" : "T+";
  const int64_t s = seconds < 0 ? -seconds : seconds;
  out += Pad(s / kHour, 2) + ":" + Pad((s % kHour) / kMinute, 2);
  if (s % kMinute != 0) out += ":" + Pad(s % kMinute, 2);
  return out;
}

std::string Duration(int minutes) {
  if (minutes < 60) return std::to_string(minutes) + "m";
  std::string out = std::to_string(minutes / 60) + "h";
  if (minutes % 60 != 0) out += std::to_string(minutes % 60) + "m";
  return out;
}

std::string Scalar(std::string_view s) {
  bool quote = s.empty() || LooksLikeNumberOrKeyword(s) || s.front() == ' ' || s.back() == ' ' ||
               s.back() == ':' || s.find("${") != std::string_view::npos ||
               s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos ||
               s.find_first_of(":?,[]{}\"'\\") != std::string_view::npos;
  if (!quote) {
    const char c = s.front();
    if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos) quote = true;
    if (c == '-' && (s.size() == 1 || s[1] == ' ')) quote = true;
  }
  if (!quote) return std::string(s);
  if (s.find('\\') != std::string_view::npos && s.find('\'') == std::string_view::npos) {
    return "'" + std::string(s) + "'";  // Windows paths, like 'C:\cutover\x.ps1'
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

void AppendList(std::string* out, int indent, std::string_view key,
                const std::vector<std::string>& items, size_t max_flow_items) {
  std::string flow = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) flow += ", ";
    flow += items[i];
  }
  flow += "]";
  out->append(indent, ' ');
  out->append(key);
  if (items.size() <= max_flow_items && indent + key.size() + 2 + flow.size() <= 140) {
    *out += ": " + flow + "\n";
    return;
  }
  *out += ":\n";
  for (const std::string& item : items) {
    out->append(indent + 2, ' ');
    *out += "- " + item + "\n";
  }
}

void AppendLines(std::string* out, int indent, std::string_view lines) {
  if (lines.empty()) return;
  for (std::string_view line : Split(lines, '\n')) {
    out->append(indent, ' ');
    out->append(line);
    *out += '\n';
  }
}

}  // namespace tminus::bench::gen
