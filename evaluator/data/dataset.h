// Data sets the evaluator trains and tests on: a value type holding images (NCHW floats,
// normalised) with their labels, the Fashion-MNIST loader with its seeded train/validation
// split, and a learnable synthetic data set for tests.
//
// Fashion-MNIST comes from the Debian package dataset-fashion-mnist, which installs the four
// IDX files under /usr/share/datasets/fashion-mnist. The validation split is carved out of
// the training file by a seeded shuffle; the t10k file is the test split, kept apart for
// final reporting only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nas::evaluator {

// pixel -> (pixel / 255 - mean) / std. The defaults are Fashion-MNIST's training-set
// statistics.
struct Normalization {
  float mean = 0.2860f;
  float std = 0.3530f;

  float apply(uint8_t pixel) const { return (static_cast<float>(pixel) / 255.0f - mean) / std; }
};

struct Dataset {
  int64_t n = 0;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t classes = 0;
  std::vector<float> images;    // n x channels x height x width, normalised
  std::vector<int64_t> labels;  // n values in [0, classes)
  // Position of each sample in the file (or generator) it came from, so that a split or a
  // batch can be traced back and replayed. May be left empty in a hand-built Dataset,
  // meaning "its position here".
  std::vector<int64_t> source_index;
  // The value of a black pixel (raw 0) after normalisation: what crop padding fills with.
  float background = 0.0f;

  int64_t sample_size() const { return channels * height * width; }
  // Checks (as an internal invariant) that the vectors' sizes agree with n and the shape.
  void check_consistent() const;

  std::span<const float> image(int64_t i) const {
    return {images.data() + i * sample_size(), static_cast<size_t>(sample_size())};
  }
};

// The samples `indices` of `from`, in that order (source_index follows them).
Dataset select(const Dataset& from, std::span<const int64_t> indices);

// Reads an IDX image file (count x rows x columns, one channel) and its label file. The
// counts must agree and every label must lie in [0, classes).
Dataset load_idx_dataset(const std::filesystem::path& images_file,
                         const std::filesystem::path& labels_file, int64_t classes,
                         const Normalization& normalization);

struct DataOptions {
  // Folder with the four IDX files; empty: $NAS_FASHION_MNIST_DIR if set, else
  // /usr/share/datasets/fashion-mnist.
  std::filesystem::path folder;
  int64_t train_size = 50000;       // taken from the training file
  int64_t validation_size = 10000;  // taken from the training file, disjoint from train
  int64_t train_subset = 0;         // > 0: keep the first K of the (shuffled) train split
  int64_t validation_subset = 0;    // > 0: likewise for the validation split
  uint64_t split_seed = 0;
  bool load_test = true;            // false: leave DataSplits::test empty
  Normalization normalization;
};

struct DataSplits {
  Dataset train;
  Dataset validation;
  Dataset test;  // for final reporting only; never used to choose anything
};

inline constexpr std::string_view kDefaultFashionMnistFolder = "/usr/share/datasets/fashion-mnist";
inline constexpr int64_t kFashionMnistClasses = 10;

// "T-shirt/top", "Trouser", ... in label order.
const std::vector<std::string>& fashion_mnist_class_names();

// Where load_fashion_mnist looks: options.folder, else $NAS_FASHION_MNIST_DIR, else the
// Debian package's folder.
std::filesystem::path fashion_mnist_folder(const DataOptions& options);

DataSplits load_fashion_mnist(const DataOptions& options);

// The train/validation split of a training file's samples: a permutation drawn from
// options.split_seed, its first train_size samples the train split and the next
// validation_size the validation split, then the subsets. `source` names the data in
// errors (e.g. the image file). Leaves `test` empty.
DataSplits split_train_validation(const Dataset& training_file, const DataOptions& options,
                                  std::string_view source);

}  // namespace nas::evaluator
