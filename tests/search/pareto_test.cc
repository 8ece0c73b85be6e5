// Constraint-domination, non-dominated sorting, crowding distance and the feasible front.
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/pareto.h"

namespace nas::search {
namespace {

using ::testing::ElementsAre;

TrialResult ok(std::vector<double> objectives, double violation = 0) {
  return TrialResult{{}, true, std::move(objectives), violation};
}
TrialResult failed() { return TrialResult{{}, false, {}, 0}; }

TEST(Pareto, ConstraintDomination) {
  EXPECT_TRUE(constraint_dominates(ok({1, 1}), ok({2, 2})));
  EXPECT_TRUE(constraint_dominates(ok({1, 2}), ok({1, 3})));   // equal in one, better in one
  EXPECT_FALSE(constraint_dominates(ok({1, 3}), ok({3, 1})));  // a trade-off
  EXPECT_FALSE(constraint_dominates(ok({1, 1}), ok({1, 1})));  // equal
  EXPECT_TRUE(constraint_dominates(ok({9, 9}), ok({0, 0}, 0.1)));  // feasible beats infeasible
  EXPECT_TRUE(constraint_dominates(ok({9, 9}, 0.1), ok({0, 0}, 0.2)));  // smaller violation
  EXPECT_FALSE(constraint_dominates(ok({0, 0}, 0.2), ok({9, 9}, 0.2)));
  EXPECT_TRUE(constraint_dominates(ok({9, 9}, 5), failed()));  // failed is worst
  EXPECT_FALSE(constraint_dominates(failed(), ok({9, 9}, 5)));
  EXPECT_FALSE(constraint_dominates(failed(), failed()));
}

TEST(Pareto, NonDominatedFronts) {
  const std::vector<TrialResult> results = {
      ok({1, 4}),       // 0: front 0
      ok({2, 2}),       // 1: front 0
      ok({4, 1}),       // 2: front 0
      ok({3, 3}),       // 3: front 1 (dominated by 1)
      ok({0, 0}, 0.5),  // 4: infeasible, after every feasible one
      failed(),         // 5: last
      ok({5, 5}),       // 6: front 2 (dominated by 3)
      ok({0, 0}, 0.1),  // 7: infeasible, less than 4
  };
  EXPECT_THAT(non_dominated_fronts(results),
              ElementsAre(ElementsAre(0, 1, 2), ElementsAre(3), ElementsAre(6), ElementsAre(7),
                          ElementsAre(4), ElementsAre(5)));
  EXPECT_THAT(pareto_front(results), ElementsAre(0, 1, 2));
  EXPECT_THAT(crowded_order(results), ElementsAre(0, 2, 1, 3, 6, 7, 4, 5));
}

TEST(Pareto, CrowdingDistance) {
  const std::vector<TrialResult> results = {ok({0, 4}), ok({1, 2}), ok({3, 1}), ok({4, 0})};
  const double inf = std::numeric_limits<double>::infinity();
  // Point 1: (3 - 0) / 4 + (4 - 1) / 4; point 2: (4 - 1) / 4 + (2 - 0) / 4.
  EXPECT_THAT(crowding_distances(results, {0, 1, 2, 3}), ElementsAre(inf, 1.5, 1.25, inf));
  EXPECT_THAT(crowding_distances(results, {1, 2}), ElementsAre(inf, inf));
  EXPECT_THAT(crowding_distances({failed(), failed()}, {0, 1}), ElementsAre(0, 0));
  const ParetoRanking ranking = pareto_ranking(results);
  EXPECT_THAT(ranking.rank, ElementsAre(0, 0, 0, 0));
  EXPECT_TRUE(ranking.better(1, 2));   // more crowding distance
  EXPECT_TRUE(ranking.better(0, 3));   // tie: lower index
}

TEST(Pareto, FrontIgnoresInfeasibleAndFailed) {
  EXPECT_THAT(pareto_front({ok({0, 0}, 1), failed(), ok({2, 2}), ok({2, 2})}), ElementsAre(2, 3));
  EXPECT_TRUE(pareto_front({ok({0, 0}, 1), failed()}).empty());
}

}  // namespace
}  // namespace nas::search
