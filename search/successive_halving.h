// Successive halving as a fidelity scheduler, usable with any strategy (Jamieson & Talwalkar,
// 2016; Hyperband's inner loop).
//
// Contract with the orchestrator: every new trial is first evaluated at rung 0 (the smallest
// budget, e.g. 1 epoch). When all the trials of a group have results at rung r, the
// orchestrator calls promote(results at rung r, r) and evaluates the returned trials at rung
// r + 1 (a larger budget). promote is pure and deterministic: it ranks the results by
// constraint-domination (non-dominated rank, then crowding distance, then the order given)
// and returns the ids of the best floor(n / eta), best first, n counting all but the results
// ruled out before training.
// Failed results and those ruled out before training are never promoted, and nothing is
// promoted from the last rung. Strategies should be told the
// result of a trial at the highest rung it reached.
#pragma once

#include <cstdint>
#include <vector>

#include "search/strategy.h"

namespace nas::search {

struct RungResult {
  int64_t trial_id = 0;
  TrialResult result;
};

class SuccessiveHalving {
 public:
  // Budgets strictly increasing and positive (e.g. epochs 1, 3, 9); eta >= 2. UserError
  // otherwise, naming the bad value.
  SuccessiveHalving(std::vector<double> budgets, int eta);

  int rungs() const { return static_cast<int>(budgets_.size()); }
  double budget(int rung) const;
  int eta() const { return eta_; }

  // Trial ids of `results` (all evaluated at `rung`) to evaluate at rung + 1, best first.
  std::vector<int64_t> promote(const std::vector<RungResult>& results, int rung) const;

 private:
  std::vector<double> budgets_;
  int eta_;
};

}  // namespace nas::search
