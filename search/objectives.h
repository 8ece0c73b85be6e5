// Objectives and constraints of a search, read off evaluation records.
//
// Metric names: "accuracy", "test_accuracy", "latency:<target>" (median ms), "params",
// "flops", "peak_memory" (bytes), "model_bytes", "step_ms", "training_seconds".
#pragma once

#include <string>
#include <vector>

#include "evaluator/metrics.h"
#include "search/strategy.h"

namespace nas::search {

struct ObjectiveSpec {
  std::string metric;
  bool maximize = false;
};

struct ConstraintSpec {
  std::string metric;
  double max = 0;  // the metric must be <= max
};

// A cost a deployed winner must meet, such as {latency:host <= 0.1}: every metric at most its
// limit (final.budgets).
using WinnerBudget = std::vector<ConstraintSpec>;

// The metric's value in a record; UserError for an unknown metric name or a target the
// record has no latency for.
double metric_value(const evaluator::EvalResult& result, const std::string& metric);
// UserError unless `metric` names a known metric (checked when a config is loaded).
void check_metric_name(const std::string& metric);

// Whether `metric` is known before training (cost metrics and latency), so a constraint on
// it can rule a candidate out before it is trained.
bool known_before_training(const std::string& metric);
// "" when `result` meets every constraint on a metric known before training; else which it
// breaks, e.g. "latency:host 0.156 > 0.1". A search does not train such a candidate.
std::string broken_constraint(const evaluator::EvalResult& result,
                              const std::vector<ConstraintSpec>& constraints);

// The strategy's view of a record: objectives in minimisation form, and the violation
// sum_i max(0, value_i / max_i - 1) over constraints (relative, so units do not matter). An
// infeasible record (not trained) is ok and not trained: its accuracy objectives read 0.
TrialResult to_trial_result(const space::Architecture& arch, const evaluator::EvalResult& result,
                            const std::vector<ObjectiveSpec>& objectives,
                            const std::vector<ConstraintSpec>& constraints);

}  // namespace nas::search
