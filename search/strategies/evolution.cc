#include "search/strategies/evolution.h"

#include <algorithm>

#include "search/pareto.h"
#include "search/strategies/history_strategy.h"
#include "search/strategies/settings.h"

namespace nas::search {
namespace {

constexpr int kMutationAttempts = 32;

struct EvolutionSettings {
  int64_t population = 20;
  int64_t sample_size = 5;
  double mutation_rate = 0;
};

class EvolutionStrategy final : public HistoryStrategy {
 public:
  EvolutionStrategy(const space::SearchSpace& space, uint64_t seed, int num_objectives,
                    EvolutionSettings settings)
      : HistoryStrategy(space, seed, num_objectives), settings_(settings) {}
  std::string name() const override { return "evolution"; }

 private:
  void propose(int n, SplitMix64& rng, std::vector<space::Architecture>& out) override {
    const auto size = static_cast<size_t>(settings_.population);
    if (history().size() < size) return;  // random until the population is full
    const std::vector<TrialResult> population(history().end() - size, history().end());
    const ParetoRanking ranking = pareto_ranking(population);
    const size_t sample_size = std::min(static_cast<size_t>(settings_.sample_size), size);
    while (static_cast<int>(out.size()) < n) {
      // Draw `sample_size` distinct members (a partial Fisher-Yates shuffle).
      std::vector<size_t> members(size);
      for (size_t i = 0; i < size; ++i) members[i] = i;
      size_t parent = size;
      for (size_t i = 0; i < sample_size; ++i) {
        std::swap(members[i], members[i + rng.below(size - i)]);
        if (parent == size || ranking.better(members[i], parent)) parent = members[i];
      }
      bool taken = false;
      for (int attempt = 0; attempt < kMutationAttempts && !taken; ++attempt)
        taken = take(space().mutate(population[parent].arch, rng, settings_.mutation_rate), out);
      if (!taken) return;  // the neighbourhood is used up: the batch is topped up randomly
    }
  }

  EvolutionSettings settings_;
};

}  // namespace

std::unique_ptr<Strategy> make_evolution_strategy(const space::SearchSpace& space,
                                                  uint64_t seed, const nlohmann::json& settings,
                                                  int num_objectives) {
  const StrategySettings read("evolution", settings,
                              {"population", "sample_size", "mutation_rate"});
  EvolutionSettings s;
  s.population = read.integer("population", s.population, 2);
  s.sample_size = read.integer("sample_size", s.sample_size, 1);
  const double decisions = std::max<size_t>(space.decisions().size(), 1);
  s.mutation_rate = read.number("mutation_rate", 1.0 / decisions, 0, 1);
  return std::make_unique<EvolutionStrategy>(space, seed, num_objectives, s);
}

}  // namespace nas::search
