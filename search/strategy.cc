#include "search/strategy.h"

#include "compiler/support/error.h"
#include "search/strategies/evolution.h"
#include "search/strategies/nsga2.h"
#include "search/strategies/predictor.h"
#include "search/strategies/random.h"

namespace nas::search {

std::unique_ptr<Strategy> make_strategy(const std::string& name, const space::SearchSpace& space,
                                        uint64_t seed, const nlohmann::json& settings,
                                        int num_objectives) {
  if (name == "random") return make_random_strategy(space, seed, settings, num_objectives);
  if (name == "evolution") return make_evolution_strategy(space, seed, settings, num_objectives);
  if (name == "nsga2") return make_nsga2_strategy(space, seed, settings, num_objectives);
  if (name == "predictor") return make_predictor_strategy(space, seed, settings, num_objectives);
  user_error("unknown strategy '{}' (expected one of random, evolution, nsga2, predictor)", name);
}

}  // namespace nas::search
