#include "search/objectives.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "compiler/support/error.h"

namespace nas::search {

void check_metric_name(const std::string& metric) {
  static const char* kNames[] = {"accuracy", "test_accuracy", "params", "flops", "peak_memory",
                                 "model_bytes", "step_ms", "training_seconds"};
  if (metric.rfind("latency:", 0) == 0 && metric.size() > 8) return;
  for (const char* name : kNames)
    if (metric == name) return;
  user_error("unknown metric '{}' (expected accuracy, test_accuracy, latency:<target>, params, "
             "flops, peak_memory, model_bytes, step_ms or training_seconds)",
             metric);
}

double metric_value(const evaluator::EvalResult& r, const std::string& metric) {
  check_metric_name(metric);
  if (metric == "accuracy") return r.accuracy;
  if (metric == "test_accuracy") return r.test_accuracy.value_or(0.0);
  if (metric == "params") return static_cast<double>(r.cost.parameters);
  if (metric == "flops") return static_cast<double>(r.cost.flops);
  if (metric == "peak_memory") return static_cast<double>(r.cost.peak_activation_bytes);
  if (metric == "model_bytes") return static_cast<double>(r.cost.model_bytes);
  if (metric == "step_ms") return r.step_ms;
  if (metric == "training_seconds") return r.training_seconds;
  const std::string target = metric.substr(8);
  auto it = r.latency.find(target);
  if (it == r.latency.end()) user_error("the record has no latency on target '{}'", target);
  return it->second.median_ms;
}

bool known_before_training(const std::string& metric) {
  return metric == "params" || metric == "flops" || metric == "peak_memory" ||
         metric == "model_bytes" || metric.starts_with("latency:");
}

std::string broken_constraint(const evaluator::EvalResult& result,
                              const std::vector<ConstraintSpec>& constraints) {
  std::string broken;
  for (const ConstraintSpec& c : constraints) {
    if (!known_before_training(c.metric)) continue;
    const double v = metric_value(result, c.metric);
    if (v > c.max) broken += fmt::format("{}{} {:.4g} > {:.4g}", broken.empty() ? "" : ", ",
                                         c.metric, v, c.max);
  }
  return broken;
}

TrialResult to_trial_result(const space::Architecture& arch, const evaluator::EvalResult& r,
                            const std::vector<ObjectiveSpec>& objectives,
                            const std::vector<ConstraintSpec>& constraints) {
  TrialResult t;
  t.arch = arch;
  using evaluator::EvalStatus;
  // A trial stopped early is trained, to where it stopped: its accuracy is real.
  t.ok = r.status == EvalStatus::Ok || r.status == EvalStatus::Infeasible ||
         r.status == EvalStatus::Stopped;
  t.trained = r.status != EvalStatus::Infeasible;
  for (const ObjectiveSpec& o : objectives) {
    if (!t.ok) {
      t.objectives.push_back(std::numeric_limits<double>::infinity());
      continue;
    }
    const double v = metric_value(r, o.metric);
    t.objectives.push_back(o.maximize ? -v : v);
  }
  for (const ConstraintSpec& c : constraints) {
    if (!t.ok) break;
    const double v = metric_value(r, c.metric);
    t.violation += std::max(0.0, c.max > 0 ? v / c.max - 1.0 : v - c.max);
  }
  if (!t.ok) t.violation = std::numeric_limits<double>::infinity();
  return t;
}

}  // namespace nas::search
