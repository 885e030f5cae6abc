// Human output helpers: colour only on a terminal, aligned tables.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tminus::cli {

struct Style {
  bool color = false;

  std::string Bold(const std::string& s) const { return Wrap("1", s); }
  std::string Red(const std::string& s) const { return Wrap("1;31", s); }
  std::string Yellow(const std::string& s) const { return Wrap("1;33", s); }
  std::string Green(const std::string& s) const { return Wrap("32", s); }
  std::string Dim(const std::string& s) const { return Wrap("2", s); }

 private:
  std::string Wrap(const char* code, const std::string& s) const {
    return color ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
};

// Colour when `fd` is a terminal and NO_COLOR is unset and TERM is not "dumb".
Style StyleFor(int fd);

// A table whose columns are padded to their widest cell. Cells are plain text; a row may
// carry a style applied after padding.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row, bool highlight = false) {
    rows_.push_back({std::move(row), highlight});
  }
  void Print(std::ostream& out, const Style& style) const;

 private:
  struct Row {
    std::vector<std::string> cells;
    bool highlight;
  };
  std::vector<std::string> header_;
  std::vector<Row> rows_;
};

}  // namespace tminus::cli
