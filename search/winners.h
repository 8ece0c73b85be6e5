// The winners of a search: for each budget the best feasible trial within it, then the top-K
// feasible trials (the front first, each group by the first objective), trained again with
// the final recipe (longer, from the architecture's initial weights), measured on the test
// split, and exported as ONNX models with their trained weights:
// DIR/winners/<rank>_<hash>.onnx, described by DIR/winners/winners.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "evaluator/data/dataset.h"
#include "evaluator/evaluate.h"
#include "search/objectives.h"
#include "search/trial.h"
#include "space/search_space.h"

namespace nas::search {

struct FinalRecipe {
  evaluator::EvaluationConfig evaluation;  // training recipe and targets; test accuracy is
                                           // always measured
  evaluator::DataSplits data;
  // The winners' training steps take about this long in all, each at most
  // evaluation.train.epochs (final_epochs.h); none: each trains that many epochs.
  std::optional<double> wall_seconds;
  // How the data set turned pixels into the model's input: folded into the exported
  // winners, which then take pixel / 255 (float32 in [0, 1]). None: the data are the
  // model's input as they are (the synthetic set).
  std::optional<evaluator::Normalization> input_normalization;
  std::vector<std::string> class_names;  // in label order; empty: unnamed
};

struct ExperimentConfig;

// The final recipe of a config: its `final` training, on its targets, with its data.
FinalRecipe final_recipe(const ExperimentConfig& config, const space::SearchSpace& space);

struct Winner {
  int rank = 0;          // 1-based
  int64_t trial = 0;     // the trial it was chosen from
  std::string picked_for;  // WinnerPick::picked_for
  std::string arch;
  uint64_t hash = 0;     // the space's hash of the architecture
  std::string file;      // under DIR/winners; empty when the final training failed
  int64_t epochs = 0;    // of the final training
  double epoch_seconds = 0;  // one epoch's training steps, timed (with a wall-time budget)
  evaluator::EvalResult final_result;
};

// Which trials become winners.
struct WinnerSelection {
  std::vector<WinnerBudget> budgets;  // each picks the best feasible trial within it
  int top_k = 0;                      // then this many more, best first
};

// "latency:host <= 0.1, params <= 50000".
std::string describe_budget(const WinnerBudget& budget);

struct WinnerPick {
  size_t record = 0;
  std::string picked_for;  // "front" (the top-K), or the budget it is the best within
};

// The records to export: for each budget the best feasible trial (by the first objective)
// within it, once each and in budget order (a budget no trial meets picks none, with a
// warning), then pick_winners' top_k not picked already.
std::vector<WinnerPick> select_winners(const std::vector<TrialRecord>& records,
                                       const space::SearchSpace& space,
                                       const std::vector<ObjectiveSpec>& objectives,
                                       const std::vector<ConstraintSpec>& constraints,
                                       const WinnerSelection& selection);

// Indices of the records to export, best first: the front (by the first objective), then
// the other feasible trials (by the first objective, each architecture once, its longest
// evaluation), at most top_k.
std::vector<size_t> pick_winners(const std::vector<TrialRecord>& records,
                                 const space::SearchSpace& space,
                                 const std::vector<ObjectiveSpec>& objectives,
                                 const std::vector<ConstraintSpec>& constraints, int top_k);

// Trains, measures and exports the winners select_winners picks into DIR/winners (replacing
// the ONNX files of an earlier export) and writes winners.json. The space must have a
// network template.
std::vector<Winner> export_winners(const std::filesystem::path& dir,
                                   const std::vector<TrialRecord>& records,
                                   const space::SearchSpace& space,
                                   const std::vector<ObjectiveSpec>& objectives,
                                   const std::vector<ConstraintSpec>& constraints,
                                   const FinalRecipe& recipe, const WinnerSelection& selection);

}  // namespace nas::search
