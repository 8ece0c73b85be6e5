// `nas search CONFIG [--set KEY=VALUE]... [--resume]`: runs (or continues) the experiment a
// config describes, with a progress line, and says where its results are. Rerunning the
// same config into the same folder continues it; --resume insists that there is a search
// to continue.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "compiler/support/error.h"
#include "search/cli/commands.h"
#include "search/config.h"
#include "search/run_search.h"
#include "search/report.h"
#include "search/report_html.h"
#include "search/winners.h"
#include "space/space_file.h"

namespace nas::cli {

namespace {

struct SearchArgs {
  std::string config;
  std::vector<std::string> overrides;
  bool resume = false;
};

void run_search_command(const SearchArgs& a) {
  const search::ExperimentConfig config = search::load_config(a.config, a.overrides);
  const space::SearchSpace space = space::load_space(config.space.string());
  const evaluator::DataSplits data = search::load_experiment_data(config, space);
  std::cout << fmt::format(
                   "search '{}': {} candidates, strategy {}, {} worker(s) x {} thread(s), "
                   "space {} ({:.3g} architectures) -> {}\n",
                   config.name, config.candidates, config.strategy, config.workers,
                   config.threads_per_worker, space.name(), space.size(),
                   config.output.string())
            << std::flush;
  search::SearchOptions options;
  options.resume = a.resume;
  options.log = &std::cout;
  options.terminal = isatty(STDOUT_FILENO) != 0;
  const search::SearchOutcome outcome = search::run_search(config, space, data, options);

  int64_t failed = 0;
  for (const search::TrialRecord& t : outcome.records)
    failed += t.result.status != evaluator::EvalStatus::Ok;
  const std::vector<search::ConstraintSpec> constraints = config.constraints();
  search::write_results(outcome.folder, outcome.records, space, config.objectives, constraints);
  search::write_report_html(outcome.folder, outcome.records, space, config.objectives,
                            constraints);
  std::cout << fmt::format("{} trials ({} evaluated now, {} from the store), {} failed\n",
                           outcome.records.size(), outcome.evaluated, outcome.reused, failed);
  // A rerun that evaluated nothing new keeps the winners it exported before.
  const bool winners_current =
      outcome.evaluated == 0 && std::filesystem::exists(outcome.folder / "winners" / "winners.json");
  if (winners_current) {
    std::cout << fmt::format("winners: {} (already exported; `nas export` redoes them)\n",
                             (outcome.folder / "winners").string());
  } else if (config.final_training.top_k > 0) {
    std::cout << fmt::format("training the top {} with the final recipe...\n",
                             config.final_training.top_k)
              << std::flush;
    const std::vector<search::Winner> winners = search::export_winners(
        outcome.folder, outcome.records, space, config.objectives, constraints,
        search::final_recipe(config, space), static_cast<int>(config.final_training.top_k));
    for (const search::Winner& w : winners)
      std::cout << fmt::format("  winner {}: {}  test accuracy {:.4f}  {}\n", w.rank, w.arch,
                               w.final_result.test_accuracy.value_or(0.0),
                               w.file.empty() ? "(final training failed: " + w.final_result.reason + ")"
                                              : (outcome.folder / "winners" / w.file).string());
  }
  std::cout << fmt::format("report:  {}\n", (outcome.folder / "report.html").string())
            << fmt::format("results: {} (results.csv, results.json, pareto.csv)\n",
                           outcome.folder.string())
            << fmt::format("store:   {}\n", outcome.store.string());
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto a = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "Run (or continue) the search an experiment config describes");
  cmd->add_option("config", a->config, "Experiment config (YAML, see configs/README.md)")
      ->required();
  cmd->add_option("--set", a->overrides,
                  "Override a config key, e.g. --set budget.candidates=8 (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--resume", a->resume,
                "Continue the search in the config's output folder (it must exist)");
  cmd->callback([a] { run_search_command(*a); });
}

}  // namespace nas::cli
