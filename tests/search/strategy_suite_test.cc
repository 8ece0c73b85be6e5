// The shared test suite every strategy passes: determinism and replay, no repeats, small
// spaces running out, failed trials, constraints; and on a synthetic two-objective problem
// the model-based strategies beat random search in hypervolume.
#include <cstdio>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/support/error.h"
#include "search/hypervolume.h"
#include "search/pareto.h"
#include "search/strategy.h"
#include "tests/search/synthetic_problems.h"

namespace nas::search {
namespace {

using synthetic::constrained_zdt1;
using synthetic::grid_space;
using synthetic::zdt1;
using Evaluate = std::function<TrialResult(const space::SearchSpace&, const space::Architecture&)>;

struct StrategyCase {
  std::string name;
  nlohmann::json small_settings;  // for spaces of a handful of architectures
};

std::string case_name(const ::testing::TestParamInfo<StrategyCase>& info) {
  return info.param.name;
}

// Runs ask(batch) -> evaluate -> tell until `budget` results are told or asks come back
// empty; returns the told results in order.
std::vector<TrialResult> run_search(Strategy& strategy, const space::SearchSpace& space,
                                    const Evaluate& evaluate, int budget, int batch) {
  std::vector<TrialResult> told;
  while (static_cast<int>(told.size()) < budget) {
    const auto asked = strategy.ask(std::min(batch, budget - static_cast<int>(told.size())));
    if (asked.empty()) break;
    std::vector<TrialResult> results;
    for (const auto& arch : asked) results.push_back(evaluate(space, arch));
    strategy.tell(results);
    told.insert(told.end(), results.begin(), results.end());
  }
  return told;
}

std::vector<std::string> names(const space::SearchSpace& space,
                               const std::vector<space::Architecture>& archs) {
  std::vector<std::string> out;
  for (const auto& a : archs) out.push_back(space.to_string(a));
  return out;
}

class StrategySuite : public ::testing::TestWithParam<StrategyCase> {
 protected:
  std::unique_ptr<Strategy> make(const space::SearchSpace& space, uint64_t seed,
                                 const nlohmann::json& settings = nullptr) {
    return make_strategy(GetParam().name, space, seed, settings, 2);
  }
  // Searches constrained ZDT1 with 3 seeds: the front is feasible, and the second half of
  // the candidates is mostly feasible (random search: about half).
  void expect_feasible_later(bool train_infeasible);
};

TEST_P(StrategySuite, SameSeedSameCandidates) {
  const space::SearchSpace space = grid_space(8, 4);
  auto a = make(space, 11), b = make(space, 11), c = make(space, 12);
  EXPECT_EQ(a->name(), GetParam().name);
  for (int round = 0; round < 5; ++round) {
    const auto from_a = a->ask(10), from_b = b->ask(10);
    ASSERT_EQ(names(space, from_a), names(space, from_b)) << "round " << round;
    std::vector<TrialResult> results;
    for (const auto& arch : from_a) results.push_back(zdt1(space, arch));
    a->tell(results);
    b->tell(results);
  }
  EXPECT_NE(names(space, a->ask(10)), names(space, c->ask(10)));
}

TEST_P(StrategySuite, ReplayingToldResultsRebuildsTheStrategy) {
  const space::SearchSpace space = grid_space(8, 4);
  auto original = make(space, 5);
  const std::vector<TrialResult> told = run_search(*original, space, zdt1, 60, 10);
  ASSERT_EQ(told.size(), 60u);
  const auto next = names(space, original->ask(10));

  auto all_at_once = make(space, 5);
  all_at_once->tell(told);
  EXPECT_EQ(names(space, all_at_once->ask(10)), next);

  auto other_grouping = make(space, 5);  // tell calls need not match the original batches
  for (size_t i = 0; i < told.size(); i += 7)
    other_grouping->tell({told.begin() + i, told.begin() + std::min(i + 7, told.size())});
  EXPECT_EQ(names(space, other_grouping->ask(10)), next);

  auto with_asks = make(space, 5);  // replaying the asks too
  for (size_t i = 0; i < told.size(); i += 10) {
    const auto asked = with_asks->ask(10);
    for (size_t k = 0; k < asked.size(); ++k) ASSERT_EQ(asked[k], told[i + k].arch);
    with_asks->tell({told.begin() + i, told.begin() + i + 10});
  }
  EXPECT_EQ(names(space, with_asks->ask(10)), next);
}

TEST_P(StrategySuite, NeverProposesAnArchitectureTwice) {
  const space::SearchSpace space = grid_space(6, 3);  // 729 architectures
  auto strategy = make(space, 3);
  std::set<std::string> seen;
  for (int round = 0; round < 12; ++round) {
    const auto asked = strategy->ask(10);
    ASSERT_EQ(asked.size(), 10u);  // a batch of n is n distinct when the space allows
    std::vector<TrialResult> results;
    for (const auto& arch : asked) {
      EXPECT_TRUE(seen.insert(space.to_string(arch)).second) << space.to_string(arch);
      results.push_back(zdt1(space, arch));
    }
    strategy->tell(results);
  }
  // Asking again before telling also never repeats.
  for (const auto& arch : strategy->ask(10)) EXPECT_TRUE(seen.insert(space.to_string(arch)).second);
  for (const auto& arch : strategy->ask(10)) EXPECT_TRUE(seen.insert(space.to_string(arch)).second);
}

TEST_P(StrategySuite, TinySpaceRunsOutWithoutRepeating) {
  const space::SearchSpace space = grid_space(2, 3);
  const space::SearchSpace six("six", {space.decisions()[0], {"a", {"x", "y"}, {}, false}});
  ASSERT_EQ(six.size(), 6.0);
  auto strategy = make(six, 9, GetParam().small_settings);
  auto evaluate = [](const space::SearchSpace& s, const space::Architecture& arch) {
    return TrialResult{arch, true, {double(arch.choices[0]), double(arch.choices[1])}, 0};
  };
  std::set<std::string> seen;
  int asks = 0;
  for (; asks < 10; ++asks) {
    const auto asked = strategy->ask(4);
    if (asked.empty()) break;
    std::vector<TrialResult> results;
    for (const auto& arch : asked) {
      EXPECT_TRUE(seen.insert(six.to_string(arch)).second) << six.to_string(arch);
      results.push_back(evaluate(six, arch));
    }
    strategy->tell(results);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(asks, 2);  // 4 + 2, then nothing
  EXPECT_TRUE(strategy->ask(4).empty());
}

TEST_P(StrategySuite, HandlesFailedTrials) {
  const space::SearchSpace space = grid_space(8, 4);
  auto strategy = make(space, 21);
  int count = 0;
  auto sometimes_failing = [&](const space::SearchSpace& s, const space::Architecture& arch) {
    if (++count % 3 == 0) return TrialResult{arch, false, {}, 0};
    return zdt1(s, arch);
  };
  const auto told = run_search(*strategy, space, sometimes_failing, 80, 10);
  EXPECT_EQ(told.size(), 80u);
  for (size_t i : pareto_front(told)) EXPECT_TRUE(told[i].ok);
  std::set<std::string> seen;
  for (const auto& r : told) EXPECT_TRUE(seen.insert(space.to_string(r.arch)).second);
}

// Also where, as in a search, an infeasible candidate is not trained: its second objective
// is then a placeholder (the worst value) that the strategy must not learn from.
TEST_P(StrategySuite, RespectsConstraints) {
  for (const bool train_infeasible : {true, false}) {
    SCOPED_TRACE(train_infeasible ? "infeasible trained" : "infeasible not trained");
    expect_feasible_later(train_infeasible);
  }
}

void StrategySuite::expect_feasible_later(bool train_infeasible) {
  const space::SearchSpace space = grid_space(8, 4);
  auto evaluate = [&](const space::SearchSpace& s, const space::Architecture& arch) {
    TrialResult r = constrained_zdt1(s, arch);
    if (!train_infeasible && r.violation > 0) {
      r.trained = false;
      r.objectives.back() = 1e3;
    }
    return r;
  };
  int feasible_late = 0, late = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    auto strategy = make(space, seed);
    const auto told = run_search(*strategy, space, evaluate, 100, 10);
    for (size_t i : pareto_front(told)) EXPECT_EQ(told[i].violation, 0);
    for (size_t i = told.size() / 2; i < told.size(); ++i, ++late)
      feasible_late += told[i].violation == 0;
  }
  const double fraction = double(feasible_late) / late;
  // Half the space is infeasible: random search stays near 1/2, the others learn.
  if (GetParam().name == "random")
    EXPECT_NEAR(fraction, 0.5, 0.15);
  else
    EXPECT_GT(fraction, 0.7) << GetParam().name;
}

TEST_P(StrategySuite, RejectsUnknownSettings) {
  const space::SearchSpace space = grid_space(2, 2);
  try {
    make(space, 0, {{"popsize", 3}});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith(fmt::format(
                              "strategy '{}': unknown setting 'popsize' (", GetParam().name)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllStrategies, StrategySuite,
    ::testing::Values(StrategyCase{"random", nullptr},
                      StrategyCase{"evolution", {{"population", 2}, {"sample_size", 2}}},
                      StrategyCase{"nsga2", {{"population", 2}}},
                      StrategyCase{"predictor", {{"initial", 2}, {"pool", 10}}}),
    case_name);

// Mean hypervolume of the feasible front after `budget` evaluations, over seeds 0..seeds-1.
double mean_hypervolume(const std::string& name, const Evaluate& evaluate, int seeds) {
  const space::SearchSpace space = grid_space(8, 4);
  double total = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    auto strategy = make_strategy(name, space, seed, nullptr, 2);
    const auto told = run_search(*strategy, space, evaluate, 100, 10);
    std::vector<Point> front;
    for (size_t i : pareto_front(told)) front.push_back(told[i].objectives);
    total += hypervolume(front, {1.1, 11.0});
  }
  return total / seeds;
}

TEST(StrategyQuality, ModelBasedStrategiesBeatRandomOnZdt1) {
  const double random = mean_hypervolume("random", zdt1, 5);
  const double nsga2 = mean_hypervolume("nsga2", zdt1, 5);
  const double predictor = mean_hypervolume("predictor", zdt1, 5);
  const double evolution = mean_hypervolume("evolution", zdt1, 5);
  std::printf("hypervolume: random %.3f nsga2 %.3f predictor %.3f evolution %.3f\n", random,
              nsga2, predictor, evolution);
  EXPECT_GT(nsga2, random);
  EXPECT_GT(predictor, random);
}

TEST(StrategyQuality, ModelBasedStrategiesBeatRandomWithAConstraint) {
  const double random = mean_hypervolume("random", constrained_zdt1, 5);
  const double nsga2 = mean_hypervolume("nsga2", constrained_zdt1, 5);
  const double predictor = mean_hypervolume("predictor", constrained_zdt1, 5);
  std::printf("constrained hypervolume: random %.3f nsga2 %.3f predictor %.3f\n", random, nsga2,
              predictor);
  EXPECT_GT(nsga2, random);
  EXPECT_GT(predictor, random);
}

TEST(MakeStrategy, ReportsUnknownNamesAndBadSettings) {
  const space::SearchSpace space = grid_space(2, 2);
  auto message = [&](const std::string& name, const nlohmann::json& settings) {
    try {
      make_strategy(name, space, 0, settings, 2);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("annealing", nullptr),
            "unknown strategy 'annealing' (expected one of random, evolution, nsga2, predictor)");
  EXPECT_EQ(message("nsga2", {{"popsize", 10}}),
            "strategy 'nsga2': unknown setting 'popsize' (expected population, crossover, "
            "mutation_rate)");
  EXPECT_EQ(message("random", {{"population", 10}}),
            "strategy 'random': unknown setting 'population' (it takes no settings)");
  EXPECT_EQ(message("evolution", {{"population", 1}}),
            "strategy 'evolution': setting 'population' must be an integer >= 2 (got 1)");
  EXPECT_EQ(message("evolution", {{"sample_size", "five"}}),
            "strategy 'evolution': setting 'sample_size' must be an integer >= 1 (got \"five\")");
  EXPECT_EQ(message("nsga2", {{"crossover", 1.5}}),
            "strategy 'nsga2': setting 'crossover' must be a number in [0, 1] (got 1.5)");
  EXPECT_EQ(message("predictor", {{"epsilon", -0.1}}),
            "strategy 'predictor': setting 'epsilon' must be a number in [0, 1] (got -0.1)");
  EXPECT_EQ(message("predictor", nlohmann::json::array({1, 2})),
            "strategy 'predictor': settings must be a mapping of name to value (got [1,2])");
  EXPECT_EQ(message("predictor", {{"initial", 5}, {"pool", 100}, {"epsilon", 0}}), "no error");
}

}  // namespace
}  // namespace nas::search
