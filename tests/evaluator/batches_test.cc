// Batches of an epoch: sizes, the seeded order, and augmentation that depends only on
// (seed, epoch, sample) -- never on the batch size.
#include "evaluator/data/batches.h"

#include <numeric>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "evaluator/data/synthetic.h"
#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using ::testing::HasSubstr;
using nas::testing::user_error_message;

// All batches of an epoch, concatenated.
struct Epoch {
  std::vector<int64_t> sizes;
  std::vector<float> images;
  std::vector<int64_t> labels;
  std::vector<int64_t> indices;
};

Epoch run_epoch(const Dataset& data, const BatchOptions& options, int64_t epoch) {
  Epoch out;
  BatchIterator it(data, options, epoch);
  Batch batch;
  while (it.next(batch)) {
    out.sizes.push_back(batch.size);
    out.images.insert(out.images.end(), batch.images.begin(), batch.images.end());
    out.labels.insert(out.labels.end(), batch.labels.begin(), batch.labels.end());
    out.indices.insert(out.indices.end(), batch.indices.begin(), batch.indices.end());
  }
  EXPECT_EQ(static_cast<int64_t>(out.sizes.size()), it.num_batches());
  return out;
}

TEST(Batches, SizesKeepOrDropTheLastPartialBatch) {
  const Dataset data = make_synthetic({.n = 10, .classes = 2});
  EXPECT_EQ(run_epoch(data, {.batch_size = 4}, 0).sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(run_epoch(data, {.batch_size = 4, .drop_last = true}, 0).sizes,
            (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(run_epoch(data, {.batch_size = 5, .drop_last = true}, 0).sizes,
            (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(run_epoch(data, {.batch_size = 32}, 0).sizes, (std::vector<int64_t>{10}));
  EXPECT_TRUE(run_epoch(data, {.batch_size = 32, .drop_last = true}, 0).sizes.empty());
  EXPECT_TRUE(run_epoch(make_synthetic({.n = 0}), {.batch_size = 3}, 0).sizes.empty());
}

TEST(Batches, AnEpochVisitsEverySampleOnceWithItsLabelAndImage) {
  const Dataset data = make_synthetic({.n = 37, .classes = 3, .channels = 2, .height = 3, .width = 4});
  const Epoch epoch = run_epoch(data, {.batch_size = 8, .seed = 4}, 2);
  ASSERT_EQ(epoch.indices.size(), 37u);
  EXPECT_EQ(std::set<int64_t>(epoch.indices.begin(), epoch.indices.end()).size(), 37u);
  const int64_t size = data.sample_size();
  for (size_t k = 0; k < epoch.indices.size(); ++k) {
    const int64_t i = epoch.indices[k];
    EXPECT_EQ(epoch.labels[k], data.labels[i]);
    EXPECT_TRUE(std::equal(epoch.images.begin() + k * size, epoch.images.begin() + (k + 1) * size,
                           data.image(i).begin()));
  }
}

TEST(Batches, OrderDependsOnlyOnSeedAndEpoch) {
  const Dataset data = make_synthetic({.n = 50, .classes = 5});
  const auto order = [&](uint64_t seed, int64_t epoch, int64_t batch_size) {
    return run_epoch(data, {.batch_size = batch_size, .seed = seed}, epoch).indices;
  };
  EXPECT_EQ(order(1, 0, 7), order(1, 0, 7));
  EXPECT_EQ(order(1, 0, 7), order(1, 0, 50));  // batch size does not change the order
  EXPECT_EQ(order(1, 3, 7), epoch_order(50, 1, 3));
  EXPECT_NE(order(1, 0, 7), order(1, 1, 7));
  EXPECT_NE(order(1, 0, 7), order(2, 0, 7));
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  EXPECT_NE(order(1, 0, 7), identity);
  EXPECT_EQ(run_epoch(data, {.batch_size = 7, .shuffle = false, .seed = 1}, 3).indices, identity);
}

TEST(Batches, RandomAccessMatchesIteration) {
  const Dataset data = make_synthetic({.n = 23, .classes = 4});
  const BatchOptions options{.batch_size = 5, .seed = 8,
                             .augmentation = {.crop_padding = 2, .horizontal_flip = true}};
  BatchIterator it(data, options, 1);
  Batch batch;
  for (int64_t b = 0; it.next(batch); ++b) {
    const Batch direct = BatchIterator(data, options, 1).batch(b);
    EXPECT_EQ(direct.indices, batch.indices);
    EXPECT_EQ(direct.images, batch.images);
  }
}

TEST(Batches, AugmentationIndependentOfBatchSize) {
  const Dataset data = make_synthetic({.n = 41, .classes = 3, .channels = 2, .height = 6, .width = 5});
  const Augmentation augmentation{.crop_padding = 2, .horizontal_flip = true};
  const Epoch a = run_epoch(data, {.batch_size = 1, .seed = 11, .augmentation = augmentation}, 4);
  const Epoch b = run_epoch(data, {.batch_size = 16, .seed = 11, .augmentation = augmentation}, 4);
  const Epoch c = run_epoch(data, {.batch_size = 41, .seed = 11, .augmentation = augmentation}, 4);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.images, c.images);
  // And the augmentation did something, differently in another epoch.
  const Epoch plain = run_epoch(data, {.batch_size = 16, .seed = 11}, 4);
  EXPECT_NE(a.images, plain.images);
  const Epoch next = run_epoch(data, {.batch_size = 16, .seed = 11, .augmentation = augmentation}, 5);
  std::vector<float> a_by_sample(a.images.size()), next_by_sample(next.images.size());
  const int64_t size = data.sample_size();
  for (size_t k = 0; k < a.indices.size(); ++k) {
    std::copy_n(a.images.begin() + k * size, size, a_by_sample.begin() + a.indices[k] * size);
    std::copy_n(next.images.begin() + k * size, size, next_by_sample.begin() + next.indices[k] * size);
  }
  EXPECT_NE(a_by_sample, next_by_sample);
}

// One 1x3x3 image with pixels 1..9 and background -1, to follow the crop and flip by hand.
Dataset three_by_three() {
  Dataset data{.n = 1, .channels = 1, .height = 3, .width = 3, .classes = 1};
  data.images = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  data.labels = {0};
  data.source_index = {0};
  data.background = -1;
  return data;
}

TEST(Augmentation, FlipMirrorsRowsAboutHalfTheTime) {
  const Dataset data = three_by_three();
  const std::vector<float> mirrored = {3, 2, 1, 6, 5, 4, 9, 8, 7};
  int flips = 0;
  for (int64_t epoch = 0; epoch < 400; ++epoch) {
    std::vector<float> out(9);
    augment_sample(data, 0, {.horizontal_flip = true}, 3, epoch, out.data());
    if (out == mirrored) ++flips;
    else EXPECT_EQ(out, data.images) << "epoch " << epoch;
  }
  EXPECT_GT(flips, 160);
  EXPECT_LT(flips, 240);
}

TEST(Augmentation, CropShiftsWithinThePaddingAndFillsBackground) {
  // Padding 1: the crop offset (dy, dx) is in {-1, 0, 1}^2; output (y, x) = input
  // (y + dy, x + dx), or the background (-1) outside. Every offset must show up, and each
  // output must be one of those nine shifts.
  const Dataset data = three_by_three();
  std::set<std::vector<float>> shifts;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      std::vector<float> shifted(9);
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x) {
          const int sy = y + dy, sx = x + dx;
          shifted[y * 3 + x] = (sy >= 0 && sy < 3 && sx >= 0 && sx < 3) ? data.images[sy * 3 + sx] : -1.0f;
        }
      shifts.insert(shifted);
    }
  ASSERT_EQ(shifts.size(), 9u);
  std::set<std::vector<float>> seen;
  for (int64_t epoch = 0; epoch < 200; ++epoch) {
    std::vector<float> out(9);
    augment_sample(data, 0, {.crop_padding = 1}, 7, epoch, out.data());
    EXPECT_TRUE(shifts.contains(out)) << "epoch " << epoch;
    seen.insert(out);
  }
  EXPECT_EQ(seen, shifts);
}

TEST(Augmentation, BackgroundIsABlackPixelOfTheData) {
  // Fashion-MNIST's zero padding is black: raw 0, which normalises to -mean/std.
  Dataset data = three_by_three();
  data.background = Normalization{}.apply(0);
  bool padded = false;
  for (int64_t epoch = 0; epoch < 20 && !padded; ++epoch) {
    std::vector<float> out(9);
    augment_sample(data, 0, {.crop_padding = 2}, 1, epoch, out.data());
    padded = std::ranges::count(out, data.background) > 0;
  }
  EXPECT_TRUE(padded);
}

TEST(Batches, BadOptions) {
  const Dataset data = make_synthetic({.n = 4, .classes = 2});
  EXPECT_THAT(user_error_message([&] { BatchIterator(data, {.batch_size = 0}, 0); }),
              HasSubstr("batch_size must be positive, got 0"));
  EXPECT_THAT(user_error_message([&] {
                BatchIterator(data, {.batch_size = 2, .augmentation = {.crop_padding = -1}}, 0);
              }),
              HasSubstr("crop_padding must not be negative, got -1"));
  EXPECT_THAT(user_error_message([&] { BatchIterator(data, {.batch_size = 2}, -1); }),
              HasSubstr("epoch must not be negative, got -1"));
}

}  // namespace
}  // namespace nas::evaluator
