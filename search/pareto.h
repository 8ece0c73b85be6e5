// Pareto ranking of trial results under constraint-domination (Deb et al., NSGA-II).
//
// Order of merit: an ok feasible result beats an ok infeasible one, which beats a failed one;
// of two infeasible results the smaller violation wins; of two feasible results the one that
// Pareto-dominates (no objective worse, one better; objectives are minimised) wins; failed
// results never beat each other. Every ordering here is deterministic: ties are broken by
// index, never by anything that depends on memory layout.
#pragma once

#include <cstddef>
#include <vector>

#include "search/strategy.h"

namespace nas::search {

// True when `a` constraint-dominates `b`.
bool constraint_dominates(const TrialResult& a, const TrialResult& b);

// Fast non-dominated sorting: indices of `results` by front (front 0 is dominated by no
// one), each front in ascending index order.
std::vector<std::vector<size_t>> non_dominated_fronts(const std::vector<TrialResult>& results);

// Crowding distance of each member of one front (same order as `front`): the sum over
// objectives of the normalised gap between each member's neighbours; the extremes of each
// objective get infinity. Members without objectives (failed) get 0.
std::vector<double> crowding_distances(const std::vector<TrialResult>& results,
                                       const std::vector<size_t>& front);

// Rank (front number) and crowding distance of every result.
struct ParetoRanking {
  std::vector<int> rank;
  std::vector<double> crowding;
  // NSGA-II's crowded comparison: lower rank, then larger crowding, then lower index.
  bool better(size_t a, size_t b) const;
};
ParetoRanking pareto_ranking(const std::vector<TrialResult>& results);

// All indices sorted best first by the crowded comparison.
std::vector<size_t> crowded_order(const std::vector<TrialResult>& results);

// Indices (ascending) of the feasible, ok results that no other feasible result dominates.
std::vector<size_t> pareto_front(const std::vector<TrialResult>& results);

}  // namespace nas::search
