#include "search/early_stopping.h"

#include <algorithm>

#include <fmt/format.h>

namespace nas::search {

std::shared_ptr<const EarlyStopping> EarlyStopping::from_records(
    const std::vector<TrialRecord>& finished, int64_t epochs, const space::SearchSpace& space,
    const std::vector<ObjectiveSpec>& objectives, const std::vector<ConstraintSpec>& constraints) {
  auto rule = std::make_shared<EarlyStopping>();
  rule->epochs_ = epochs;
  int accuracy_objectives = 0;
  for (const ObjectiveSpec& o : objectives) {
    if (o.metric == "accuracy" && o.maximize) {
      ++accuracy_objectives;
    } else if (known_before_training(o.metric)) {
      rule->cost_objectives_.push_back(o);
    } else {
      return nullptr;  // an objective that training measures, other than accuracy
    }
  }
  if (accuracy_objectives != 1) return nullptr;
  for (const TrialRecord& t : finished) {
    if (t.fidelity != epochs || t.result.status != evaluator::EvalStatus::Ok) continue;
    const TrialResult r = to_trial_result(space.parse(t.arch), t.result, objectives, constraints);
    rule->finished_.push_back({.id = t.id,
                               .accuracy = t.result.accuracy,
                               .epoch_accuracy = t.result.epoch_accuracy,
                               .costs = rule->cost_values(t.result),
                               .feasible = r.violation == 0});
  }
  return rule;
}

std::vector<double> EarlyStopping::cost_values(const evaluator::EvalResult& r) const {
  std::vector<double> values;
  for (const ObjectiveSpec& o : cost_objectives_) {
    const double v = metric_value(r, o.metric);
    values.push_back(o.maximize ? -v : v);
  }
  return values;
}

std::string EarlyStopping::why_stop(int64_t epochs_done, double accuracy,
                                    const evaluator::EvalResult& costs) const {
  size_t curves = 0;
  double gain = 0;  // never less: a curve that fell says nothing about this one rising
  for (const Finished& f : finished_)
    if (const auto it = f.epoch_accuracy.find(epochs_done); it != f.epoch_accuracy.end()) {
      ++curves;
      gain = std::max(gain, f.accuracy - it->second);
    }
  if (curves < kMinCurves) return "";
  const double best_case = accuracy + gain;
  const std::vector<double> mine = cost_values(costs);
  const Finished* dominant = nullptr;  // the most accurate that dominates the best case
  for (const Finished& f : finished_) {
    if (!f.feasible || !(f.accuracy > best_case)) continue;
    bool no_more_cost = true;
    for (size_t k = 0; k < mine.size(); ++k) no_more_cost = no_more_cost && f.costs[k] <= mine[k];
    if (no_more_cost && (!dominant || f.accuracy > dominant->accuracy)) dominant = &f;
  }
  if (!dominant) return "";
  return fmt::format(
      "stopped after epoch {} of {}: accuracy {:.4f} can reach at most {:.4f} (the largest gain "
      "from epoch {} to {} of {} earlier trials, {:.4f}); trial {} reached {:.4f} at no more "
      "cost",
      epochs_done, epochs_, accuracy, best_case, epochs_done, epochs_, curves, gain,
      dominant->id, dominant->accuracy);
}

}  // namespace nas::search
