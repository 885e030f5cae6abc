// A report as format-neutral parts (headings, paragraphs, key-value lists, tables, a
// chart), rendered to a self-contained HTML page or to Markdown. The report and the
// comparison both build documents; only the renderers know the formats.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/gantt_svg.h"

namespace tminus::report {

struct Cell {
  std::string text;
  std::string css;  // HTML class ("" none): state colours, numbers, emphasis
};

// A cell of text, and a cell of a number (aligned right), with more classes when given.
inline Cell Text(std::string text, std::string css = "") { return Cell{std::move(text), std::move(css)}; }
inline Cell Num(std::string text, std::string css = "num") { return Cell{std::move(text), std::move(css)}; }

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
  std::string empty;  // said instead of the table when there are no rows
};

struct Block {
  enum class Kind { kHeading, kParagraph, kFacts, kTable, kChart, kBanner };
  Kind kind = Kind::kParagraph;
  std::string text;  // heading, paragraph or banner text
  std::string css;   // banner: "bad" or "good"
  std::vector<std::pair<std::string, Cell>> facts;
  Table table;
  GanttChart chart;
  std::string chart_fallback;  // Markdown has no SVG: a sentence pointing to the table
};

struct Document {
  std::string title;
  std::string subtitle;
  std::vector<Block> blocks;

  void Heading(std::string text);
  void Paragraph(std::string text);
  void Banner(std::string text, std::string css);
  void Facts(std::vector<std::pair<std::string, Cell>> facts);
  void AddTable(Table table);
  void Chart(GanttChart chart, std::string fallback);
};

// A complete HTML page: inline stylesheet, no scripts, nothing fetched; prints to PDF.
std::string RenderHtml(const Document& doc);
std::string RenderMarkdown(const Document& doc);

}  // namespace tminus::report
