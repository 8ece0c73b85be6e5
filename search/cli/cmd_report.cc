// `nas report DIR`: rewrites an experiment's results.csv, results.json, pareto.csv and
// report.html from what the experiment holds, and prints the front.
#include <iostream>

#include <fmt/format.h>

#include "search/cli/commands.h"
#include "search/report.h"
#include "search/report_html.h"

namespace nas::cli {

void add_report_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write results.csv, results.json, pareto.csv and report.html of an experiment");
  cmd->add_option("dir", *dir, "The experiment folder")->required();
  cmd->callback([dir] {
    const search::Experiment e = search::load_experiment(*dir);
    search::write_results(*dir, e.records, e.space, e.objectives, e.constraints);
    search::write_report_html(*dir, e.records, e.space, e.objectives, e.constraints);
    const std::vector<search::TrialStanding> standings =
        search::rank_trials(e.records, e.space, e.objectives, e.constraints);
    const std::vector<size_t> front = search::front_order(e.records, standings);
    std::cout << fmt::format("{} trials, {} on the front:\n", e.records.size(), front.size());
    for (size_t i : front) {
      std::string metrics;
      for (const search::ObjectiveSpec& o : e.objectives)
        metrics += fmt::format("  {}={:.6g}", o.metric,
                               search::metric_value(e.records[i].result, o.metric));
      std::cout << fmt::format("  trial {:>4}{}  {}\n", e.records[i].id, metrics, e.records[i].arch);
    }
    std::cout << fmt::format("wrote results.csv, results.json, pareto.csv, report.html in {}\n",
                             *dir);
  });
}

}  // namespace nas::cli
