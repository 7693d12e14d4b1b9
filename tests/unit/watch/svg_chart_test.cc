#include "watch/svg_chart.h"

#include <gtest/gtest.h>

namespace s3m::watch {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgChartTest, OnePolylinePerSeriesWithOnePointPerSample) {
  Chart chart{"Objects", "objects", {1000, 1010, 1020}, {{"deleted", "#2ca02c", {0, 5, 10}}, {"error", "#d62728", {0, 0, 1}}}};
  const std::string svg = RenderSvgChart(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  // The first point sits on the left edge at zero, the last on the right edge.
  EXPECT_NE(svg.find("data-series=\"deleted\" fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\" "
                     "points=\"64.0,192.0 404.0,110.0 744.0,28.0\""),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(SvgChartTest, FewerThanTwoSamplesSayNoSamples) {
  Chart chart{"Throughput", "MB/s", {1000}, {{"received", "#000", {3}}}};
  const std::string svg = RenderSvgChart(chart);
  EXPECT_NE(svg.find("no samples yet"), std::string::npos);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
}

TEST(SvgChartTest, TextIsEscaped) {
  Chart chart{"<script>&\"'", "u", {1, 2}, {{"a<b", "red\"", {1, 2}}}};
  const std::string svg = RenderSvgChart(chart);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;&amp;&quot;&#39;"), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"a&lt;b\""), std::string::npos);
  EXPECT_NE(svg.find("stroke=\"red&quot;\""), std::string::npos);
}

TEST(SvgChartTest, TheYAxisEndsOnARoundNumber) {
  Chart chart{"T", "MB/s", {0, 10}, {{"r", "#000", {0, 730}}}};
  const std::string svg = RenderSvgChart(chart);
  EXPECT_NE(svg.find(">1k<"), std::string::npos) << svg;  // 730 -> 1000
  EXPECT_NE(svg.find(">250<"), std::string::npos);
}

}  // namespace
}  // namespace s3m::watch
