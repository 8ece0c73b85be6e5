#include "search/successive_halving.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"
#include "search/pareto.h"

namespace nas::search {

SuccessiveHalving::SuccessiveHalving(std::vector<double> budgets, int eta)
    : budgets_(std::move(budgets)), eta_(eta) {
  if (budgets_.empty()) user_error("successive halving: budgets must list at least one budget");
  for (size_t i = 0; i < budgets_.size(); ++i)
    if (!(budgets_[i] > 0) || (i > 0 && !(budgets_[i] > budgets_[i - 1])))
      user_error("successive halving: budgets must be positive and increasing (got [{}])",
                 fmt::join(budgets_, ", "));
  if (eta_ < 2) user_error("successive halving: eta must be an integer >= 2 (got {})", eta_);
}

double SuccessiveHalving::budget(int rung) const {
  NAS_CHECK(rung >= 0 && rung < rungs(), "rung {} out of range [0, {})", rung, rungs());
  return budgets_[rung];
}

std::vector<int64_t> SuccessiveHalving::promote(const std::vector<RungResult>& results,
                                                int rung) const {
  NAS_CHECK(rung >= 0 && rung < rungs(), "rung {} out of range [0, {})", rung, rungs());
  if (rung + 1 == rungs()) return {};
  std::vector<TrialResult> trials;
  size_t ranked = 0;  // all but those ruled out before training
  for (const RungResult& r : results) {
    trials.push_back(r.result);
    ranked += !(r.result.ok && !r.result.trained);
  }
  const size_t keep = ranked / static_cast<size_t>(eta_);
  std::vector<int64_t> promoted;
  for (size_t i : crowded_order(trials)) {
    if (promoted.size() == keep || !trials[i].ok) break;
    if (!trials[i].trained) continue;  // may rank above an infeasible trained one
    promoted.push_back(results[i].trial_id);
  }
  return promoted;
}

}  // namespace nas::search
