// What one evaluation of a candidate produces: its cost metrics (from the graph alone) and
// the full record of the evaluation (status, accuracy, training curve, latency per target).
// Records round-trip through JSON exactly, so the experiment store can keep them as text.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/runtime/timing.h"

namespace nas::evaluator {

// Costs read off the inference graph, at the batch of its inputs.
struct ModelCost {
  int64_t parameters = 0;             // elements of float constants
  int64_t flops = 0;                  // from the op registry (2 per multiply-add)
  int64_t model_bytes = 0;            // bytes of all constants
  int64_t peak_activation_bytes = 0;  // arena of the static memory plan (inputs included)

  nlohmann::json to_json() const;
  static ModelCost from_json(const nlohmann::json& j);
  bool operator==(const ModelCost&) const = default;
};

ModelCost cost_metrics(const graph::Graph& graph);

// Infeasible: the candidate's costs, measured before training, break a hard constraint of
// the search, so it was not trained (its accuracy is not measured). Stopped: training was
// stopped early, its learning curve being unable to reach the front; its accuracy is the
// one measured where it stopped.
enum class EvalStatus { Ok, Failed, Diverged, TimedOut, Infeasible, Stopped };

// "ok", "failed", "diverged", "timed_out", "infeasible", "stopped".
std::string_view status_name(EvalStatus status);
// The inverse; an unknown name is a UserError listing the known ones.
EvalStatus parse_status(std::string_view name);

// Latency on one target, in milliseconds.
struct LatencyResult {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double p25_ms = 0;
  double p75_ms = 0;
  int64_t repeats = 0;
  int threads = 1;
  double compile_seconds = 0;  // compiling the model for the target (0 in older records)
  double spread = 0;           // of the round medians, relative (0 in older records)
  // The calibration work's median (0 without), and how much slower than its quiet speed
  // the machine ran: the times above are at the quiet speed (timing.h).
  double calibration_ms = 0;
  double slowdown = 1;
  // With auto-tuning (the times above are then the tuned schedules'): the default
  // schedules' median, and the seconds spent tuning; 0 without.
  double untuned_median_ms = 0;
  double tune_seconds = 0;

  static LatencyResult from_stats(const runtime::TimingStats& stats, int threads,
                                  double compile_seconds = 0);
  nlohmann::json to_json() const;
  static LatencyResult from_json(const nlohmann::json& j);
  bool operator==(const LatencyResult&) const = default;
};

// The record of one evaluated candidate. A failure is a record with its reason, never a
// crash of the search; the fields it did not reach keep their defaults.
struct EvalResult {
  EvalStatus status = EvalStatus::Ok;
  std::string reason;                   // empty when ok
  double accuracy = 0;                  // top-1 on the validation split, in [0, 1]
  std::optional<double> test_accuracy;  // top-1 on the test split, when measured
  std::vector<double> loss_curve;       // mean training loss per epoch (NaN when diverged)
  // Validation accuracy after the epochs where early stopping measured it, by epoch count.
  std::map<int64_t, double> epoch_accuracy;
  double training_seconds = 0;
  double step_ms = 0;                            // median training step
  // Training memory (the compiled step's activations, weights, gradients and the
  // optimizer's state; 0 on the reference trainer), and the seconds compiling it took.
  int64_t peak_training_bytes = 0;
  double training_compile_seconds = 0;
  std::map<std::string, LatencyResult> latency;  // by target name
  ModelCost cost;

  // NaN losses are written as null (JSON has no NaN) and read back as NaN.
  nlohmann::json to_json() const;
  // A malformed record is a UserError saying which field is wrong.
  static EvalResult from_json(const nlohmann::json& j);
};

}  // namespace nas::evaluator
