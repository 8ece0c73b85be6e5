// Early stopping within a fidelity: a trial whose learning curve cannot reach the front is
// stopped after an epoch instead of trained to the end of its fidelity.
//
// "Cannot reach" is judged on the search's own curves, conservatively: after epoch e the
// trial's validation accuracy a_e can gain at most the largest gain from epoch e to the end
// of the fidelity that any trial of an earlier batch made at that fidelity (at least
// kMinCurves of them, else nothing is stopped). If a feasible trial of an earlier batch at
// the same fidelity ended above that bound at no more cost in every other objective, the
// trial would be dominated even at best: it is stopped, its accuracy the one at epoch e.
// Only earlier batches count, so the decision does not depend on which worker finishes
// first, and a resumed search decides as the first run did.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "evaluator/metrics.h"
#include "search/objectives.h"
#include "search/trial.h"

namespace nas::search {

class EarlyStopping {
 public:
  static constexpr size_t kMinCurves = 3;

  // The rule for trials trained to `epochs` (a fidelity), from the records of the batches
  // finished so far. Null when the objectives are not accuracy (maximised) plus costs known
  // before training: then a curve says nothing about the front.
  static std::shared_ptr<const EarlyStopping> from_records(
      const std::vector<TrialRecord>& finished, int64_t epochs, const space::SearchSpace& space,
      const std::vector<ObjectiveSpec>& objectives,
      const std::vector<ConstraintSpec>& constraints);

  // Why a trial with the costs of `costs` (its cost metrics and latencies) should stop
  // after `epochs_done` epochs at `accuracy`, or "" to go on.
  std::string why_stop(int64_t epochs_done, double accuracy,
                       const evaluator::EvalResult& costs) const;

 private:
  struct Finished {
    int64_t id = 0;
    double accuracy = 0;
    std::map<int64_t, double> epoch_accuracy;
    std::vector<double> costs;  // the cost objectives, minimisation form
    bool feasible = false;
  };
  std::vector<double> cost_values(const evaluator::EvalResult& r) const;

  int64_t epochs_ = 0;
  std::vector<ObjectiveSpec> cost_objectives_;
  std::vector<Finished> finished_;
};

}  // namespace nas::search
