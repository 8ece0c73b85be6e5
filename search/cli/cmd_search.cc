// `nas search CONFIG [--set KEY=VALUE]... [--resume]`: runs (or continues) the experiment a
// config describes, with a progress line, and says where its results are. Rerunning the
// same config into the same folder continues it; --resume insists that there is a search
// to continue. Started by an MPI launcher (`mpirun -np N nas search CONFIG`), rank 0 runs the
// search and the other ranks evaluate its candidates (search/mpi/mpi_search.h).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

#ifdef NAS_WITH_MPI
#include "search/mpi/mpi_search.h"
#endif

namespace nas::cli {

namespace {

struct SearchArgs {
  std::string config;
  std::vector<std::string> overrides;
  bool resume = false;
};

// What every rank reads for itself: the config, its space and its data.
struct Experiment {
  search::ExperimentConfig config;
  space::SearchSpace space;
  evaluator::DataSplits data;
};

Experiment load_experiment(const SearchArgs& a) {
  search::ExperimentConfig config = search::load_config(a.config, a.overrides);
  space::SearchSpace space = space::load_space(config.space.string());
  evaluator::DataSplits data = search::load_experiment_data(config, space);
  return {std::move(config), std::move(space), std::move(data)};
}

void print_start(const Experiment& e, const std::string& evaluators) {
  const search::ExperimentConfig& config = e.config;
  std::cout << fmt::format("search '{}': {} candidates, strategy {}, {}, space {} ({:.3g} "
                           "architectures) -> {}\n",
                           config.name, config.candidates, config.strategy, evaluators,
                           e.space.name(), e.space.size(), config.output.string())
            << std::flush;
}

search::SearchOptions search_options(const SearchArgs& a) {
  search::SearchOptions options;
  options.resume = a.resume;
  options.log = &std::cout;
  options.terminal = isatty(STDOUT_FILENO) != 0;
  return options;
}

// Results, report and winners of a finished search.
void finish_search(const Experiment& e, const search::SearchOutcome& outcome) {
  const search::ExperimentConfig& config = e.config;
  const space::SearchSpace& space = e.space;
  int64_t failed = 0, infeasible = 0, stopped = 0;
  for (const search::TrialRecord& t : outcome.records) {
    using evaluator::EvalStatus;
    infeasible += t.result.status == EvalStatus::Infeasible;
    stopped += t.result.status == EvalStatus::Stopped;
    failed += t.result.status != EvalStatus::Ok && t.result.status != EvalStatus::Infeasible &&
              t.result.status != EvalStatus::Stopped;
  }
  const std::vector<search::ConstraintSpec> constraints = config.constraints();
  search::write_results(outcome.folder, outcome.records, space, config.objectives, constraints);
  search::write_report_html(outcome.folder, outcome.records, space, config.objectives,
                            constraints);
  std::cout << fmt::format(
      "{} trials ({} evaluated now, {} from the store), {} failed, {} not trained for breaking "
      "a constraint, {} stopped early\n",
      outcome.records.size(), outcome.evaluated, outcome.reused, failed, infeasible, stopped);
  // A rerun that evaluated nothing new keeps the winners it exported before.
  const bool winners_current =
      outcome.evaluated == 0 && std::filesystem::exists(outcome.folder / "winners" / "winners.json");
  if (winners_current) {
    std::cout << fmt::format("winners: {} (already exported; `nas export` redoes them)\n",
                             (outcome.folder / "winners").string());
  } else if (config.final_training.trains_winners()) {
    std::cout << "training the winners with the final recipe...\n" << std::flush;
    const std::vector<search::Winner> winners = search::export_winners(
        outcome.folder, outcome.records, space, config.objectives, constraints,
        search::final_recipe(config, space),
        {config.final_training.budgets, static_cast<int>(config.final_training.top_k)});
    for (const search::Winner& w : winners)
      std::cout << fmt::format("  winner {} ({}): {}  {} epochs  test accuracy {:.4f}  {}\n",
                               w.rank, w.picked_for, w.arch, w.epochs,
                               w.final_result.test_accuracy.value_or(0.0),
                               w.file.empty() ? "(final training failed: " + w.final_result.reason + ")"
                                              : (outcome.folder / "winners" / w.file).string());
    // Again, now with the winners.
    search::write_report_html(outcome.folder, outcome.records, space, config.objectives,
                              constraints);
  }
  std::cout << fmt::format("report:  {}\n", (outcome.folder / "report.html").string())
            << fmt::format("results: {} (results.csv, results.json, pareto.csv)\n",
                           outcome.folder.string())
            << fmt::format("store:   {}\n", outcome.store.string());
}

void search_in_this_process(const SearchArgs& a) {
  const Experiment e = load_experiment(a);
  print_start(e, fmt::format("{} worker(s) x {} thread(s)", e.config.workers,
                             e.config.threads_per_worker));
  finish_search(e, search::run_search(e.config, e.space, e.data, search_options(a)));
}

// Whether an MPI launcher (mpirun, mpiexec, srun --mpi=pmix) started this process.
bool started_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

#ifdef NAS_WITH_MPI
// Rank 0 steers and owns the store; the other ranks evaluate (search/mpi/mpi_search.h). An
// error on any rank ends the whole job: the others would wait for it forever.
void search_under_mpi(const SearchArgs& a) {
  search::mpi::Session session;
  if (session.size() == 1) {
    search_in_this_process(a);
    return;
  }
  const std::string who = session.rank() == 0 ? "" : fmt::format("rank {}: ", session.rank());
  try {
    const Experiment e = load_experiment(a);
    if (session.rank() != 0) {
      search::mpi::serve_evaluations(e.config, e.space, e.data);
      return;
    }
    print_start(e, fmt::format("{} MPI ranks (rank 0 steers) x {} thread(s)", session.size(),
                               e.config.threads_per_worker));
    search::mpi::MpiBackend backend(e.config, session.size(), &std::cout);
    search::SearchOptions options = search_options(a);
    options.backend = &backend;
    const search::SearchOutcome outcome = search::run_search(e.config, e.space, e.data, options);
    backend.stop();
    const search::mpi::MpiBackend::Exchange& x = backend.exchange();
    if (x.candidates > 0)
      std::cout << fmt::format("MPI exchange: {} candidates, {:.3f} ms per candidate for the "
                               "messages (round trip less evaluation), {:.3f} s per evaluation\n",
                               x.candidates, 1e3 * x.overhead_seconds / x.candidates,
                               x.evaluation_seconds / x.candidates);
    finish_search(e, outcome);
  } catch (const UserError& e) {
    std::cerr << "nas: error: " << who << e.what() << "\n" << std::flush;
    session.abort(2);
  } catch (const std::exception& e) {
    std::cerr << "nas: internal error: " << who << e.what() << "\n" << std::flush;
    session.abort(1);
  }
}
#endif

void run_search_command(const SearchArgs& a) {
  if (started_by_mpi_launcher()) {
#ifdef NAS_WITH_MPI
    search_under_mpi(a);
    return;
#else
    int ranks = 0;
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
      if (const char* v = std::getenv(name)) ranks = std::max(ranks, std::atoi(v));
    if (ranks > 1)
      user_error("started as {} MPI ranks, but this nas was built without MPI (CMake found "
                 "none, or -DNAS_WITH_MPI=OFF): each rank would run the whole search into the "
                 "same store; install libopenmpi-dev and reconfigure, or run one process",
                 ranks);
#endif
  }
  search_in_this_process(a);
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
