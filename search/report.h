// The tables at the end of a search: results.csv (one row per trial), results.json (the
// experiment's objectives, constraints, space decisions and every trial with its
// architecture as JSON and its full evaluation record) and pareto.csv (the feasible front).
//
// Which trials count: a trial is feasible when its evaluation is ok and every constraint
// holds. Multi-fidelity runs evaluate an architecture more than once; the record trained
// longest (the latest on a tie) speaks for its architecture on the front, the others are
// "superseded". The front is the set of feasible, non-superseded trials no other such trial
// dominates in the objectives.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/objectives.h"
#include "search/trial.h"
#include "search/winners.h"
#include "space/search_space.h"

namespace nas::search {

// How the report sees one trial.
struct TrialStanding {
  bool ok = false;          // evaluation status ok
  bool trained = false;     // ok and trained (not ruled out by its costs before training)
  bool feasible = false;    // ok and every constraint holds
  bool superseded = false;  // a longer (or later) evaluation of the same architecture exists
  bool on_front = false;
  std::vector<double> objectives;  // minimisation form (to_trial_result)
  double violation = 0;
};

// One standing per record, in record order.
std::vector<TrialStanding> rank_trials(const std::vector<TrialRecord>& records,
                                       const space::SearchSpace& space,
                                       const std::vector<ObjectiveSpec>& objectives,
                                       const std::vector<ConstraintSpec>& constraints);

// Indices of the front's records, sorted by the first objective (best first), then id.
std::vector<size_t> front_order(const std::vector<TrialRecord>& records,
                                const std::vector<TrialStanding>& standings);

// The fixed reference point of an experiment's hypervolume, in minimisation form (see
// to_trial_result): 0 for a maximised objective (accuracy-like metrics are >= 0), and for a
// minimised one the bound of a constraint on the same metric. nullopt when a minimised
// objective has no such constraint: without a fixed bound, hypervolumes of two runs would
// not be comparable.
std::optional<std::vector<double>> hypervolume_reference(
    const std::vector<ObjectiveSpec>& objectives, const std::vector<ConstraintSpec>& constraints);

// The hypervolume of the feasible trials (objectives in minimisation form) with respect to
// hypervolume_reference; nullopt where that has none.
std::optional<double> experiment_hypervolume(const std::vector<TrialStanding>& standings,
                                             const std::vector<ObjectiveSpec>& objectives,
                                             const std::vector<ConstraintSpec>& constraints);

// One CSV field: quoted (with inner quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& text);

// Writes results.csv, results.json and pareto.csv into `dir` (created if missing).
void write_results(const std::filesystem::path& dir, const std::vector<TrialRecord>& records,
                   const space::SearchSpace& space, const std::vector<ObjectiveSpec>& objectives,
                   const std::vector<ConstraintSpec>& constraints);

// What a finished experiment holds, as the report and the export read it back.
struct Experiment {
  space::SearchSpace space;
  std::vector<ObjectiveSpec> objectives;
  std::vector<ConstraintSpec> constraints;
  std::vector<TrialRecord> records;
  // The final training recipe with its data, for `nas export`; empty where the folder does
  // not say (results.json alone does not, and its space has no network template).
  std::function<FinalRecipe()> final_recipe;
  WinnerSelection final_selection;  // the config's final.budgets and final.top_k
};

// results.json's content: the experiment, every trial, and a summary {"trials", "ok",
// "feasible", "front", "hypervolume", "hypervolume_reference"} (the last two null where
// hypervolume_reference is).
nlohmann::json results_json(const std::vector<TrialRecord>& records,
                            const space::SearchSpace& space,
                            const std::vector<ObjectiveSpec>& objectives,
                            const std::vector<ConstraintSpec>& constraints);
// The inverse of results_json; the space comes back without a network template.
// `source` names the file in errors.
Experiment experiment_from_json(const nlohmann::json& j, const std::string& source);

// The experiment in `dir`, read from DIR/results.json (which write_results writes). UserError naming the file when it is
// missing or malformed.
Experiment load_experiment(const std::filesystem::path& dir);

}  // namespace nas::search
