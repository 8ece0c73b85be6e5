// A small synthetic data set whose classes can be learnt, for tests of the trainer and the
// search: each class has a fixed random prototype image and every sample is its class's
// prototype plus Gaussian noise. Prototypes are blocky (constant over 4x4-pixel blocks, one
// N(0, 1) value per block and channel) rather than per-pixel noise, so that classes differ
// in coarse layout and brightness, which small convolutional models (also those ending in
// global average pooling) pick up as easily as dense ones.
#pragma once

#include <cstdint>

#include "evaluator/data/dataset.h"

namespace nas::evaluator {

struct SyntheticOptions {
  int64_t n = 1000;
  int64_t classes = 10;
  int64_t channels = 1;
  int64_t height = 8;
  int64_t width = 8;
  uint64_t seed = 0;
  float noise = 0.5f;  // standard deviation of the per-pixel noise
};

// Labels cycle through the classes (sample i has label i % classes), so every class has
// n / classes samples, give or take one. The result is a pure function of the options.
Dataset make_synthetic(const SyntheticOptions& options);

}  // namespace nas::evaluator
