#include "search/strategy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"
#include "search/config.h"
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
  user_error("unknown strategy '{}' (expected one of {})", name, fmt::join(strategy_names(), ", "));
}

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {"random", "evolution", "nsga2", "predictor"};
  return names;
}

void check_strategy(const ExperimentConfig& config, const space::SearchSpace& space) {
  try {
    make_strategy(config.strategy, space, config.seed, config.strategy_settings,
                  static_cast<int>(config.objectives.size()));
  } catch (const UserError& e) {
    // Located at the setting the message names ("setting 'population' ..."), else at the
    // strategy's section.
    const std::string message = e.what();
    std::string at = config.strategy_at;
    for (const auto& [key, where] : config.strategy_setting_at)
      if (message.find("setting '" + key + "'") != std::string::npos) at = where;
    throw UserError(fmt::format("{}: {}", at, message));
  }
}

}  // namespace nas::search
