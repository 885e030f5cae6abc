#include "report/document.h"

#include <utility>

#include "report/report_text.h"

namespace tminus::report {
namespace {

constexpr char kStyle[] = R"css(
:root { --ok:#2e7d32; --bad:#c62828; --warn:#ef6c00; --muted:#6b7280; --line:#d1d5db; }
* { box-sizing: border-box; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #111827; margin: 24px auto; max-width: 1160px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 2px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
h2 { font-size: 16px; margin: 26px 0 8px; padding-bottom: 3px; border-bottom: 2px solid #111827; }
p { margin: 6px 0; }
.banner { padding: 8px 12px; border-radius: 4px; font-weight: 600; margin: 10px 0; }
.banner.bad { background: #fdecea; color: var(--bad); border: 1px solid var(--bad); }
.banner.good { background: #e8f5e9; color: var(--ok); border: 1px solid var(--ok); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 3px 7px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
table.facts th { width: 210px; background: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
td.ok, .ok { color: var(--ok); font-weight: 600; }
td.bad, .bad { color: var(--bad); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
td.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
svg.gantt { width: 100%; height: auto; display: block; margin: 8px 0; }
.gantt .grid { stroke: #e5e7eb; stroke-width: 1; }
.gantt .tick { font-size: 10px; fill: var(--muted); }
.gantt .stream { fill: #f3f4f6; }
.gantt .stream-name { font-size: 11px; font-weight: 700; fill: #374151; }
.gantt .label { font-size: 11px; fill: #111827; }
.gantt .crit-label { font-weight: 700; }
.gantt .plan { fill: #cbd5e1; }
.gantt .plan.crit { fill: #fca5a5; stroke: var(--bad); stroke-width: 1; }
.gantt .st-succeeded { fill: var(--ok); }
.gantt .st-failed, .gantt .st-rollback_failed { fill: var(--bad); }
.gantt .st-skipped, .gantt .st-cancelled { fill: #9ca3af; }
.gantt .st-rolled_back { fill: #7c3aed; }
.gantt .st-running, .gantt .st-awaiting_signoff, .gantt .st-waiting { fill: #2563eb; }
.gantt .st-unknown { fill: #d97706; }
.gantt .rollback { fill: #7c3aed; opacity: 0.55; }
.gantt .run-a { fill: #64748b; }
.gantt .run-b { fill: #2563eb; }
.gantt .actual-crit { stroke: #111827; stroke-width: 1.6; }
.gantt .open { stroke-dasharray: 3 2; stroke: #111827; }
.gantt .marker { stroke-width: 1.2; stroke-dasharray: 4 3; }
.gantt .marker.t0 { stroke: #111827; }
.gantt .marker.window { stroke: var(--bad); }
.gantt .marker.end { stroke: #2563eb; }
.gantt .marker-label { font-size: 10px; fill: #374151; }
.legend { color: var(--muted); font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 14px; height: 8px; margin-right: 4px; vertical-align: middle; border-radius: 1px; }
footer { margin-top: 28px; color: var(--muted); font-size: 11px; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  tr, svg.gantt, .banner { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { size: A4 landscape; margin: 12mm; }
}
)css";

std::string MarkdownCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out.empty() ? " " : out;
}

void HtmlTable(const Table& table, const std::string& css, std::string* out) {
  if (table.rows.empty()) {
    *out += "<p class=\"empty\">" + Escape(table.empty) + "</p>\n";
    return;
  }
  *out += "<table" + (css.empty() ? std::string() : " class=\"" + css + "\"") + "><thead><tr>";
  for (size_t c = 0; c < table.header.size(); ++c) {
    // A column of numbers is aligned right, its heading with it.
    const std::string& css = c < table.rows.front().size() ? table.rows.front()[c].css : "";
    const bool number = css.compare(0, 3, "num") == 0;
    *out += (number ? "<th class=\"num\">" : "<th>") + Escape(table.header[c]) + "</th>";
  }
  *out += "</tr></thead><tbody>\n";
  for (const auto& row : table.rows) {
    *out += "<tr>";
    for (const Cell& cell : row) {
      *out += cell.css.empty() ? "<td>" : "<td class=\"" + cell.css + "\">";
      *out += Escape(cell.text) + "</td>";
    }
    *out += "</tr>\n";
  }
  *out += "</tbody></table>\n";
}

void MarkdownTable(const Table& table, std::string* out) {
  if (table.rows.empty()) {
    *out += "_" + table.empty + "_\n\n";
    return;
  }
  *out += "|";
  for (const std::string& h : table.header) *out += " " + MarkdownCell(h) + " |";
  *out += "\n|";
  for (size_t i = 0; i < table.header.size(); ++i) *out += " --- |";
  *out += "\n";
  for (const auto& row : table.rows) {
    *out += "|";
    for (const Cell& cell : row) *out += " " + MarkdownCell(cell.text) + " |";
    *out += "\n";
  }
  *out += "\n";
}

}  // namespace

void Document::Heading(std::string text) {
  Block b;
  b.kind = Block::Kind::kHeading;
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}

void Document::Paragraph(std::string text) {
  Block b;
  b.kind = Block::Kind::kParagraph;
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}

void Document::Banner(std::string text, std::string css) {
  Block b;
  b.kind = Block::Kind::kBanner;
  b.text = std::move(text);
  b.css = std::move(css);
  blocks.push_back(std::move(b));
}

void Document::Facts(std::vector<std::pair<std::string, Cell>> facts) {
  Block b;
  b.kind = Block::Kind::kFacts;
  b.facts = std::move(facts);
  blocks.push_back(std::move(b));
}

void Document::AddTable(Table table) {
  Block b;
  b.kind = Block::Kind::kTable;
  b.table = std::move(table);
  blocks.push_back(std::move(b));
}

void Document::Chart(GanttChart chart, std::string fallback) {
  Block b;
  b.kind = Block::Kind::kChart;
  b.chart = std::move(chart);
  b.chart_fallback = std::move(fallback);
  blocks.push_back(std::move(b));
}

std::string RenderHtml(const Document& doc) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n<title>" +
      Escape(doc.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>" + Escape(doc.title) + "</h1>\n";
  if (!doc.subtitle.empty()) out += "<p class=\"subtitle\">" + Escape(doc.subtitle) + "</p>\n";
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out += "<h2>" + Escape(b.text) + "</h2>\n";
        break;
      case Block::Kind::kParagraph:
        out += "<p>" + Escape(b.text) + "</p>\n";
        break;
      case Block::Kind::kBanner:
        out += "<div class=\"banner " + b.css + "\">" + Escape(b.text) + "</div>\n";
        break;
      case Block::Kind::kFacts: {
        out += "<table class=\"facts\"><tbody>\n";
        for (const auto& [key, cell] : b.facts) {
          out += "<tr><th>" + Escape(key) + "</th>";
          out += cell.css.empty() ? "<td>" : "<td class=\"" + cell.css + "\">";
          out += Escape(cell.text) + "</td></tr>\n";
        }
        out += "</tbody></table>\n";
        break;
      }
      case Block::Kind::kTable:
        HtmlTable(b.table, "", &out);
        break;
      case Block::Kind::kChart:
        out += RenderGantt(b.chart);
        break;
    }
  }
  out += "<footer>Written by tminus from the run's journal.</footer>\n</body>\n</html>\n";
  return out;
}

std::string RenderMarkdown(const Document& doc) {
  std::string out = "# " + MarkdownCell(doc.title) + "\n\n";
  if (!doc.subtitle.empty()) out += doc.subtitle + "\n\n";
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out += "## " + b.text + "\n\n";
        break;
      case Block::Kind::kParagraph:
        out += b.text + "\n\n";
        break;
      case Block::Kind::kBanner:
        out += "> **" + b.text + "**\n\n";
        break;
      case Block::Kind::kFacts: {
        Table t;
        t.header = {"", ""};
        for (const auto& [key, cell] : b.facts) t.rows.push_back({Cell{"**" + key + "**", ""}, cell});
        MarkdownTable(t, &out);
        break;
      }
      case Block::Kind::kTable:
        MarkdownTable(b.table, &out);
        break;
      case Block::Kind::kChart:
        if (!b.chart_fallback.empty()) out += "_" + b.chart_fallback + "_\n\n";
        break;
    }
  }
  out += "---\nWritten by tminus from the run's journal.\n";
  return out;
}

}  // namespace tminus::report
