// The synthetic data set: a pure function of its options, balanced, and learnable.
#include "evaluator/data/synthetic.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using ::testing::HasSubstr;
using nas::testing::user_error_message;

TEST(Synthetic, ShapeAndBalancedLabels) {
  const Dataset data = make_synthetic({.n = 103, .classes = 10, .channels = 3, .height = 5, .width = 7});
  EXPECT_EQ(data.n, 103);
  EXPECT_EQ(data.sample_size(), 105);
  EXPECT_EQ(data.images.size(), 103u * 105u);
  std::vector<int64_t> counts(10);
  for (int64_t label : data.labels) ++counts.at(label);
  for (int64_t count : counts) EXPECT_TRUE(count == 10 || count == 11);
  EXPECT_EQ(data.source_index[102], 102);
}

TEST(Synthetic, Deterministic) {
  const SyntheticOptions options{.n = 50, .classes = 4, .channels = 1, .height = 8, .width = 8, .seed = 3};
  EXPECT_EQ(make_synthetic(options).images, make_synthetic(options).images);
  SyntheticOptions other = options;
  other.seed = 4;
  EXPECT_NE(make_synthetic(options).images, make_synthetic(other).images);
  // Sample i does not depend on how many samples are drawn.
  SyntheticOptions more = options;
  more.n = 80;
  const Dataset a = make_synthetic(options), b = make_synthetic(more);
  EXPECT_TRUE(std::equal(a.images.begin(), a.images.end(), b.images.begin()));
}

// Nearest class mean, fitted on the first half and scored on the second: well above chance
// means the classes are there to be learnt.
double nearest_mean_accuracy(const Dataset& data) {
  const int64_t size = data.sample_size();
  const int64_t half = data.n / 2;
  std::vector<double> means(static_cast<size_t>(data.classes * size));
  std::vector<int64_t> counts(static_cast<size_t>(data.classes));
  for (int64_t i = 0; i < half; ++i) {
    ++counts[data.labels[i]];
    for (int64_t j = 0; j < size; ++j) means[data.labels[i] * size + j] += data.image(i)[j];
  }
  for (int64_t k = 0; k < data.classes; ++k)
    for (int64_t j = 0; j < size; ++j) means[k * size + j] /= std::max<int64_t>(counts[k], 1);
  int64_t right = 0;
  for (int64_t i = half; i < data.n; ++i) {
    int64_t best = -1;
    double best_distance = std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < data.classes; ++k) {
      double distance = 0;
      for (int64_t j = 0; j < size; ++j) distance += std::pow(data.image(i)[j] - means[k * size + j], 2);
      if (distance < best_distance) best_distance = distance, best = k;
    }
    right += best == data.labels[i];
  }
  return static_cast<double>(right) / static_cast<double>(data.n - half);
}

TEST(Synthetic, ClassesAreLearnable) {
  for (uint64_t seed : {0, 1, 2}) {
    const Dataset data = make_synthetic({.n = 400, .classes = 10, .seed = seed});
    EXPECT_GT(nearest_mean_accuracy(data), 0.9) << "seed " << seed;
  }
  // More noise makes it harder but still far above chance (0.1).
  const Dataset noisy = make_synthetic({.n = 400, .classes = 10, .seed = 0, .noise = 2.0f});
  EXPECT_GT(nearest_mean_accuracy(noisy), 0.5);
}

TEST(Synthetic, BadOptions) {
  EXPECT_THAT(user_error_message([] { make_synthetic({.n = -1}); }),
              HasSubstr("n must not be negative, got -1"));
  EXPECT_THAT(user_error_message([] { make_synthetic({.classes = 0}); }),
              HasSubstr("classes must be at least 1, got 0"));
  EXPECT_THAT(user_error_message([] { make_synthetic({.height = 0}); }),
              HasSubstr("channels, height and width must be positive, got 1x0x8"));
  EXPECT_THAT(user_error_message([] { make_synthetic({.noise = -1.0f}); }),
              HasSubstr("noise must be a non-negative number, got -1"));
}

}  // namespace
}  // namespace nas::evaluator
