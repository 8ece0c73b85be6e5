#include "search/report_charts.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "search/report_html.h"

namespace nas::search {

Axis Axis::fit(double min, double max) {
  if (!(max > min)) {
    const double pad = min == 0 ? 1 : std::abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const double pad = (max - min) * 0.05;
  Axis a;
  const double raw = (max - min + 2 * pad) / 6;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double ratio = raw / power;
  a.step = power * (ratio < 1.5 ? 1 : ratio < 3.5 ? 2 : ratio < 7.5 ? 5 : 10);
  a.lo = std::floor((min - pad) / a.step) * a.step;
  if (min >= 0 && a.lo < 0) a.lo = 0;  // latencies, counts and accuracies are never negative
  a.hi = std::ceil((max + pad) / a.step) * a.step;
  a.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(a.step) + 1e-9)));
  return a;
}

std::vector<double> Axis::ticks() const {
  std::vector<double> t;
  const int64_t n = std::llround((hi - lo) / step);
  for (int64_t i = 0; i <= n; ++i) t.push_back(lo + static_cast<double>(i) * step);
  return t;
}

std::string Axis::label(double v) const {
  if (std::abs(v) < step * 1e-9) v = 0;  // no "-0.0" from rounding
  return fmt::format("{:.{}f}", v, decimals);
}

std::string svg_coord(double v) { return fmt::format("{:.2f}", v); }

std::string svg_chart(const ChartSpec& spec) {
  constexpr double left = 70, right = 20, top = 15, bottom = 45;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const ChartSeries& s : spec.series)
    for (const ChartPoint& p : s.points) {
      xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
    }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  const Axis ax = Axis::fit(xmin, xmax), ay = Axis::fit(ymin, ymax);
  const double x0 = left, x1 = spec.width - right, y0 = spec.height - bottom, y1 = top;
  const auto px = [&](double v) { return x0 + (v - ax.lo) / (ax.hi - ax.lo) * (x1 - x0); };
  const auto py = [&](double v) { return y0 - (v - ay.lo) / (ay.hi - ay.lo) * (y0 - y1); };

  std::string svg = fmt::format(
      "<svg class=\"chart\" id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"{}\">\n<g class=\"axis\">\n",
      html_escape(spec.id), spec.width, spec.height, spec.width, spec.height,
      html_escape(spec.y_label + " against " + spec.x_label));
  for (double t : ax.ticks())
    svg += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                       "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                       svg_coord(px(t)), svg_coord(y1), svg_coord(y0), svg_coord(y0 + 16),
                       ax.label(t));
  for (double t : ay.ticks())
    svg += fmt::format("<line class=\"grid\" x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\"/>"
                       "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
                       svg_coord(py(t)), svg_coord(x0), svg_coord(x1), svg_coord(x0 - 6),
                       svg_coord(py(t) + 4), ay.label(t));
  svg += fmt::format("<path d=\"M{0} {1} H{2} M{0} {1} V{3}\"/>\n</g>\n", svg_coord(x0),
                     svg_coord(y0), svg_coord(x1), svg_coord(y1));
  svg += fmt::format(
      "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
      svg_coord((x0 + x1) / 2), svg_coord(spec.height - 8), html_escape(spec.x_label));
  svg += fmt::format("<text class=\"axis-label\" transform=\"translate(16 {}) rotate(-90)\" "
                     "text-anchor=\"middle\">{}</text>\n",
                     svg_coord((y0 + y1) / 2), html_escape(spec.y_label));
  for (const ChartSeries& s : spec.series) {
    svg += "<g class=\"" + html_escape(s.css_class) + "\">\n";
    if (s.line && s.points.size() > 1) {
      std::string d;
      for (const ChartPoint& p : s.points)
        d += fmt::format("{}{} {}", d.empty() ? "M" : " L", svg_coord(px(p.x)), svg_coord(py(p.y)));
      svg += "<path class=\"series-line\" d=\"" + d + "\"/>\n";
    }
    if (s.dots)
      for (const ChartPoint& p : s.points) {
        svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\">", svg_coord(px(p.x)),
                           svg_coord(py(p.y)));
        if (!p.title.empty()) svg += "<title>" + html_escape(p.title) + "</title>";
        svg += "</circle>\n";
      }
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}

std::optional<double> kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  double concordant = 0, discordant = 0, ties_a = 0, ties_b = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double da = a[i] - a[j], db = b[i] - b[j];
      if (da == 0 && db == 0) continue;
      if (da == 0) ++ties_a;
      else if (db == 0) ++ties_b;
      else if ((da > 0) == (db > 0)) ++concordant;
      else ++discordant;
    }
  const double pairs_a = concordant + discordant + ties_b;  // pairs untied in a
  const double pairs_b = concordant + discordant + ties_a;
  if (pairs_a == 0 || pairs_b == 0) return std::nullopt;
  return (concordant - discordant) / std::sqrt(pairs_a * pairs_b);
}

double explained_variance(const std::vector<int>& group, const std::vector<double>& values) {
  const size_t n = std::min(group.size(), values.size());
  if (n == 0) return 0;
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += values[i];
  mean /= static_cast<double>(n);
  std::map<int, std::pair<double, int>> sums;  // group -> (sum, count)
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    total += (values[i] - mean) * (values[i] - mean);
    sums[group[i]].first += values[i];
    sums[group[i]].second += 1;
  }
  if (total <= 0) return 0;
  double between = 0;
  for (const auto& [g, s] : sums) {
    const double m = s.first / s.second;
    between += s.second * (m - mean) * (m - mean);
  }
  return between / total;
}

}  // namespace nas::search
