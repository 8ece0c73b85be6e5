// The search orchestrator: asks the strategy for a batch of candidates, evaluates them in
// parallel (oneTBB: `workers` candidates at a time, each with `threads_per_worker`
// threads), commits each result to the experiment store as it finishes and, once the batch
// is complete, tells the strategy the batch's results in the order it asked for them.
//
// Where candidates are evaluated is an EvaluationBackend (this process's workers by default,
// or MPI worker ranks): the orchestrator's rules above do not depend on it.
//
// Resume: a search in a folder that already holds a store replays it. The strategy, rebuilt
// from the same seed, is asked for each stored batch again (it must propose the same
// architectures), told the stored results, and only the trials missing from the store are
// evaluated. Strategies being deterministic functions of what they are told, a search
// killed at any point and resumed ends with the same trials as one never interrupted, and
// with the same results wherever the objectives are deterministic (accuracy under a fixed
// seed, parameters, FLOPs); stored latencies are reused, never measured again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <vector>

#include "evaluator/data/dataset.h"
#include "search/config.h"
#include "search/evaluation_backend.h"
#include "search/trial.h"
#include "space/search_space.h"

namespace nas::search {

struct SearchOptions {
  bool resume = false;            // the folder must already hold a search
  std::ostream* log = nullptr;    // progress and messages; none when null
  bool terminal = false;          // the progress line is rewritten in place
  // Called after each result is committed to the store (tests stop a search by throwing).
  std::function<void(const TrialRecord&)> on_trial_committed;
  // Evaluates the candidates; null: this process (make_local_backend), which must then meet
  // the targets' hardware requirements.
  EvaluationBackend* backend = nullptr;
};

struct SearchOutcome {
  std::filesystem::path folder;    // config.output
  std::filesystem::path store;     // folder/experiment.db
  std::vector<TrialRecord> records;  // every trial, in the order the strategy asked for them
  int64_t evaluated = 0;           // trials evaluated by this run
  int64_t reused = 0;              // results read back from the store
  bool resumed = false;            // the folder held a search already
};

// The store's file in an output folder.
std::filesystem::path store_path(const std::filesystem::path& folder);

// The experiment's data splits (Fashion-MNIST, or synthetic images of the shape the space's
// networks take, with as many classes as they output).
evaluator::DataSplits load_experiment_data(const ExperimentConfig& config,
                                           const space::SearchSpace& space);

// Runs (or resumes) the search into config.output, writing the store and the resolved
// config (config.yaml). UserError when the folder holds a search of another config.
SearchOutcome run_search(const ExperimentConfig& config, const space::SearchSpace& space,
                         const evaluator::DataSplits& data, const SearchOptions& options = {});

}  // namespace nas::search
