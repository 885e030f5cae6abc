#include "engine/interchange/csv.h"

#include <cstdint>

namespace tminus {
namespace {

// Length of the UTF-8 sequence at text[i], or 0 when it is not a valid one.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) return 0;
  return n;
}

bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Windows-1252 to UTF-8. Its 0x80-0x9F block differs from Latin-1; the five bytes it leaves
// undefined map to the C1 control of the same number, as Windows does.
std::string FromWindows1252(std::string_view text) {
  static const uint16_t kHigh[32] = {
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    AppendUtf8(c >= 0x80 && c < 0xA0 ? kHigh[c - 0x80] : c, &out);
  }
  return out;
}

char DetectDelimiter(std::string_view text) {
  const char kCandidates[] = {',', ';', '\t'};
  int counts[3] = {0, 0, 0};
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    for (int k = 0; k < 3; ++k) counts[k] += c == kCandidates[k];
  }
  int best = 0;
  for (int k = 1; k < 3; ++k) {
    if (counts[k] > counts[best]) best = k;
  }
  return kCandidates[best];
}

bool Blank(const CsvRow& row) {
  for (const std::string& f : row.fields) {
    if (f.find_first_not_of(" \t") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

namespace {

bool StartsFormula(const std::string& text, size_t at) {
  return text.size() > at && std::string_view("=+-@\t\r").find(text[at]) != std::string_view::npos;
}

}  // namespace

std::string SpreadsheetText(const std::string& text) {
  return StartsFormula(text, 0) ? "'" + text : text;
}

std::string FromSpreadsheetText(const std::string& text) {
  return !text.empty() && text[0] == '\'' && StartsFormula(text, 1) ? text.substr(1) : text;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::optional<CsvTable> ReadCsv(std::string_view bytes, Diagnostics* diagnostics) {
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') ||
                            (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
    diagnostics->Error({1, 1}, "the file is UTF-16 text (Excel's \"Unicode Text\"); save it as "
                               "\"CSV UTF-8\" instead");
    return std::nullopt;
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  std::string decoded;
  if (!IsUtf8(bytes)) {
    decoded = FromWindows1252(bytes);
    bytes = decoded;
    diagnostics->Warning({1, 1}, "the file is not UTF-8; it was read as Windows-1252 (Excel's "
                                 "plain \"CSV\"): save it as \"CSV UTF-8\" if letters look wrong");
  }

  CsvTable table;
  int line = 1;
  if (bytes.size() >= 5 && bytes.substr(0, 4) == "sep=" && bytes[4] != '\r' && bytes[4] != '\n') {
    table.delimiter = bytes[4];
    size_t end = bytes.find_first_of("\r\n");
    bytes.remove_prefix(end == std::string_view::npos ? bytes.size() : end);
    if (bytes.substr(0, 2) == "\r\n") {
      bytes.remove_prefix(2);
    } else if (!bytes.empty()) {
      bytes.remove_prefix(1);
    }
    line = 2;
  } else {
    table.delimiter = DetectDelimiter(bytes);
  }

  const char delim = table.delimiter;
  CsvRow row{line, {}};
  std::string field;
  size_t i = 0;
  auto end_row = [&]() {
    row.fields.push_back(std::move(field));
    field.clear();
    if (!Blank(row)) table.rows.push_back(std::move(row));
    row = CsvRow{line, {}};
  };
  // Consumes a line end at bytes[i] (CRLF, LF or CR) and counts it.
  auto line_end = [&]() {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
    ++i;
    ++line;
  };
  while (i < bytes.size()) {
    const char c = bytes[i];
    if (c == '"' && field.empty()) {
      const int opened = line;
      const int column = static_cast<int>(row.fields.size()) + 1;
      ++i;
      bool closed = false;
      while (i < bytes.size()) {
        if (bytes[i] == '"') {
          if (i + 1 < bytes.size() && bytes[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (bytes[i] == '\r' || bytes[i] == '\n') {
          field += '\n';
          line_end();
          continue;
        }
        field += bytes[i++];
      }
      if (!closed) {
        diagnostics->Error({opened, column}, "a quoted field opened here is never closed");
        return std::nullopt;
      }
      while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t') && bytes[i] != delim) ++i;
      if (i < bytes.size() && bytes[i] != delim && bytes[i] != '\r' && bytes[i] != '\n') {
        diagnostics->Error({line, column}, "text after the closing quote of a field; a quote inside "
                                           "a quoted field is written twice (\"\")");
        return std::nullopt;
      }
      if (i < bytes.size() && bytes[i] == delim) {
        row.fields.push_back(std::move(field));
        field.clear();
        ++i;
      }
      continue;
    }
    if (c == delim) {
      row.fields.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\r' || c == '\n') {
      line_end();
      end_row();
    } else {
      field += c;
      ++i;
    }
  }
  if (!field.empty() || !row.fields.empty()) end_row();
  return table;
}

}  // namespace tminus
