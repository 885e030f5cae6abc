#include "report/gantt_svg.h"

#include <algorithm>
#include <cstdio>

#include "report/report_text.h"

namespace tminus::report {
namespace {

constexpr double kWidth = 1100;
constexpr double kLabelWidth = 230;
constexpr double kRight = 16;
constexpr double kAxisHeight = 26;
constexpr double kLaneHeight = 9;
constexpr double kRowPad = 4;
constexpr double kHeadingHeight = 20;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A tick interval that gives about eight to fourteen ticks over `span_ms`.
int64_t TickInterval(int64_t span_ms) {
  static const int64_t kSteps[] = {1,   2,   5,   10,  15,   30,   60,   120,   300,  600,
                                   900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800};
  for (int64_t s : kSteps) {
    if (span_ms / (s * 1000) <= 14) return s * 1000;
  }
  return 604800000;
}

std::string Truncated(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n - 1) + "\u2026";
}

}  // namespace

std::string RenderGantt(const GanttChart& chart) {
  int64_t lo = 0, hi = 0;
  bool any = false;
  auto widen = [&](Offset t) {
    if (!any) lo = hi = t.count();
    lo = std::min(lo, t.count());
    hi = std::max(hi, t.count());
    any = true;
  };
  for (const GanttRow& row : chart.rows) {
    for (const GanttBar& bar : row.bars) {
      widen(bar.start);
      widen(bar.end);
    }
  }
  for (const GanttMarker& m : chart.markers) widen(m.at);
  if (!any || hi == lo) hi = lo + 60000;
  const int64_t interval = TickInterval(hi - lo);
  // Whole ticks at both ends.
  int64_t first = lo - (((lo % interval) + interval) % interval);
  int64_t last = hi + (interval - (((hi % interval) + interval) % interval)) % interval;
  if (last == first) last = first + interval;
  const double plot = kWidth - kLabelWidth - kRight;
  auto x = [&](int64_t t) { return kLabelWidth + plot * double(t - first) / double(last - first); };

  const double row_height = chart.lanes * kLaneHeight + 2 * kRowPad;
  double height = kAxisHeight;
  for (const GanttRow& row : chart.rows) height += row.heading ? kHeadingHeight : row_height;
  const double plot_bottom = height;
  const double legend_y = height + 8;
  if (!chart.legend.empty()) height += 26;
  height += 6;

  std::string svg = "<svg class=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    Num(kWidth) + " " + Num(height) + "\" role=\"img\" aria-label=\"" +
                    Escape(chart.caption) + "\">\n";
  // Axis: grid lines and labels.
  for (int64_t t = first; t <= last; t += interval) {
    const double tx = x(t);
    svg += "<line class=\"grid\" x1=\"" + Num(tx) + "\" y1=\"" + Num(kAxisHeight - 4) + "\" x2=\"" +
           Num(tx) + "\" y2=\"" + Num(plot_bottom) + "\"/>\n";
    const std::string label = chart.tick_label ? chart.tick_label(Offset(t)) : std::to_string(t);
    svg += "<text class=\"tick\" x=\"" + Num(tx) + "\" y=\"14\" text-anchor=\"middle\">" +
           Escape(label) + "</text>\n";
  }
  double y = kAxisHeight;
  for (const GanttRow& row : chart.rows) {
    if (row.heading) {
      svg += "<rect class=\"stream\" x=\"0\" y=\"" + Num(y) + "\" width=\"" + Num(kWidth) +
             "\" height=\"" + Num(kHeadingHeight) + "\"/>\n";
      svg += "<text class=\"stream-name\" x=\"6\" y=\"" + Num(y + 14) + "\">" +
             Escape(Truncated(row.label, 60)) + "</text>\n";
      y += kHeadingHeight;
      continue;
    }
    svg += "<g class=\"row\"><title>" + Escape(row.tip.empty() ? row.label : row.tip) + "</title>";
    svg += "<text class=\"label" + std::string(row.critical ? " crit-label" : "") + "\" x=\"" +
           Num(kLabelWidth - 6) + "\" y=\"" + Num(y + row_height / 2 + 4) +
           "\" text-anchor=\"end\">" + Escape(Truncated(row.label, 34)) + "</text>";
    for (const GanttBar& bar : row.bars) {
      const double by = y + kRowPad + bar.lane * kLaneHeight + 1;
      const double bx = x(bar.start.count());
      const double bw = x(bar.end.count()) - bx;
      if (bw < 1.5) {  // zero length: a diamond
        const double cy = by + (kLaneHeight - 2) / 2;
        const double r = (kLaneHeight - 1) / 2;
        svg += "<path class=\"" + bar.css + " milestone\" d=\"M" + Num(bx) + " " + Num(cy - r) + " L" +
               Num(bx + r) + " " + Num(cy) + " L" + Num(bx) + " " + Num(cy + r) + " L" + Num(bx - r) +
               " " + Num(cy) + " Z\">";
      } else {
        svg += "<rect class=\"" + bar.css + (bar.open_end ? " open" : "") + "\" x=\"" + Num(bx) +
               "\" y=\"" + Num(by) + "\" width=\"" + Num(bw) + "\" height=\"" +
               Num(kLaneHeight - 2) + "\" rx=\"1.5\">";
      }
      if (!bar.tip.empty()) svg += "<title>" + Escape(bar.tip) + "</title>";
      svg += bw < 1.5 ? "</path>" : "</rect>";
    }
    svg += "</g>\n";
    y += row_height;
  }
  for (const GanttMarker& m : chart.markers) {
    const double mx = x(m.at.count());
    svg += "<line class=\"marker " + m.css + "\" x1=\"" + Num(mx) + "\" y1=\"" + Num(kAxisHeight - 6) +
           "\" x2=\"" + Num(mx) + "\" y2=\"" + Num(plot_bottom) + "\"><title>" + Escape(m.label) +
           "</title></line>\n";
    // Near the right edge the label goes to the left of its line.
    const bool left = mx > kWidth - kRight - 90;
    svg += "<text class=\"marker-label " + m.css + "\" x=\"" + Num(left ? mx - 3 : mx + 3) + "\" y=\"" +
           Num(kAxisHeight - 1) + "\"" + (left ? " text-anchor=\"end\"" : "") + ">" + Escape(m.label) +
           "</text>\n";
  }
  double lx = kLabelWidth;
  for (const auto& [css, label] : chart.legend) {
    svg += "<rect class=\"" + css + "\" x=\"" + Num(lx) + "\" y=\"" + Num(legend_y) +
           "\" width=\"16\" height=\"8\" rx=\"1.5\"/><text class=\"tick\" x=\"" + Num(lx + 20) +
           "\" y=\"" + Num(legend_y + 8) + "\">" + Escape(label) + "</text>\n";
    lx += 34 + 6.2 * static_cast<double>(label.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace tminus::report
