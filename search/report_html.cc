#include "search/report_html.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <ctime>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "search/report.h"
#include "search/report_charts.h"

namespace nas::search {

namespace fs = std::filesystem;

namespace {

constexpr auto& coord = svg_coord;

// Plot geometry, in SVG user units.
constexpr double kWidth = 800, kHeight = 500;
constexpr double kLeft = 80, kRight = 30, kTop = 30, kBottom = 60;

// A latency's column for the default schedules' time where the search tuned (results.csv's
// untuned_latency:T): shown beside latency:T, not a metric objectives can name.
constexpr std::string_view kUntuned = "untuned_latency:";

std::string unit_of(const std::string& metric) {
  if (metric.rfind("latency:", 0) == 0 || metric.starts_with(kUntuned) || metric == "step_ms")
    return "ms";
  if (metric == "peak_memory" || metric == "model_bytes") return "bytes";
  if (metric == "training_seconds") return "s";
  return "";
}

std::string metric_label(const std::string& metric) {
  const std::string unit = unit_of(metric);
  return unit.empty() ? metric : metric + " (" + unit + ")";
}

// Numbers in text: counts in full, others to six significant digits, the same on every
// platform.
std::string show(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}
struct Point {
  size_t record = 0;
  double x = 0, y = 0;
};

class ReportWriter {
 public:
  ReportWriter(const std::vector<TrialRecord>& records, const space::SearchSpace& space,
               const std::vector<ObjectiveSpec>& objectives,
               const std::vector<ConstraintSpec>& constraints, const nlohmann::json* winners)
      : records_(records),
        space_(space),
        objectives_(objectives),
        constraints_(constraints),
        winners_(winners),
        standings_(rank_trials(records, space, objectives, constraints)),
        axes_(choose_plot_axes(objectives, constraints)) {
    for (size_t i = 0; i < records.size(); ++i)
      if (standings_[i].trained)
        points_.push_back({i, metric_value(records[i].result, axes_.x),
                           metric_value(records[i].result, axes_.y)});
  }

  std::string page() const {
    std::string html;
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<title>" + html_escape("nas report: " + space_.name()) + "</title>\n";
    html += kStyle;
    html += "</head>\n<body>\n";
    html += "<h1>" + html_escape("Search results: " + space_.name()) + "</h1>\n";
    html += summary();
    html += plot();
    html += "<pre id=\"details\">Hover over a point for its architecture and metrics.</pre>\n";
    html += front_table();
    html += winners_table();
    html += progress_section();
    html += batch_section();
    html += flops_section();
    html += importance_section();
    html += failure_table();
    html += kScript;
    html += "</body>\n</html>\n";
    return html;
  }

