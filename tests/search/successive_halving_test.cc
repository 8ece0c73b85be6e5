// Successive halving's promotions: top 1/eta by constraint-domination, deterministic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/successive_halving.h"
#include "tests/test_util.h"

namespace nas::search {
namespace {

using ::testing::ElementsAre;
using nas::testing::user_error_message;

RungResult trial(int64_t id, double loss, double violation = 0, bool ok = true) {
  return RungResult{id, TrialResult{{}, ok, ok ? std::vector<double>{loss} : std::vector<double>{},
                                    violation}};
}

TEST(SuccessiveHalving, PromotesTheBestThirdBestFirst) {
  const SuccessiveHalving sh({1, 3, 9}, 3);
  EXPECT_EQ(sh.rungs(), 3);
  EXPECT_EQ(sh.budget(2), 9);
  std::vector<RungResult> rung0;
  for (int64_t id = 0; id < 9; ++id) rung0.push_back(trial(100 + id, double((id * 5) % 9)));
  // Losses: 0, 5, 1, 6, 2, 7, 3, 8, 4 -> the three smallest are ids 100, 102, 104.
  EXPECT_THAT(sh.promote(rung0, 0), ElementsAre(100, 102, 104));
  EXPECT_THAT(sh.promote({trial(7, 1), trial(8, 0), trial(9, 2)}, 1), ElementsAre(8));
  EXPECT_TRUE(sh.promote({trial(7, 1), trial(8, 0), trial(9, 2)}, 2).empty());  // last rung
  EXPECT_TRUE(sh.promote({trial(7, 1), trial(8, 0)}, 0).empty());  // floor(2 / 3) = 0
}

TEST(SuccessiveHalving, FeasibleFirstAndNeverFailed) {
  const SuccessiveHalving sh({1, 2}, 2);
  EXPECT_THAT(sh.promote({trial(1, 0, 0.5), trial(2, 9), trial(3, 5, 0.1), trial(4, 8)}, 0),
              ElementsAre(4, 2));
  EXPECT_THAT(sh.promote({trial(1, 0, 0.5), trial(2, 9), trial(3, 5, 0.1), trial(4, 8, 0.2)}, 0),
              ElementsAre(2, 3));
  EXPECT_THAT(sh.promote({trial(1, 0, 0, false), trial(2, 0, 0, false), trial(3, 4),
                          trial(4, 0, 0, false)},
                         0),
              ElementsAre(3));
}

// A candidate ruled out by its costs before training has nothing to continue: it is never
// promoted, and the share promoted counts the trained ones.
TEST(SuccessiveHalving, NeverPromotesWhatWasNotTrained) {
  const SuccessiveHalving sh({1, 3}, 3);
  auto untrained = [](int64_t id, double violation) {
    RungResult r = trial(id, 0, violation);
    r.result.trained = false;
    return r;
  };
  // Three trained (one of them infeasible) and three ruled out: floor(3 / 3) = 1 promoted.
  EXPECT_THAT(sh.promote({untrained(1, 0.1), trial(2, 5), untrained(3, 0.2), trial(4, 3),
                          trial(5, 1, 0.3), untrained(6, 0.4)},
                         0),
              ElementsAre(4));
  // The ruled-out ones break their constraints by less than the trained ones, and so rank
  // first: they are passed over.
  EXPECT_THAT(sh.promote({untrained(1, 0.1), untrained(2, 0.2), untrained(3, 0.3),
                          trial(4, 2, 0.5), trial(5, 1, 0.6), trial(6, 0, 0.7)},
                         0),
              ElementsAre(4));
}

TEST(SuccessiveHalving, MultiObjectivePromotesTheFrontSpreadFirst) {
  const SuccessiveHalving sh({1, 2}, 2);
  auto two = [](int64_t id, double a, double b) {
    return RungResult{id, TrialResult{{}, true, {a, b}, 0}};
  };
  // Front: 1, 2, 3 (2 in the middle, least crowding distance); 4 dominated.
  EXPECT_THAT(sh.promote({two(1, 0, 4), two(2, 2, 2), two(3, 4, 0), two(4, 3, 3)}, 0),
              ElementsAre(1, 3));
}

TEST(SuccessiveHalving, ReportsBadSchedules) {
  EXPECT_EQ(user_error_message([] { SuccessiveHalving({3, 1}, 3); }),
            "successive halving: budgets must be positive and increasing (got [3, 1])");
  EXPECT_EQ(user_error_message([] { SuccessiveHalving({0, 1}, 3); }),
            "successive halving: budgets must be positive and increasing (got [0, 1])");
  EXPECT_EQ(user_error_message([] { SuccessiveHalving({}, 3); }),
            "successive halving: budgets must list at least one budget");
  EXPECT_EQ(user_error_message([] { SuccessiveHalving({1, 3}, 1); }),
            "successive halving: eta must be an integer >= 2 (got 1)");
}

}  // namespace
}  // namespace nas::search
