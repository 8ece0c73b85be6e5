// `nas search CONFIG [--set KEY=VALUE]... [--resume]`: runs (or continues) the experiment a
// config describes, with a progress line, and says where its results are. Rerunning the
// same config into the same folder continues it; --resume insists that there is a search
// to continue.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "compiler/support/error.h"
#include "search/cli/commands.h"
#include "search/config.h"
#include "search/run_search.h"
#include "search/space_file_stub.h"  // MERGE: replace by "space/space_file.h"

namespace nas::cli {

namespace {

struct SearchArgs {
  std::string config;
  std::vector<std::string> overrides;
  bool resume = false;
};

// Every trial with its architecture and evaluation record.
// MERGE: the report (search/report.h, write_report) replaces or extends this file.
void write_results_json(const std::filesystem::path& file, const search::ExperimentConfig& config,
                        const space::SearchSpace& space,
                        const std::vector<search::TrialRecord>& records) {
  nlohmann::json j;
  j["name"] = config.name;
  j["space"] = space.name();
  for (const search::ObjectiveSpec& o : config.objectives)
    j["objectives"].push_back({{"metric", o.metric}, {"goal", o.maximize ? "maximize" : "minimize"}});
  j["trials"] = nlohmann::json::array();
  for (const search::TrialRecord& t : records)
    j["trials"].push_back({{"id", t.id},
                           {"batch", t.batch},
                           {"arch", t.arch},
                           {"architecture", space.to_json(space.parse(t.arch))},
                           {"fidelity", t.fidelity},
                           {"seed", t.seed},
                           {"seconds", t.seconds},
                           {"result", t.result.to_json()}});
  std::ofstream out(file);
  out << j.dump(2) << "\n";
  if (!out) user_error("cannot write '{}'", file.string());
}

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
  const std::filesystem::path results = outcome.folder / "results.json";
  write_results_json(results, config, space, outcome.records);
  // MERGE: write the report here (search/report.h) and print where it is.
  std::cout << fmt::format("{} trials ({} evaluated now, {} from the store), {} failed\n",
                           outcome.records.size(), outcome.evaluated, outcome.reused, failed)
            << fmt::format("results: {}\n", results.string())
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
