// Evaluates one architecture (a model graph) into measured numbers: cost metrics from the
// graph, latency measured on each target with the timing protocol, accuracy after a brief
// training run. Knows nothing of search strategies. Anything that goes wrong (a model that
// does not verify, a diverging or overlong training run, an exception in a kernel) becomes
// an EvalResult with its status and reason, never an exception out of here.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/runtime/timing.h"
#include "compiler/target/target.h"
#include "evaluator/data/dataset.h"
#include "evaluator/metrics.h"
#include "evaluator/train/trainer.h"

namespace nas::evaluator {

// Where latency is measured: a target name or file (target::parse_target) that can run
// here. The model is compiled for it (runtime/compiled_model.h) and the compiled code is
// timed at `threads` threads when given, else at the target's own (a target file's
// `threads:`, else 1), as `nas bench` and `nas run` time it.
struct LatencyTarget {
  std::string name = "host";
  std::optional<int> threads;
};

// Auto-tuning before a latency is measured (compiler/tune/): the kernels whose workloads
// the target's records file lacks are tuned with `trials` measurements each, and the
// latency is measured with the records' best schedules; the default schedules' latency is
// kept beside it (LatencyResult::untuned_median_ms). trials 0: no tuning.
struct LatencyTuning {
  int trials = 0;
  // Where the records files live, one per target (tuning_records_file); shared by every
  // experiment that names the same folder.
  std::filesystem::path records_dir;
};
// The records file of a target in `dir`: named after the target, its CPU and threads.
std::filesystem::path tuning_records_file(const std::filesystem::path& dir,
                                          const target::Target& target);
// $XDG_CACHE_HOME/nas/tuning, else $HOME/.cache/nas/tuning, else ./.nas-tuning.
std::filesystem::path default_tuning_dir();

// The compile target of `target`, with the threads its latency is measured at: the one rule
// for a search, `nas train` and the winners' final training.
target::Target latency_compile_target(const LatencyTarget& target);

struct EvaluationConfig {
  TrainConfig train;
  std::vector<LatencyTarget> targets = {LatencyTarget{}};
  runtime::TimingProtocol timing;
  LatencyTuning tuning;
  bool test_accuracy = false;  // also measure on the test split (final reports only)
  // A latency that did not settle within timing.max_spread fails the candidate (a search
  // must not rank on it); otherwise it is reported with its spread and slowdown (`nas
  // train`, the winners' final training).
  bool require_repeatable_latency = false;
  // Set by a search: why the costs measured before training (cost metrics, latency) break
  // one of its hard constraints, or "" when none is broken. A candidate that breaks one is
  // not trained (EvalStatus::Infeasible): no strategy can rank it above a feasible one.
  std::function<std::string(const EvalResult&)> broken_constraint;
  // Set by a search for early stopping: after each epoch but the last, the validation
  // accuracy is measured (into EvalResult::epoch_accuracy) and this says why training
  // should stop there (epochs done, that accuracy, the costs measured before training), or
  // "" to go on. A candidate stopped is EvalStatus::Stopped with that accuracy.
  std::function<std::string(int64_t epochs_done, double accuracy, const EvalResult& costs)>
      early_stop;
  // Latencies measured before, by target name (a promoted candidate's, at a lower fidelity):
  // taken as they are instead of measured again.
  std::map<std::string, LatencyResult> known_latency;
  std::function<void(const EpochProgress&)> on_epoch;  // progress of training, may be empty
  // Set by a caller that runs several evaluations at once on one machine: latency is then
  // measured while no training step runs (train.gate is set from it).
  MeasurementGate* gate = nullptr;
};

// Latency of one inference at batch 1 on a target, and the time it took to compile the
// model for it (with `tuning`, tuned first: see LatencyTuning); with a gate, measured (and
// tuned) while no training step of another worker runs. A model that does not compile, or
// a target that cannot run here, is a UserError; so is a latency that does not settle,
// when `require_repeatable`.
LatencyResult measure_latency(const graph::Graph& model, const LatencyTarget& target,
                              const runtime::TimingProtocol& protocol,
                              MeasurementGate* gate = nullptr, bool require_repeatable = false,
                              const LatencyTuning& tuning = {});

// Accuracy is measured on the validation split (left 0 when that split is empty).
// `state` (optional) is where training starts and receives the trained state, so a
// scheduler can continue it to a larger budget later.
EvalResult evaluate_candidate(const graph::Graph& model, const DataSplits& data,
                              const EvaluationConfig& config, TrainState* state = nullptr);

}  // namespace nas::evaluator
