// Predictor-guided search: XGBoost surrogates of every objective (and of infeasibility when
// constraints have been violated), trained on all results so far, choose the candidates
// expected to improve the feasible Pareto front most.
//
// After `initial` random proposals have been told, each ask builds a pool of `pool` random
// unseen architectures plus mutations of the current front, predicts them, and picks
// greedily: the candidate predicted feasible with the largest predicted hypervolume
// improvement of the front (objectives normalised by the range seen so far, reference point
// 1.1), whose prediction then joins the front for the next pick. Ties at zero improvement
// go to the candidate closest to the front (additive epsilon distance); candidates
// predicted infeasible come last, least infeasible first. Each pick is instead a random
// pool member with probability `epsilon`.
//
// Settings: initial (default 20), pool (default 1000), epsilon (default 0.1), rounds
// (boosting rounds, default 50), max_depth (default 4).
#pragma once

#include <memory>

#include "search/strategy.h"

namespace nas::search {

std::unique_ptr<Strategy> make_predictor_strategy(const space::SearchSpace& space,
                                                  uint64_t seed, const nlohmann::json& settings,
                                                  int num_objectives);

}  // namespace nas::search
