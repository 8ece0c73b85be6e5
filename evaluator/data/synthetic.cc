#include "evaluator/data/synthetic.h"

#include <cmath>
#include <numeric>

#include "compiler/support/error.h"
#include "compiler/support/random.h"

namespace nas::evaluator {

namespace {

constexpr int64_t kBlock = 4;  // prototype pixels per block side
constexpr uint64_t kPrototypeStream = 1;
constexpr uint64_t kNoiseStream = 2;

}  // namespace

Dataset make_synthetic(const SyntheticOptions& options) {
  if (options.n < 0) user_error("synthetic data: n must not be negative, got {}", options.n);
  if (options.classes < 1)
    user_error("synthetic data: classes must be at least 1, got {}", options.classes);
  if (options.channels < 1 || options.height < 1 || options.width < 1)
    user_error("synthetic data: channels, height and width must be positive, got {}x{}x{}",
               options.channels, options.height, options.width);
  if (!(options.noise >= 0.0f) || !std::isfinite(options.noise))
    user_error("synthetic data: noise must be a non-negative number, got {}", options.noise);

  Dataset data;
  data.n = options.n;
  data.channels = options.channels;
  data.height = options.height;
  data.width = options.width;
  data.classes = options.classes;
  data.background = 0.0f;
  const int64_t size = data.sample_size();

  const int64_t blocks_y = (options.height + kBlock - 1) / kBlock;
  const int64_t blocks_x = (options.width + kBlock - 1) / kBlock;
  std::vector<float> prototypes(static_cast<size_t>(options.classes * size));
  SplitMix64 prototype_rng(counter_hash({options.seed, kPrototypeStream}));
  for (int64_t k = 0; k < options.classes; ++k) {
    for (int64_t c = 0; c < options.channels; ++c) {
      std::vector<float> levels(static_cast<size_t>(blocks_y * blocks_x));
      for (float& level : levels) level = static_cast<float>(prototype_rng.normal());
      float* proto = prototypes.data() + k * size + c * options.height * options.width;
      for (int64_t y = 0; y < options.height; ++y)
        for (int64_t x = 0; x < options.width; ++x)
          proto[y * options.width + x] =
              levels[static_cast<size_t>((y / kBlock) * blocks_x + x / kBlock)];
    }
  }

  data.images.resize(static_cast<size_t>(options.n * size));
  data.labels.resize(static_cast<size_t>(options.n));
  data.source_index.resize(static_cast<size_t>(options.n));
  std::iota(data.source_index.begin(), data.source_index.end(), int64_t{0});
  for (int64_t i = 0; i < options.n; ++i) {
    const int64_t label = i % options.classes;
    data.labels[static_cast<size_t>(i)] = label;
    // One generator per sample: sample i is the same whatever n is.
    SplitMix64 noise_rng(counter_hash({options.seed, kNoiseStream, static_cast<uint64_t>(i)}));
    const float* proto = prototypes.data() + label * size;
    float* image = data.images.data() + i * size;
    for (int64_t j = 0; j < size; ++j)
      image[j] = proto[j] + options.noise * static_cast<float>(noise_rng.normal());
  }
  return data;
}

}  // namespace nas::evaluator
