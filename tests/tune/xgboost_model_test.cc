// The XGBoost surrogate: fits a simple function, deterministically.
#include <gtest/gtest.h>

#include "compiler/tune/xgboost_model.h"

namespace nas::tune {
namespace {

TEST(XGBoostModel, FitsAndPredictsDeterministically) {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b) {
      x.push_back({a / 4.0, b / 4.0, 1.0});
      y.push_back(2.0 * a / 4.0 - b / 4.0 + 10);
    }
  XGBoostModel model({.rounds = 100, .max_depth = 3, .seed = 7});
  EXPECT_FALSE(model.fitted());
  model.fit(x, y);
  const std::vector<double> predicted = model.predict(x);
  ASSERT_EQ(predicted.size(), y.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(predicted[i], y[i], 0.05) << i;

  XGBoostModel again({.rounds = 100, .max_depth = 3, .seed = 7});
  again.fit(x, y);
  EXPECT_EQ(again.predict(x), predicted);
  EXPECT_TRUE(again.predict({}).empty());

  XGBoostModel moved = std::move(again);
  EXPECT_EQ(moved.predict({{1.0, 0.0, 1.0}}), model.predict({{1.0, 0.0, 1.0}}));
}

}  // namespace
}  // namespace nas::tune
