// NSGA-II (Deb et al., 2002) with constraint-domination, over a discrete space.
//
// The first `population` results told form the first population (random proposals until
// then). Offspring come from binary tournaments by the crowded comparison (constraint-
// domination rank, then crowding distance), uniform crossover with probability `crossover`,
// then mutation. Each time `population` offspring have been told, (mu + lambda) survival
// keeps the best `population` of parents and offspring. Generations count told results,
// not tell calls, so the state does not depend on how results are grouped into batches.
//
// Settings: population (default 20), crossover (default 0.9), mutation_rate (probability
// of changing each decision; default 1 / number of decisions; one decision always changes).
#pragma once

#include <memory>

#include "search/strategy.h"

namespace nas::search {

std::unique_ptr<Strategy> make_nsga2_strategy(const space::SearchSpace& space, uint64_t seed,
                                              const nlohmann::json& settings,
                                              int num_objectives);

}  // namespace nas::search
