#include "watch/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace s3m::watch {

namespace {

constexpr double kWidth = 760, kHeight = 240;
constexpr double kLeft = 64, kRight = 16, kTop = 28, kBottom = 48;

// A round upper bound for the y axis: 1, 2 or 5 times a power of ten.
double NiceCeiling(double value) {
  if (value <= 0) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

std::string FormatTick(double value) {
  if (value >= 1e9) return fmt::format("{:.3g}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.3g}M", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.3g}k", value / 1e3);
  return fmt::format("{:.3g}", value);
}

std::string ClockLabel(double epoch_seconds, bool with_date) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, with_date ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
  return text;
}

}  // namespace

std::string EscapeXml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderSvgChart(const Chart& chart) {
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" class=\"chart\" "
      "role=\"img\" aria-label=\"{}\"><title>{}</title>",
      kWidth, kHeight, EscapeXml(chart.title), EscapeXml(chart.title));
  svg += fmt::format("<text x=\"{}\" y=\"18\" class=\"chart-title\">{} ({})</text>", kLeft,
                     EscapeXml(chart.title), EscapeXml(chart.y_unit));
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  if (chart.x.size() < 2 || chart.x.back() <= chart.x.front()) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"chart-empty\">no samples yet</text></svg>",
                       kLeft + 8, kTop + plot_h / 2);
    return svg;
  }
  double y_max = 0;
  for (const auto& s : chart.series) {
    for (double v : s.values) y_max = std::max(y_max, v);
  }
  y_max = NiceCeiling(y_max);
  const double x0 = chart.x.front(), x1 = chart.x.back();
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - std::clamp(y / y_max, 0.0, 1.0) * plot_h; };

  for (int i = 0; i <= 4; ++i) {  // horizontal grid and y ticks
    const double v = y_max * i / 4, y = py(v);
    svg += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>", kLeft,
                       y, kWidth - kRight, y);
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                       kLeft - 6, y + 4, FormatTick(v));
  }
  const bool with_date = x1 - x0 > 86400;
  for (int i = 0; i <= 4; ++i) {  // x ticks
    const double x = x0 + (x1 - x0) * i / 4;
    // The outer labels align with the plot's edges, so none is cut off.
    const char* anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";
    svg += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
                       px(x), kTop + plot_h + 16, anchor, ClockLabel(x, with_date));
  }
  double legend_x = kLeft;
  for (const auto& s : chart.series) {
    std::string points;
    const size_t n = std::min(s.values.size(), chart.x.size());
    for (size_t i = 0; i < n; ++i) {
      points += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", px(chart.x[i]), py(s.values[i]));
    }
    svg += fmt::format(
        "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\" points=\"{}\"/>",
        EscapeXml(s.name), EscapeXml(s.colour), points);
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>", legend_x,
                       kHeight - 18, EscapeXml(s.colour));
    svg += fmt::format("<text class=\"legend\" x=\"{:.1f}\" y=\"{}\">{}</text>", legend_x + 14,
                       kHeight - 9, EscapeXml(s.name));
    legend_x += 22 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>";
  return svg;
}

}  // namespace s3m::watch
