// Random search: uniform draws from the space, never repeating. No settings. The baseline
// every other strategy must beat.
#pragma once

#include <memory>

#include "search/strategy.h"

namespace nas::search {

std::unique_ptr<Strategy> make_random_strategy(const space::SearchSpace& space, uint64_t seed,
                                               const nlohmann::json& settings,
                                               int num_objectives);

}  // namespace nas::search