 private:
  static constexpr const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
svg.plot { border: 1px solid #ccc; background: #fff; }
.axis line, .axis path { stroke: #444; }
.axis text { font-size: 12px; fill: #333; }
.axis line.grid { stroke: #eee; }
.axis-label { font-size: 13px; fill: #222; }
circle.candidate { stroke-width: 1.5; }
circle.feasible { fill: #6b9bd1; stroke: #2f5f96; fill-opacity: 0.75; }
circle.front { fill: #e8590c; stroke: #8a2f00; }
circle.infeasible { fill: none; stroke: #b0b0b0; }
circle.superseded { opacity: 0.35; }
circle.candidate:hover { stroke: #000; stroke-width: 3; }
path.front-line { fill: none; stroke: #e8590c; stroke-width: 1.5; }
line.constraint { stroke: #c92a2a; stroke-width: 1.5; stroke-dasharray: 6 4; }
text.constraint-label { fill: #c92a2a; font-size: 12px; }
.legend { font-size: 0.9em; margin: 0.4em 0; }
.legend span { margin-right: 1.2em; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; vertical-align: middle; margin-right: 0.3em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td.arch, td.reason { text-align: left; font-family: monospace; }
#details { background: #f6f6f6; padding: 0.5em; min-height: 3em; white-space: pre-wrap; }
svg.chart { border: 1px solid #ddd; background: #fff; margin: 0.3em 0.6em 0.3em 0; }
svg.chart .grid { stroke: #eee; }
svg.chart g.front circle { fill: #e8590c; stroke: #8a2f00; }
svg.chart g.feasible circle { fill: #6b9bd1; stroke: #2f5f96; fill-opacity: 0.6; }
svg.chart path.series-line { fill: none; stroke: #e8590c; stroke-width: 2; }
span.bar { display: inline-block; height: 0.7em; background: #6b9bd1; vertical-align: middle; }
</style>
)";
  static constexpr const char* kScript = R"(<script>
for (const c of document.querySelectorAll('circle.candidate')) {
  c.addEventListener('mouseenter', () => {
    document.getElementById('details').textContent = c.querySelector('title').textContent;
  });
}
</script>
)";

  std::string summary() const {
    size_t ok = 0, untrained = 0, stopped = 0, feasible = 0, front = 0;
    for (size_t i = 0; i < standings_.size(); ++i) {
      const TrialStanding& s = standings_[i];
      ok += s.ok;
      untrained += s.ok && !s.trained;
      stopped += records_[i].result.status == evaluator::EvalStatus::Stopped;
      feasible += s.feasible;
      front += s.on_front;
    }
    std::string goals;
    for (const ObjectiveSpec& o : objectives_)
      goals += (goals.empty() ? "" : ", ") + std::string(o.maximize ? "maximize " : "minimize ") +
               metric_label(o.metric);
    std::string limits;
    for (const ConstraintSpec& c : constraints_)
      limits += (limits.empty() ? "" : ", ") + c.metric + " <= " + show(c.max) +
                (unit_of(c.metric).empty() ? "" : " " + unit_of(c.metric));
    std::string html = "<p id=\"summary\">";
    html += html_escape(fmt::format("{} trials: {} evaluated, {} failed, {} not trained for "
                                    "breaking a constraint, {} stopped early, {} feasible, {} "
                                    "on the front. Objectives: {}. Constraints: {}.",
                                    records_.size(), ok, records_.size() - ok, untrained,
                                    stopped, feasible, front,
                                    goals.empty() ? "none" : goals,
                                    limits.empty() ? "none" : limits));
    return html + "</p>\n";
  }

  std::string plot() const {
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
    double ymin = xmin, ymax = -xmin;
    for (const Point& p : points_) {
      xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
    }
    for (const ConstraintSpec& c : constraints_) {
      if (c.metric == axes_.x) xmin = std::min(xmin, c.max), xmax = std::max(xmax, c.max);
      if (c.metric == axes_.y) ymin = std::min(ymin, c.max), ymax = std::max(ymax, c.max);
    }
    if (!std::isfinite(xmin)) xmin = 0, xmax = 1;
    if (!std::isfinite(ymin)) ymin = 0, ymax = 1;
    const Axis ax = Axis::fit(xmin, xmax), ay = Axis::fit(ymin, ymax);
    auto px = [&](double v) { return kLeft + (v - ax.lo) / (ax.hi - ax.lo) * (kWidth - kLeft - kRight); };
    auto py = [&](double v) { return kHeight - kBottom - (v - ay.lo) / (ay.hi - ay.lo) * (kHeight - kTop - kBottom); };
    const double x0 = kLeft, x1 = kWidth - kRight, y0 = kHeight - kBottom, y1 = kTop;

    std::string svg = fmt::format(
        "<svg class=\"plot\" id=\"plot\" width=\"{}\" "
        "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n",
        kWidth, kHeight, kWidth, kHeight, html_escape(axes_.y + " against " + axes_.x));
    // Grid and axes.
    svg += "<g class=\"axis\">\n";
    for (double t : ax.ticks()) {
      const std::string x = coord(px(t));
      svg += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                         "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{4}\"/>"
                         "<text x=\"{0}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n",
                         x, coord(y1), coord(y0), coord(y0), coord(y0 + 5), coord(y0 + 18),
                         ax.label(t));
    }
    for (double t : ay.ticks()) {
      const std::string y = coord(py(t));
      svg += fmt::format("<line class=\"grid\" x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\"/>"
                         "<line x1=\"{3}\" y1=\"{0}\" x2=\"{4}\" y2=\"{0}\"/>"
                         "<text x=\"{5}\" y=\"{6}\" text-anchor=\"end\">{7}</text>\n",
                         y, coord(x0), coord(x1), coord(x0 - 5), coord(x0), coord(x0 - 8),
                         coord(py(t) + 4), ay.label(t));
    }
    svg += fmt::format("<path d=\"M{0} {1} H{2} M{0} {1} V{3}\"/>\n</g>\n", coord(x0),
                       coord(y0), coord(x1), coord(y1));
    svg += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       coord((x0 + x1) / 2), coord(kHeight - 15), html_escape(metric_label(axes_.x)));
    svg += fmt::format("<text class=\"axis-label\" transform=\"translate(20 {}) rotate(-90)\" "
                       "text-anchor=\"middle\">{}</text>\n",
                       coord((y0 + y1) / 2), html_escape(metric_label(axes_.y)));

    // Constraint lines on either axis.
    for (const ConstraintSpec& c : constraints_) {
      const std::string label = html_escape(c.metric + " <= " + show(c.max));
      if (c.metric == axes_.x)
        svg += fmt::format("<line class=\"constraint\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                           "<text class=\"constraint-label\" x=\"{3}\" y=\"{4}\">{5}</text>\n",
                           coord(px(c.max)), coord(y0), coord(y1), coord(px(c.max) + 4),
                           coord(y1 + 12), label);
      if (c.metric == axes_.y)
        svg += fmt::format("<line class=\"constraint\" x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\"/>"
                           "<text class=\"constraint-label\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
                           coord(py(c.max)), coord(x0), coord(x1), coord(x1 - 4),
                           coord(py(c.max) - 4), label);
    }

    // The front's step line, when the plot shows exactly the two objectives.
    std::vector<const Point*> front;
    for (const Point& p : points_)
      if (standings_[p.record].on_front) front.push_back(&p);
    const bool two_objectives =
        objectives_.size() == 2 &&
        ((objectives_[0].metric == axes_.x && objectives_[1].metric == axes_.y) ||
         (objectives_[0].metric == axes_.y && objectives_[1].metric == axes_.x));
    if (two_objectives && front.size() > 1) {
      std::sort(front.begin(), front.end(), [&](const Point* a, const Point* b) {
        return std::tuple(a->x, a->y, records_[a->record].id) <
               std::tuple(b->x, b->y, records_[b->record].id);
      });
      std::string d = fmt::format("M{} {}", coord(px(front[0]->x)), coord(py(front[0]->y)));
      for (size_t i = 1; i < front.size(); ++i)
        d += fmt::format(" H{} V{}", coord(px(front[i]->x)), coord(py(front[i]->y)));
      svg += "<path class=\"front-line\" d=\"" + d + "\"/>\n";
    }

    // Candidates: infeasible and superseded underneath, the front on top.
    auto layer = [&](const Point& p) {
      const TrialStanding& s = standings_[p.record];
      return s.on_front ? 3 : s.superseded ? 0 : s.feasible ? 2 : 1;
    };
    std::vector<const Point*> order;
    for (const Point& p : points_) order.push_back(&p);
    std::stable_sort(order.begin(), order.end(),
                     [&](const Point* a, const Point* b) { return layer(*a) < layer(*b); });
    svg += "<g class=\"candidates\">\n";
    for (const Point* p : order) {
      const TrialStanding& s = standings_[p->record];
      std::string cls = "candidate ";
      cls += s.on_front ? "front" : s.feasible ? "feasible" : "infeasible";
      if (s.superseded) cls += " superseded";
      svg += fmt::format("<circle class=\"{}\" data-id=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\">"
                         "<title>{}</title></circle>\n",
                         cls, records_[p->record].id, coord(px(p->x)), coord(py(p->y)),
                         s.on_front ? 6 : 4.5, html_escape(hover_text(p->record)));
    }
    svg += "</g>\n</svg>\n";

    std::string legend =
        "<div class=\"legend\">"
        "<span><i class=\"swatch\" style=\"background:#e8590c\"></i>front</span>"
        "<span><i class=\"swatch\" style=\"background:#6b9bd1\"></i>feasible</span>"
        "<span><i class=\"swatch\" style=\"border:1.5px solid #b0b0b0\"></i>infeasible</span>"
        "<span><i class=\"swatch\" style=\"background:#6b9bd1;opacity:0.35\"></i>superseded by a "
        "longer evaluation</span>"
        "<span style=\"color:#c92a2a\">- - constraint</span></div>\n";
    return "<h2>Candidates</h2>\n" + legend + svg;
  }

  // The metrics a reader wants for one trial: objectives, constrained metrics, then cost.
  std::vector<std::string> shown_metrics() const {
    std::vector<std::string> metrics;
    auto add = [&](const std::string& m) {
      if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
    };
    for (const ObjectiveSpec& o : objectives_) add(o.metric);
    for (const ConstraintSpec& c : constraints_) add(c.metric);
    // Each latency the search tuned, also with the default schedules.
    for (const std::string& m : std::vector<std::string>(metrics))  // a copy: add() appends
      if (m.starts_with("latency:") && tuned(m.substr(8))) add(std::string(kUntuned) + m.substr(8));
    add("params");
    add("flops");
    add("peak_memory");
    return metrics;
  }

  // Whether any candidate's latency on `target` was tuned.
  bool tuned(const std::string& target) const {
    return std::ranges::any_of(records_, [&](const TrialRecord& r) {
      const auto it = r.result.latency.find(target);
      return it != r.result.latency.end() && it->second.untuned_median_ms > 0;
    });
  }

  // metric_value, and the untuned latency (0 where not tuned) for an untuned column.
  static double shown_value(const evaluator::EvalResult& result, const std::string& metric) {
    if (!metric.starts_with(kUntuned)) return metric_value(result, metric);
    const auto it = result.latency.find(metric.substr(kUntuned.size()));
    return it == result.latency.end() ? 0 : it->second.untuned_median_ms;
  }

  std::string hover_text(size_t i) const {
    const TrialRecord& r = records_[i];
    const TrialStanding& s = standings_[i];
    std::string text = fmt::format("trial {} (fidelity {}{}): {}", r.id, r.fidelity,
                                   s.on_front       ? ", front"
                                   : s.superseded   ? ", superseded"
                                   : s.feasible     ? ""
                                                    : ", infeasible",
                                   r.arch);
    for (const std::string& m : shown_metrics()) {
      const std::string unit = unit_of(m);
      const double v = shown_value(r.result, m);
      if (m.starts_with(kUntuned) && v == 0) continue;  // this candidate was not tuned
      text += "\n" + m + " = " + show(v) + (unit.empty() ? "" : " " + unit);
    }
    return text;
  }

  std::string front_table() const {
    const std::vector<std::string> metrics = shown_metrics();
    std::string html = "<h2>Pareto front (feasible)</h2>\n<table id=\"front\">\n<tr><th>rank</th>"
                       "<th>trial</th><th>architecture</th><th>fidelity</th>";
    for (const std::string& m : metrics) html += "<th>" + html_escape(metric_label(m)) + "</th>";
    html += "</tr>\n";
    int rank = 1;
    for (size_t i : front_order(records_, standings_)) {
      const TrialRecord& r = records_[i];
      html += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"arch\">{}</td><td>{}</td>", rank++,
                          r.id, html_escape(r.arch), r.fidelity);
      for (const std::string& m : metrics) {
        const double v = shown_value(r.result, m);
        html += "<td>" + (m.starts_with(kUntuned) && v == 0 ? std::string("-") : show(v)) + "</td>";
      }
      html += "</tr>\n";
    }
    return html + "</table>\n";
  }

  std::string failure_table() const {
    std::string rows;
    for (size_t i = 0; i < records_.size(); ++i) {
      if (standings_[i].ok) continue;
      const TrialRecord& r = records_[i];
      rows += fmt::format("<tr><td>{}</td><td class=\"arch\">{}</td><td>{}</td>"
                          "<td class=\"reason\">{}</td></tr>\n",
                          r.id, html_escape(r.arch), evaluator::status_name(r.result.status),
                          html_escape(r.result.reason));
    }
    if (rows.empty()) return "";
    return "<h2>Failed candidates</h2>\n<table id=\"failures\">\n<tr><th>trial</th>"
           "<th>architecture</th><th>status</th><th>reason</th></tr>\n" + rows + "</table>\n";
  }

  // The winners of winners.json, when the search exported them: what was picked for which
  // budget, tested how, and a link to each model (relative: the report sits beside winners/).
  std::string winners_table() const {
    if (!winners_ || !winners_->contains("winners")) return "";
    std::string html =
        "<h2>Winners (trained again with the final recipe, measured on the test split)</h2>\n"
        "<table id=\"winners\">\n<tr><th>rank</th><th>picked for</th><th>trial</th>"
        "<th>architecture</th><th>test accuracy</th><th>latency (ms)</th><th>params</th>"
        "<th>model</th></tr>\n";
    for (const nlohmann::json& w : winners_->at("winners")) {
      // Copies, not references into temporaries: a range-for over value()'s result's
      // items() would outlive it.
      const nlohmann::json latencies = w.value("latency_ms", nlohmann::json::object());
      std::string latency;
      for (const auto& [target, ms] : latencies.items())
        if (ms.is_number())
          latency += (latency.empty() ? "" : ", ") + target + " " + show(ms.get<double>());
      const nlohmann::json test = w.value("test_accuracy", nlohmann::json());
      const nlohmann::json file = w.value("file", nlohmann::json());
      const nlohmann::json cost =
          w.value("final_result", nlohmann::json::object()).value("cost", nlohmann::json::object());
      html += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"arch\">{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
          w.value("rank", 0), html_escape(w.value("picked_for", "")), w.value("trial", 0),
          html_escape(w.value("arch", "")), test.is_number() ? show(test.get<double>()) : "-",
          html_escape(latency),
          cost.value("parameters", nlohmann::json()).is_number()
              ? show(cost.at("parameters").get<double>())
              : "-",
          file.is_string() ? "<a href=\"winners/" + html_escape(file.get<std::string>()) + "\">" +
                                 html_escape(file.get<std::string>()) + "</a>"
                           : html_escape(w.value("status", "failed")));
    }
    return html + "</table>\n";
  }

  // The front as it grew: the hypervolume of the trials committed so far (the fixed
  // reference point of results.json), against trials and against wall time.
  std::string progress_section() const {
    const auto reference = hypervolume_reference(objectives_, constraints_);
    if (!reference)
      return "<h2>The front over time</h2>\n<p id=\"progress\">No hypervolume: a minimised "
             "objective has no constraint to bound it.</p>\n";
    std::vector<size_t> order(records_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::pair(records_[a].finished, records_[a].id) <
             std::pair(records_[b].finished, records_[b].id);
    });
    const std::optional<double> start = search_start();
    ChartSeries by_trial{.css_class = "hypervolume", .line = true, .dots = false};
    ChartSeries by_time{.css_class = "hypervolume", .line = true, .dots = false};
    std::vector<TrialRecord> prefix;
    for (size_t i : order) {
      prefix.push_back(records_[i]);
      const double volume =
          experiment_hypervolume(rank_trials(prefix, space_, objectives_, constraints_),
                                 objectives_, constraints_)
              .value_or(0);
      by_trial.points.push_back({static_cast<double>(prefix.size()), volume, ""});
      if (start)
        by_time.points.push_back({(utc_seconds(records_[i].finished) - *start) / 60, volume, ""});
    }
    std::string html = "<h2>The front over time</h2>\n<p id=\"progress\">" +
                       html_escape(fmt::format(
                           "Hypervolume of the feasible trials committed so far (reference point "
                           "{}; larger is better): {} after {} trials.",
                           fmt::join(*reference, ", "),
                           show(by_trial.points.empty() ? 0 : by_trial.points.back().y),
                           records_.size())) +
                       "</p>\n";
    html += svg_chart({.id = "hypervolume-by-trial", .x_label = "trials committed",
                       .y_label = "hypervolume", .series = {by_trial}});
    if (start)
      html += svg_chart({.id = "hypervolume-by-time", .x_label = "wall time (minutes)",
                         .y_label = "hypervolume", .series = {by_time}});
    return html;
  }

  // Seconds since the Unix epoch of "2026-12-06T11:05:00Z"; NaN when malformed.
  static double utc_seconds(const std::string& stamp) {
    std::tm tm{};
    if (stamp.size() != 20 || !strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm))
      return std::nan("");
    return static_cast<double>(timegm(&tm));
  }

  // When the first evaluation began: the earliest commit less its evaluation's seconds;
  // none when a trial has no commit time.
  std::optional<double> search_start() const {
    double start = std::numeric_limits<double>::infinity();
    for (const TrialRecord& r : records_) {
      const double t = utc_seconds(r.finished);
      if (std::isnan(t)) return std::nullopt;
      start = std::min(start, t - r.seconds);
    }
    return std::isfinite(start) ? std::optional<double>(start) : std::nullopt;
  }

  // Each batch's candidates: what the strategy proposed as it learned.
  std::string batch_section() const {
    std::string html = "<h2>Candidates by batch</h2>\n";
    for (const std::string& metric : {axes_.y, axes_.x}) {
      ChartSeries front{.css_class = "front"}, other{.css_class = "feasible"};
      for (const Point& p : points_) {
        const TrialRecord& r = records_[p.record];
        (standings_[p.record].on_front ? front : other)
            .points.push_back({static_cast<double>(r.batch), metric_value(r.result, metric),
                               hover_text(p.record)});
      }
      html += svg_chart({.id = "by-batch-" + metric, .x_label = "batch",
                         .y_label = metric_label(metric), .series = {other, front}});
    }
    return html;
  }

  // Latency against FLOPs for every candidate: how far FLOPs are from ranking latency.
  std::string flops_section() const {
    std::string html;
    for (const ObjectiveSpec& o : objectives_) {
      if (o.metric.rfind("latency:", 0) != 0) continue;
      std::vector<double> flops, latency;
      ChartSeries dots{.css_class = "feasible"};
      for (size_t i = 0; i < records_.size(); ++i) {  // trained or not: latency is measured
        // One point per architecture.
        if (!standings_[i].ok || standings_[i].superseded) continue;
        flops.push_back(metric_value(records_[i].result, "flops") / 1e6);
        latency.push_back(metric_value(records_[i].result, o.metric));
        dots.points.push_back({flops.back(), latency.back(), hover_text(i)});
      }
      const std::optional<double> tau = kendall_tau(flops, latency);
      size_t misordered = 0, pairs = 0;
      for (size_t i = 0; i < flops.size(); ++i)
        for (size_t j = i + 1; j < flops.size(); ++j) {
          if (flops[i] == flops[j] || latency[i] == latency[j]) continue;
          ++pairs;
          misordered += (flops[i] < flops[j]) != (latency[i] < latency[j]);
        }
      html += "<h2>" + html_escape(o.metric) + " against FLOPs</h2>\n<p class=\"flops-rank\">" +
              html_escape(fmt::format(
                  "Over {} architectures, Kendall's tau between FLOPs and {} is {}; FLOPs "
                  "order {} of {} pairs the other way round from the measured latency.",
                  flops.size(), o.metric, tau ? fmt::format("{:.3f}", *tau) : "undefined",
                  misordered, pairs)) +
              "</p>\n";
      html += svg_chart({.id = "latency-flops-" + o.metric, .x_label = "MFLOPs",
                         .y_label = metric_label(o.metric), .series = {dots}});
    }
    return html;
  }

  // What each decision of the space does: the share of each objective's variance its
  // options' means explain (main effects, as fANOVA's first order), over the candidates at
  // the lowest fidelity (every architecture has one there), and the option with the best
  // mean.
  std::string importance_section() const {
    int64_t lowest = std::numeric_limits<int64_t>::max();
    for (const Point& p : points_) lowest = std::min(lowest, records_[p.record].fidelity);
    std::vector<space::Architecture> archs;
    std::vector<const TrialRecord*> used;
    for (const Point& p : points_)
      if (records_[p.record].fidelity == lowest) {
        used.push_back(&records_[p.record]);
        archs.push_back(space_.parse(records_[p.record].arch));
      }
    if (used.size() < 2) return "";
    std::string html =
        "<h2>What each choice does</h2>\n<p>" +
        html_escape(fmt::format(
            "The share of each objective's variance over the {} candidates evaluated at {} "
            "epoch(s) that a decision's options explain on their own (its main effect), and "
            "the option with the best mean. Decisions sampled together by the strategy share "
            "their effects.", used.size(), lowest)) +
        "</p>\n<table id=\"importance\">\n<tr><th>decision</th>";
    for (const ObjectiveSpec& o : objectives_)
      html += "<th>" + html_escape(o.metric) + ": share</th><th>best option</th>";
    html += "</tr>\n";
    const std::vector<space::Decision>& decisions = space_.decisions();
    std::vector<std::pair<double, size_t>> rows;  // first objective's share, decision
    std::vector<std::vector<std::pair<double, std::string>>> cells(decisions.size());
    for (size_t d = 0; d < decisions.size(); ++d) {
      std::vector<int> group;
      for (const space::Architecture& a : archs) group.push_back(static_cast<int>(a.choices[d]));
      for (const ObjectiveSpec& o : objectives_) {
        std::vector<double> values;
        for (const TrialRecord* r : used) values.push_back(metric_value(r->result, o.metric));
        std::map<int, std::pair<double, int>> means;
        for (size_t i = 0; i < values.size(); ++i) {
          means[group[i]].first += values[i];
          means[group[i]].second += 1;
        }
        int best = -1;
        double best_mean = 0;
        for (const auto& [option, s] : means) {
          const double m = s.first / s.second;
          if (best < 0 || (o.maximize ? m > best_mean : m < best_mean)) {
            best = option;
            best_mean = m;
          }
        }
        cells[d].push_back({explained_variance(group, values),
                            fmt::format("{} ({})", decisions[d].labels.at(best), show(best_mean))});
      }
      rows.push_back({-cells[d].at(0).first, d});
    }
    std::sort(rows.begin(), rows.end());
    for (const auto& [unused, d] : rows) {
      html += "<tr><td class=\"arch\">" + html_escape(decisions[d].name) + "</td>";
      for (const auto& [share, best] : cells[d])
        html += fmt::format("<td><span class=\"bar\" style=\"width:{:.0f}px\"></span> {:.1f}%"
                            "</td><td class=\"arch\">{}</td>",
                            share * 100, share * 100, html_escape(best));
      html += "</tr>\n";
    }
    return html + "</table>\n";
  }

  const std::vector<TrialRecord>& records_;
  const space::SearchSpace& space_;
  const std::vector<ObjectiveSpec>& objectives_;
  const std::vector<ConstraintSpec>& constraints_;
  const nlohmann::json* winners_;
  std::vector<TrialStanding> standings_;
  PlotAxes axes_;
  std::vector<Point> points_;
};

}  // namespace

std::string html_escape(const std::string& text) {
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

PlotAxes choose_plot_axes(const std::vector<ObjectiveSpec>& objectives,
                          const std::vector<ConstraintSpec>& constraints) {
  PlotAxes axes;
  for (const ObjectiveSpec& o : objectives)
    if (o.metric == "accuracy") axes.y = o.metric;
  if (axes.y.empty()) axes.y = objectives.empty() ? "accuracy" : objectives[0].metric;
  for (const ObjectiveSpec& o : objectives)
    if (axes.x.empty() && o.metric.rfind("latency:", 0) == 0 && o.metric != axes.y)
      axes.x = o.metric;
  for (const ObjectiveSpec& o : objectives)
    if (axes.x.empty() && o.metric != axes.y) axes.x = o.metric;
  for (const ConstraintSpec& c : constraints)
    if (axes.x.empty() && c.metric != axes.y) axes.x = c.metric;
  if (axes.x.empty()) axes.x = axes.y == "params" ? "flops" : "params";
  return axes;
}

std::string report_html(const std::vector<TrialRecord>& records, const space::SearchSpace& space,
                        const std::vector<ObjectiveSpec>& objectives,
                        const std::vector<ConstraintSpec>& constraints,
                        const nlohmann::json* winners) {
  return ReportWriter(records, space, objectives, constraints, winners).page();
}

void write_report_html(const fs::path& dir, const std::vector<TrialRecord>& records,
                       const space::SearchSpace& space,
                       const std::vector<ObjectiveSpec>& objectives,
                       const std::vector<ConstraintSpec>& constraints) {
  // The winners, once exported: a listing that cannot be read is left out, not fatal.
  nlohmann::json winners;
  if (std::ifstream in(dir / "winners" / "winners.json"); in) {
    winners = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (winners.is_discarded() || !winners.is_object()) winners = nullptr;
  }
  const std::string html = report_html(records, space, objectives, constraints,
                                       winners.is_object() ? &winners : nullptr);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) user_error("cannot create {}: {}", dir.string(), ec.message());
  write_file_atomically((dir / "report.html").string(), html);
}

}  // namespace nas::search
