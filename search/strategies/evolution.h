// Regularized (aging) evolution (Real et al., 2019): the population is the last
// `population` results told; each child mutates the best of `sample_size` members drawn
// from it, so every member dies of old age whatever its fitness. With several objectives
// and constraints, "best" is NSGA-II's crowded comparison over the population (constraint-
// domination rank, then crowding distance). Until the population is full, children are
// random.
//
// Settings: population (default 20), sample_size (default 5), mutation_rate (probability
// of changing each decision; default 1 / number of decisions; one decision always changes).
#pragma once

#include <memory>

#include "search/strategy.h"

namespace nas::search {

std::unique_ptr<Strategy> make_evolution_strategy(const space::SearchSpace& space,
                                                  uint64_t seed, const nlohmann::json& settings,
                                                  int num_objectives);

}  // namespace nas::search
