// Small SVG charts and the statistics report.html draws them from: axes with "nice" ticks,
// dots with hover titles and lines; Kendall's tau; the share of a metric's variance that a
// decision of the space explains. The same input gives the same bytes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nas::search {

// A linear axis over [lo, hi] with ticks at 1, 2 or 5 times a power of ten.
struct Axis {
  double lo = 0, hi = 1;
  double step = 0.2;
  int decimals = 1;

  static Axis fit(double min, double max);
  std::vector<double> ticks() const;
  std::string label(double v) const;
};

// Coordinates in SVG text: two decimals.
std::string svg_coord(double v);

struct ChartPoint {
  double x = 0, y = 0;
  std::string title;  // shown on hover; empty: none
};

struct ChartSeries {
  std::string css_class;  // of the series' <g>, e.g. "front"
  std::vector<ChartPoint> points;
  bool line = false;      // joined in the given order
  bool dots = true;
};

struct ChartSpec {
  std::string id;  // the <svg>'s id
  std::string x_label, y_label;
  std::vector<ChartSeries> series;
  double width = 560, height = 300;
};

// An <svg class="chart"> with the axes fitted to every series' points.
std::string svg_chart(const ChartSpec& spec);

// Kendall's tau-b of paired samples; nullopt when fewer than two pairs or either sample is
// constant.
std::optional<double> kendall_tau(const std::vector<double>& a, const std::vector<double>& b);

// The share of the variance of `values` that the means of the groups explain (the
// correlation ratio eta squared, a decision's main effect in a functional ANOVA):
// sum over groups of n_g (mean_g - mean)^2 over sum of (v - mean)^2; 0 when values do not
// vary. `group[i]` is value i's group.
double explained_variance(const std::vector<int>& group, const std::vector<double>& values);

}  // namespace nas::search
