// report.html: one self-contained page (inline CSS and SVG, a few lines of inline script,
// nothing fetched from anywhere) with the search's scatter plot and its tables.
//
// The plot puts the accuracy objective (else the first objective) on y and the latency
// objective (else the second objective, else the first constrained metric, else params) on
// x. Every evaluated candidate whose evaluation is ok is one <circle class="candidate">
// whose <title> holds its architecture and metrics (shown on hover); the front is
// highlighted and, with two objectives, joined by a step line; infeasible and superseded
// candidates are styled apart; a constraint on either axis is a dashed line with its label.
// Failed candidates have no meaningful metrics, so they are listed in a table instead.
// Below the front's table: the winners (winners.json, with links to their models); the
// hypervolume as the search went, against trials and wall time; each batch's accuracy and
// latency; latency against FLOPs with Kendall's tau (FLOPs do not rank compiled latency);
// and each decision's share of each objective's variance (its main effect).
// The same input gives the same bytes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/objectives.h"
#include "search/trial.h"
#include "space/search_space.h"

namespace nas::search {

// Text with &, <, >, " and ' escaped for HTML text and attribute values.
std::string html_escape(const std::string& text);

// The metrics on the plot's axes.
struct PlotAxes {
  std::string x;
  std::string y;
};
PlotAxes choose_plot_axes(const std::vector<ObjectiveSpec>& objectives,
                          const std::vector<ConstraintSpec>& constraints);

// `winners`: winners.json's content, or null before the winners are exported.
std::string report_html(const std::vector<TrialRecord>& records, const space::SearchSpace& space,
                        const std::vector<ObjectiveSpec>& objectives,
                        const std::vector<ConstraintSpec>& constraints,
                        const nlohmann::json* winners = nullptr);

// Writes DIR/report.html, with DIR/winners/winners.json's winners where it exists.
void write_report_html(const std::filesystem::path& dir, const std::vector<TrialRecord>& records,
                       const space::SearchSpace& space,
                       const std::vector<ObjectiveSpec>& objectives,
                       const std::vector<ConstraintSpec>& constraints);

}  // namespace nas::search
