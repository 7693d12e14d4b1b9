// Line charts as inline SVG: the live page and the report draw the same
// charts from the same code (no script, no external asset).
//
//   <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 240" class="chart" role="img">
//     <title>Throughput</title> ... axes, grid, tick labels ...
//     <polyline class="series" data-series="MB/s" points="60,200 ..."/> ... legend ...
//   </svg>
#pragma once

#include <string>
#include <vector>

namespace s3m::watch {

struct ChartSeries {
  std::string name;    // legend text
  std::string colour;  // CSS colour
  std::vector<double> values;  // one per x; the chart's x values
};

struct Chart {
  std::string title;
  std::string y_unit;                // "MB/s", "objects", "GB"
  std::vector<double> x;             // seconds since the epoch, ascending
  std::vector<ChartSeries> series;   // each as long as x
};

// The chart as one <svg> element. With fewer than two points it says "no
// samples yet" instead of drawing lines. Text is escaped.
std::string RenderSvgChart(const Chart& chart);

// "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" for the five special characters.
std::string EscapeXml(const std::string& text);

}  // namespace s3m::watch
