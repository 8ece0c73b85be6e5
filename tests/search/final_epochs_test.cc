#include "search/final_epochs.h"

#include <gtest/gtest.h>

#include "evaluator/data/synthetic.h"
#include "compiler/support/error.h"
#include "tests/search/tiny_space.h"

namespace nas::search {
namespace {

TEST(ShareEpochs, EachGetsAnEqualShareOfWhatIsLeftTheCheapestFirst) {
  // 60 s for three winners: the 1 s one takes its most (10 epochs, 10 s), leaving 50 s for
  // the other two: 25 s each, 5 epochs of 5 s; the 20 s one gets 1 epoch (25 s of 40 left).
  EXPECT_EQ(share_epochs({5, 1, 20}, 60, 10), (std::vector<int64_t>{5, 10, 1}));
  // What one cannot use goes to the next: 100 s, 8 s and 30 s epochs, at most 4.
  EXPECT_EQ(share_epochs({8, 30}, 100, 4), (std::vector<int64_t>{4, 2}));
  // At least one epoch, however short the budget; at most max_epochs, however long.
  EXPECT_EQ(share_epochs({5, 6}, 1, 15), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(share_epochs({5, 6}, 1e6, 15), (std::vector<int64_t>{15, 15}));
  EXPECT_TRUE(share_epochs({}, 10, 3).empty());
}

// One epoch is the steps of an epoch times a step: 8x the samples at the same batch take
// about 8x as long (bounds wide enough for a noisy machine).
TEST(TimeEpoch, IsTheStepsOfAnEpochTimesTheTimeOfAStep) {
  const space::SearchSpace space = testing::tiny_space();
  const graph::Graph model = space.decode(space.parse("8,3,relu"));
  evaluator::TrainConfig config;
  config.batch = 32;
  const auto data = [](int64_t n) {
    return evaluator::make_synthetic(
        {.n = n, .classes = 4, .channels = 1, .height = 8, .width = 8, .seed = 5});
  };
  const double small = time_epoch(model, data(1024), config);
  const double large = time_epoch(model, data(8192), config);
  EXPECT_GT(small, 0);
  EXPECT_GT(large / small, 4);
  EXPECT_LT(large / small, 16);
  EXPECT_THROW(
      {
        try {
          time_epoch(model, data(16), config);
        } catch (const UserError& e) {
          EXPECT_STREQ(e.what(), "the training set has 16 samples, fewer than one batch of 32");
          throw;
        }
      },
      UserError);
}

}  // namespace
}  // namespace nas::search
