#include "search/strategies/random.h"

#include "search/strategies/history_strategy.h"
#include "search/strategies/settings.h"

namespace nas::search {
namespace {

class RandomStrategy final : public HistoryStrategy {
 public:
  RandomStrategy(const space::SearchSpace& space, uint64_t seed, int num_objectives)
      : HistoryStrategy(space, seed, num_objectives) {}
  std::string name() const override { return "random"; }

 private:
  void propose(int n, SplitMix64& rng, std::vector<space::Architecture>& out) override {
    take_random(n, rng, out);
  }
};

}  // namespace

std::unique_ptr<Strategy> make_random_strategy(const space::SearchSpace& space, uint64_t seed,
                                               const nlohmann::json& settings,
                                               int num_objectives) {
  StrategySettings("random", settings, {});
  return std::make_unique<RandomStrategy>(space, seed, num_objectives);
}

}  // namespace nas::search
