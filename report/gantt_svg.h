// A Gantt chart as inline SVG: rows of bars on a shared time axis, grouped under stream
// headings. Each row has lanes (planned and actual, or run A and run B), drawn one above
// the other. Colours come from CSS classes, so the page's stylesheet (and its print rules)
// decide them.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/history/run_history.h"

namespace tminus::report {

struct GanttBar {
  int lane = 0;
  Offset start{0};
  Offset end{0};
  std::string css;   // class names for the bar
  std::string tip;   // shown on hover (an SVG <title>)
  bool open_end = false;  // still going when the record stops: drawn with a ragged end
};

struct GanttRow {
  std::string label;   // left column
  std::string tip;
  bool heading = false;  // a stream's name
  bool critical = false;  // label marked as on the critical path
  std::vector<GanttBar> bars;

  static GanttRow Heading(std::string stream) {
    GanttRow row;
    row.heading = true;
    row.label = std::move(stream);
    return row;
  }
};

struct GanttMarker {
  Offset at{0};
  std::string label;
  std::string css;
};

struct GanttChart {
  std::string caption;  // for screen readers
  int lanes = 2;
  std::vector<GanttRow> rows;
  std::vector<GanttMarker> markers;
  std::function<std::string(Offset)> tick_label;  // axis labels
  std::vector<std::pair<std::string, std::string>> legend;  // bar classes and what they mean
};

std::string RenderGantt(const GanttChart& chart);

}  // namespace tminus::report
