// Mini-batches of a Dataset for one epoch, in a seeded shuffled order, with optional light
// augmentation (random crop with padding, horizontal flip).
//
// Everything random is a pure function of its key: epoch e's order depends only on
// (seed, e), and the augmentation of a sample only on (seed, epoch, sample index), so a
// sample looks the same in an epoch whatever the batch size, the batch it lands in or the
// thread that prepares it.
#pragma once

#include <cstdint>
#include <vector>

#include "evaluator/data/dataset.h"

namespace nas::evaluator {

struct Augmentation {
  // > 0: pad the image by this many black pixels (Dataset::background) on each side, then
  // crop it back to height x width at a random offset.
  int64_t crop_padding = 0;
  bool horizontal_flip = false;  // mirror left-right with probability 0.5

  bool enabled() const { return crop_padding > 0 || horizontal_flip; }
};

struct BatchOptions {
  int64_t batch_size = 128;
  bool shuffle = true;     // false: samples in data set order
  bool drop_last = false;  // true: leave out a last batch smaller than batch_size
  uint64_t seed = 0;       // drives both the order and the augmentation
  Augmentation augmentation;
};

struct Batch {
  int64_t size = 0;  // samples in this batch (the last may be smaller than batch_size)
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> images;     // size x channels x height x width
  std::vector<int64_t> labels;   // size
  std::vector<int64_t> indices;  // the samples' positions in the Dataset
};

// The order of the samples 0..n-1 in epoch `epoch`: a permutation drawn from (seed, epoch).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch);

// Writes sample `index` of `data` as augmented in epoch `epoch` to `out`
// (data.sample_size() floats).
void augment_sample(const Dataset& data, int64_t index, const Augmentation& augmentation,
                    uint64_t seed, int64_t epoch, float* out);

// The batches of one epoch. Holds a reference to `data`, which must outlive it.
class BatchIterator {
 public:
  BatchIterator(const Dataset& data, const BatchOptions& options, int64_t epoch);

  int64_t num_batches() const;
  // Batch b of the epoch, 0 <= b < num_batches().
  Batch batch(int64_t b) const;
  // Fills `out` with the next batch (reusing its buffers) and returns true, or returns false
  // once the epoch is over.
  bool next(Batch& out);

 private:
  void fill(int64_t b, Batch& out) const;

  const Dataset& data_;
  BatchOptions options_;
  int64_t epoch_;
  std::vector<int64_t> order_;
  int64_t next_batch_ = 0;
};

}  // namespace nas::evaluator
