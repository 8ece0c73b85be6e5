#include "evaluator/data/batches.h"

#include <algorithm>
#include <numeric>

#include "compiler/support/error.h"
#include "compiler/support/random.h"

namespace nas::evaluator {

namespace {

// Separate streams, so that the order and the augmentation draws are unrelated.
constexpr uint64_t kOrderStream = 1;
constexpr uint64_t kFlipStream = 2;
constexpr uint64_t kCropRowStream = 3;
constexpr uint64_t kCropColumnStream = 4;

uint64_t draw(uint64_t seed, int64_t epoch, int64_t index, uint64_t stream) {
  return counter_hash({seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index), stream});
}

}  // namespace

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  SplitMix64 rng(counter_hash({seed, static_cast<uint64_t>(epoch), kOrderStream}));
  shuffle(order, rng);
  return order;
}

void augment_sample(const Dataset& data, int64_t index, const Augmentation& augmentation,
                    uint64_t seed, int64_t epoch, float* out) {
  const int64_t h = data.height;
  const int64_t w = data.width;
  const int64_t p = augmentation.crop_padding;
  std::span<const float> image = data.image(index);
  // Output pixel (y, x) reads padded pixel (y + dy, x' + dx), i.e. source pixel
  // (y + dy - p, x' + dx - p), where x' is x mirrored when flipping.
  int64_t dy = 0;
  int64_t dx = 0;
  if (p > 0) {
    dy = static_cast<int64_t>(below(draw(seed, epoch, index, kCropRowStream), 2 * p + 1)) - p;
    dx = static_cast<int64_t>(below(draw(seed, epoch, index, kCropColumnStream), 2 * p + 1)) - p;
  }
  const bool flip =
      augmentation.horizontal_flip && (draw(seed, epoch, index, kFlipStream) >> 63) != 0;
  for (int64_t c = 0; c < data.channels; ++c) {
    const float* src = image.data() + c * h * w;
    float* dst = out + c * h * w;
    for (int64_t y = 0; y < h; ++y) {
      const int64_t sy = y + dy;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = (flip ? w - 1 - x : x) + dx;
        const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        dst[y * w + x] = inside ? src[sy * w + sx] : data.background;
      }
    }
  }
}

BatchIterator::BatchIterator(const Dataset& data, const BatchOptions& options, int64_t epoch)
    : data_(data), options_(options), epoch_(epoch) {
  data.check_consistent();
  if (options.batch_size <= 0) user_error("batch_size must be positive, got {}", options.batch_size);
  if (options.augmentation.crop_padding < 0)
    user_error("crop_padding must not be negative, got {}", options.augmentation.crop_padding);
  if (epoch < 0) user_error("epoch must not be negative, got {}", epoch);
  if (options.shuffle) {
    order_ = epoch_order(data.n, options.seed, epoch);
  } else {
    order_.resize(static_cast<size_t>(data.n));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
}

int64_t BatchIterator::num_batches() const {
  const int64_t n = data_.n;
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

Batch BatchIterator::batch(int64_t b) const {
  Batch out;
  fill(b, out);
  return out;
}

bool BatchIterator::next(Batch& out) {
  if (next_batch_ >= num_batches()) return false;
  fill(next_batch_++, out);
  return true;
}

void BatchIterator::fill(int64_t b, Batch& out) const {
  NAS_CHECK(b >= 0 && b < num_batches(), "batch {} of {}", b, num_batches());
  const int64_t begin = b * options_.batch_size;
  const int64_t end = std::min(begin + options_.batch_size, data_.n);
  const int64_t sample_size = data_.sample_size();
  out.size = end - begin;
  out.channels = data_.channels;
  out.height = data_.height;
  out.width = data_.width;
  out.images.resize(static_cast<size_t>(out.size * sample_size));
  out.labels.resize(static_cast<size_t>(out.size));
  out.indices.resize(static_cast<size_t>(out.size));
  for (int64_t k = 0; k < out.size; ++k) {
    const int64_t index = order_[static_cast<size_t>(begin + k)];
    float* dst = out.images.data() + k * sample_size;
    if (options_.augmentation.enabled()) {
      augment_sample(data_, index, options_.augmentation, options_.seed, epoch_, dst);
    } else {
      std::span<const float> image = data_.image(index);
      std::copy(image.begin(), image.end(), dst);
    }
    out.labels[static_cast<size_t>(k)] = data_.labels[static_cast<size_t>(index)];
    out.indices[static_cast<size_t>(k)] = index;
  }
}

}  // namespace nas::evaluator
