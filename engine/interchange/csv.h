// CSV as spreadsheets write it (RFC 4180): one field quoted when it needs to be, and a
// reader for what Excel, LibreOffice, MS Project and Smartsheet export.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/diagnostic.h"

namespace tminus {

// `text` with each byte that is not part of a UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

// One CSV field, quoted per RFC 4180 when it holds a comma, a quote, CR or LF.
std::string CsvField(const std::string& text);

// Text for a spreadsheet cell that a spreadsheet will not run as a formula: a value that
// starts with '=', '+', '-', '@', a tab or a carriage return gets a leading apostrophe.
std::string SpreadsheetText(const std::string& text);
// The cell's text as written: one leading apostrophe before any of those characters is
// taken off (SpreadsheetText's, or a person's who typed it for the same reason).
std::string FromSpreadsheetText(const std::string& text);

struct CsvRow {
  int line = 0;  // the file's line where the row starts (1-based)
  std::vector<std::string> fields;
};

struct CsvTable {
  char delimiter = ',';
  std::vector<CsvRow> rows;  // the header first; rows with nothing in them are left out
};

// Reads a whole CSV file. Takes a UTF-8 byte order mark, CRLF, LF or CR line ends, quoted
// fields with delimiters, quotes ("") and line breaks in them, and an Excel "sep=X" first
// line. The delimiter is the one of ',', ';' and tab found most often in the first row
// outside quotes. Text that is not UTF-8 is read as Windows-1252 (what Excel's plain "CSV"
// writes), with a warning. Problems are reported at their line; column is the field's
// 1-based position. Returns nothing when the file cannot be read as CSV at all.
std::optional<CsvTable> ReadCsv(std::string_view bytes, Diagnostics* diagnostics);

}  // namespace tminus
