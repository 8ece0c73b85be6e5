#include "search/strategies/nsga2.h"

#include <algorithm>

#include "search/pareto.h"
#include "search/strategies/history_strategy.h"
#include "search/strategies/settings.h"

namespace nas::search {
namespace {

constexpr int kOffspringAttempts = 32;

struct Nsga2Settings {
  int64_t population = 20;
  double crossover = 0.9;
  double mutation_rate = 0;
};

class Nsga2Strategy final : public HistoryStrategy {
 public:
  Nsga2Strategy(const space::SearchSpace& space, uint64_t seed, int num_objectives,
                Nsga2Settings settings)
      : HistoryStrategy(space, seed, num_objectives), settings_(settings) {}
  std::string name() const override { return "nsga2"; }

 private:
  size_t population_size() const { return static_cast<size_t>(settings_.population); }

  void on_told(const TrialResult& result) override {
    if (!initialised_) {
      parents_.push_back(result);
      initialised_ = parents_.size() == population_size();
      return;
    }
    offspring_.push_back(result);
    if (offspring_.size() < population_size()) return;
    std::vector<TrialResult> combined = parents_;
    combined.insert(combined.end(), offspring_.begin(), offspring_.end());
    const std::vector<size_t> order = crowded_order(combined);
    parents_.clear();
    for (size_t i = 0; i < population_size(); ++i) parents_.push_back(combined[order[i]]);
    offspring_.clear();
  }

  void propose(int n, SplitMix64& rng, std::vector<space::Architecture>& out) override {
    if (!initialised_) return;  // random until the first population is told
    const ParetoRanking ranking = pareto_ranking(parents_);
    auto tournament = [&] {
      const size_t a = rng.below(parents_.size());
      const size_t b = rng.below(parents_.size());
      return ranking.better(a, b) ? a : b;
    };
    while (static_cast<int>(out.size()) < n) {
      bool taken = false;
      for (int attempt = 0; attempt < kOffspringAttempts && !taken; ++attempt) {
        const space::Architecture& first = parents_[tournament()].arch;
        const space::Architecture& second = parents_[tournament()].arch;
        space::Architecture child =
            rng.uniform() < settings_.crossover ? space().crossover(first, second, rng) : first;
        taken = take(space().mutate(child, rng, settings_.mutation_rate), out);
      }
      if (!taken) return;  // the neighbourhood is used up: the batch is topped up randomly
    }
  }

  Nsga2Settings settings_;
  bool initialised_ = false;
  std::vector<TrialResult> parents_;
  std::vector<TrialResult> offspring_;  // told since the last survival
};

}  // namespace

std::unique_ptr<Strategy> make_nsga2_strategy(const space::SearchSpace& space, uint64_t seed,
                                              const nlohmann::json& settings,
                                              int num_objectives) {
  const StrategySettings read("nsga2", settings, {"population", "crossover", "mutation_rate"});
  Nsga2Settings s;
  s.population = read.integer("population", s.population, 2);
  s.crossover = read.number("crossover", s.crossover, 0, 1);
  const double decisions = std::max<size_t>(space.decisions().size(), 1);
  s.mutation_rate = read.number("mutation_rate", 1.0 / decisions, 0, 1);
  return std::make_unique<Nsga2Strategy>(space, seed, num_objectives, s);
}

}  // namespace nas::search
