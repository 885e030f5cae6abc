#include "tools/cli/terminal.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tminus::cli {
namespace {

// Display width of UTF-8 text (code points; runbook text is mostly ASCII).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

}  // namespace

Style StyleFor(int fd) {
  Style style;
  const char* term = std::getenv("TERM");
  style.color = isatty(fd) && std::getenv("NO_COLOR") == nullptr &&
                !(term != nullptr && std::strcmp(term, "dumb") == 0);
  return style;
}

void Table::Print(std::ostream& out, const Style& style) const {
  std::vector<size_t> widths(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) widths[i] = Width(header_[i]);
  for (const Row& row : rows_) {
    for (size_t i = 0; i < row.cells.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row.cells[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - Width(cells[i]) + 2, ' ');
    }
    return text;
  };
  out << style.Dim(line(header_)) << "\n";
  for (const Row& row : rows_) {
    const std::string text = line(row.cells);
    out << (row.highlight ? style.Bold(text) : text) << "\n";
  }
}

}  // namespace tminus::cli
