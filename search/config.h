// The experiment config: one YAML file (configs/README.md documents every key) parsed into
// typed fields. Unknown keys and ill-typed values are UserErrors naming FILE:LINE:COL;
// `--set a.b=value` overrides are applied to the YAML tree before it is parsed, so they are
// checked exactly like keys of the file. The resolved config (file plus overrides) is what
// a search saves with its results, and `resume_key()` is the part of it that defines the
// results, which a resumed search must share with the search it continues.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/runtime/timing.h"
#include "evaluator/data/data_splits.h"
#include "evaluator/evaluate.h"
#include "evaluator/train/recipe.h"
#include "search/hardware.h"
#include "search/objectives.h"

namespace nas::search {

// The `data:` section and the `training:` recipe are the evaluator's, shared with `nas train`.
using DataConfig = evaluator::DataSpec;
using TrainingRecipe = evaluator::TrainingRecipe;

// Tuning trials per new kernel workload in a search, unless `tuning: {trials: N}` says.
inline constexpr int kDefaultTuningTrials = 4;

// A place latency is measured, with its own limits. Only "host" runs models so far.
struct TargetConfig {
  std::string name = "host";
  // Threads of an inference when latency is measured; nullopt: the target's own (a target
  // file's `threads:`, else 1). See evaluator::latency_compile_target.
  std::optional<int> threads;
  std::optional<double> max_latency_ms;
  std::optional<double> max_params;
  std::optional<double> max_peak_memory;
  // Hardware its latency must be measured on (`requires:`); empty: any machine.
  HardwareRequirement requirement;
};

// Successive halving (successive_halving.h) over training epochs: every candidate trains
// for epochs[0]; the best 1/eta of each batch go on to epochs[1], and so on. Empty: one
// fidelity, training.epochs.
struct FidelityConfig {
  std::vector<int64_t> epochs;  // strictly increasing
  int eta = 3;
  // Stop a trial after an epoch when its learning curve cannot reach the front
  // (early_stopping.h); costs a validation pass after each epoch but a fidelity's last.
  bool early_stopping = false;
};

struct FinalConfig {
  int64_t top_k = 0;  // with no budgets, 0: no final training
  std::vector<WinnerBudget> budgets;  // each adds the best trial within it
  bool trains_winners() const { return top_k > 0 || !budgets.empty(); }
  std::optional<int64_t> train_subset;  // none: data.train_subset
  bool include_validation = false;      // also train on the validation split
  // The winners' training steps take about this long in all; each trains at most
  // recipe.epochs (final_epochs.h). None: each trains recipe.epochs.
  std::optional<double> wall_minutes;
  TrainingRecipe recipe;
};

struct ExperimentConfig {
  std::filesystem::path file;  // where it was read from
  std::string name;
  std::filesystem::path output;  // results folder
  uint64_t seed = 0;
  DataConfig data;
  std::filesystem::path space;  // space file (absolute, or relative to the working folder)
  std::string space_digest;     // hash of the space file's contents when the config was read
  std::vector<TargetConfig> targets = {TargetConfig{}};
  std::optional<double> max_params;  // global constraints
  std::optional<double> max_peak_memory;
  std::vector<ObjectiveSpec> objectives;
  std::string strategy = "random";
  nlohmann::json strategy_settings = nlohmann::json::object();
  // "FILE:LINE:COL" (or "--set KEY") of the strategy's section and of each of its settings,
  // for the errors check_strategy finds in them once the space is known (the file where
  // there is no section).
  std::string strategy_at;
  std::map<std::string, std::string> strategy_setting_at;
  int64_t candidates = 16;  // budget: candidates evaluated in all
  double wall_minutes = 0;  // budget: no new batch after this long (0: no limit)
  int64_t batch = 0;        // candidates per ask(); 0: one per worker
  int workers = 1;
  int threads_per_worker = 1;
  runtime::TimingProtocol timing;
  // `tuning:` each candidate's new kernels tuned with `trials` measurements each (0: the
  // default schedules) into the records of `records` (a folder, one file per target).
  evaluator::LatencyTuning tuning{.trials = kDefaultTuningTrials,
                                  .records_dir = evaluator::default_tuning_dir()};
  TrainingRecipe training;
  FidelityConfig fidelity;
  FinalConfig final_training;

  std::string resolved_yaml;  // the file with every override applied, as YAML text

  // The training epochs of each fidelity, lowest first ({training.epochs} without a
  // fidelity scheduler).
  std::vector<int64_t> fidelity_epochs() const;
  // Candidates asked per batch.
  int64_t batch_size() const { return batch > 0 ? batch : workers; }
  // Every constraint: latency per target, parameters, peak memory (the tighter of a target's
  // and the global limit).
  std::vector<ConstraintSpec> constraints() const;
  // What every target requires at once: the hardware a candidate is evaluated on (a config
  // whose targets require two different CPUs is refused when read).
  HardwareRequirement hardware_requirement() const;
  // The same; nullopt when two targets require different CPUs.
  std::optional<HardwareRequirement> hardware_requirement_or_none() const;
  // The keys that define the results (data, space, targets, constraints, objectives,
  // strategy and settings, recipe, seed, batch size; not the budget, parallelism, timing,
  // output or final training), flattened to {"data.train_subset": 2000, ...}, with the space
  // file's contents as "space (file contents)".
  nlohmann::json resume_key() const;
  // A stable hash of resume_key() (16 hex digits).
  std::string resume_hash() const;
};

// Reads a config file, applying overrides "a.b=value" (value is YAML: 8, 0.5, text, [1, 2]).
ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides = {});
// Parses config text as if read from `file` (paths in it are relative to file's folder).
ExperimentConfig parse_config(const std::string& text, const std::filesystem::path& file,
                              const std::vector<std::string>& overrides = {});

// The differences between a stored resume key and a new one, one "key old -> new" each,
// in key order; empty when they agree.
std::vector<std::string> resume_key_changes(const nlohmann::json& before,
                                            const nlohmann::json& after);

}  // namespace nas::search
