// Data sets: loading IDX pairs, normalisation, the seeded train/validation split, the
// Fashion-MNIST folder rules, and (when the Debian package is installed) the real files.
#include "evaluator/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "evaluator/data/synthetic.h"
#include "tests/evaluator/data_test_util.h"
#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using nas::testing::Bytes;
using nas::testing::gzip_bytes;
using nas::testing::idx_bytes;
using nas::testing::TempDir;
using nas::testing::test_labels;
using nas::testing::test_pixels;
using nas::testing::user_error_message;
using nas::testing::write_file;

constexpr uint32_t kH = 3;
constexpr uint32_t kW = 5;

// A Fashion-MNIST-like folder with n training and m test images of kH x kW.
void write_fashion_folder(const fs::path& folder, uint32_t n, uint32_t m) {
  write_file(folder / "train-images-idx3-ubyte.gz", gzip_bytes(idx_bytes({n, kH, kW}, test_pixels(n, kH, kW))));
  write_file(folder / "train-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes({n}, test_labels(n, 10))));
  write_file(folder / "t10k-images-idx3-ubyte.gz", gzip_bytes(idx_bytes({m, kH, kW}, test_pixels(m, kH, kW))));
  write_file(folder / "t10k-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes({m}, test_labels(m, 10))));
}

// The training file's sample that `image` is a copy of (images of test_pixels are distinct).
int64_t find_in(const Dataset& file, std::span<const float> image) {
  for (int64_t i = 0; i < file.n; ++i)
    if (std::equal(image.begin(), image.end(), file.image(i).begin())) return i;
  return -1;
}

TEST(Dataset, LoadsIdxPairWithNormalisation) {
  TempDir dir;
  write_file(dir / "images", idx_bytes({2, 1, 3}, {0, 255, 51, 10, 20, 30}));
  write_file(dir / "labels", idx_bytes({2}, {7, 2}));
  const Normalization norm{.mean = 0.5f, .std = 0.25f};
  const Dataset data = load_idx_dataset(dir / "images", dir / "labels", 10, norm);
  EXPECT_EQ(data.n, 2);
  EXPECT_EQ(data.channels, 1);
  EXPECT_EQ(data.height, 1);
  EXPECT_EQ(data.width, 3);
  EXPECT_EQ(data.classes, 10);
  EXPECT_EQ(data.labels, (std::vector<int64_t>{7, 2}));
  EXPECT_EQ(data.source_index, (std::vector<int64_t>{0, 1}));
  // (0/255 - 0.5)/0.25 = -2; (255/255 - 0.5)/0.25 = 2; (51/255 - 0.5)/0.25 = (0.2-0.5)*4 = -1.2
  ASSERT_EQ(data.images.size(), 6u);
  EXPECT_FLOAT_EQ(data.images[0], -2.0f);
  EXPECT_FLOAT_EQ(data.images[1], 2.0f);
  EXPECT_FLOAT_EQ(data.images[2], -1.2f);
  EXPECT_FLOAT_EQ(data.background, -2.0f);
}

TEST(Dataset, DefaultNormalisationIsFashionMnists) {
  const Normalization norm;
  EXPECT_FLOAT_EQ(norm.mean, 0.2860f);
  EXPECT_FLOAT_EQ(norm.std, 0.3530f);
  EXPECT_NEAR(norm.apply(0), -0.2860 / 0.3530, 1e-6);    // -0.81020
  EXPECT_NEAR(norm.apply(255), 0.7140 / 0.3530, 1e-6);   // 2.02266
  EXPECT_NEAR(norm.apply(73), (73.0 / 255 - 0.2860) / 0.3530, 1e-6);
}

TEST(Dataset, BadNormalisation) {
  TempDir dir;
  write_file(dir / "images", idx_bytes({1, 1, 1}, {0}));
  write_file(dir / "labels", idx_bytes({1}, {0}));
  EXPECT_THAT(user_error_message([&] {
                load_idx_dataset(dir / "images", dir / "labels", 10, {.mean = 0.1f, .std = 0.0f});
              }),
              HasSubstr("normalization std must be a positive number, got 0"));
}

TEST(Dataset, ImageAndLabelCountsMustMatch) {
  TempDir dir;
  write_file(dir / "imgs-idx3-ubyte", idx_bytes({4, kH, kW}, test_pixels(4, kH, kW)));
  write_file(dir / "lbls-idx1-ubyte.gz", gzip_bytes(idx_bytes({3}, test_labels(3, 10))));
  const std::string message = user_error_message(
      [&] { load_idx_dataset(dir / "imgs-idx3-ubyte", dir / "lbls-idx1-ubyte.gz", 10, {}); });
  EXPECT_THAT(message, AllOf(HasSubstr((dir / "imgs-idx3-ubyte").string() + " holds 4 images"),
                             HasSubstr((dir / "lbls-idx1-ubyte.gz").string() + " holds 3 labels")));
}

TEST(Dataset, LabelOutsideClasses) {
  TempDir dir;
  write_file(dir / "images", idx_bytes({3, 1, 1}, {0, 0, 0}));
  write_file(dir / "labels", idx_bytes({3}, {0, 12, 1}));
  EXPECT_EQ(user_error_message([&] { load_idx_dataset(dir / "images", dir / "labels", 10, {}); }),
            (dir / "labels").string() + ": label 12 of sample 1 is outside [0, 10)");
}

TEST(Dataset, SelectCopiesSamplesInOrder) {
  const Dataset data = make_synthetic({.n = 10, .classes = 3, .channels = 2, .height = 2, .width = 3});
  const std::vector<int64_t> picks = {7, 2, 7};
  const Dataset sub = select(data, picks);
  EXPECT_EQ(sub.n, 3);
  EXPECT_EQ(sub.channels, 2);
  EXPECT_EQ(sub.source_index, picks);
  for (int64_t k = 0; k < sub.n; ++k) {
    EXPECT_EQ(sub.labels[k], data.labels[picks[k]]);
    EXPECT_TRUE(std::ranges::equal(sub.image(k), data.image(picks[k])));
  }
}

TEST(Dataset, SelectFromAHandBuiltDatasetWithoutSourceIndex) {
  Dataset data{.n = 3, .channels = 1, .height = 1, .width = 1, .classes = 2};
  data.images = {10, 11, 12};
  data.labels = {0, 1, 0};
  const std::vector<int64_t> picks = {2, 0};
  const Dataset sub = select(data, picks);
  EXPECT_EQ(sub.images, (std::vector<float>{12, 10}));
  EXPECT_EQ(sub.source_index, picks);
}

// --- the train/validation split ---------------------------------------------------------

Dataset indexed_data(int64_t n) {
  // A data set whose single pixel is the sample's index, to see where samples went.
  Dataset data{.n = n, .channels = 1, .height = 1, .width = 1, .classes = 10};
  for (int64_t i = 0; i < n; ++i) {
    data.images.push_back(static_cast<float>(i));
    data.labels.push_back(i % 10);
    data.source_index.push_back(i);
  }
  return data;
}

TEST(Split, SizesAndDisjoint) {
  const Dataset file = indexed_data(100);
  const DataSplits splits =
      split_train_validation(file, {.train_size = 70, .validation_size = 20, .split_seed = 5}, "f");
  EXPECT_EQ(splits.train.n, 70);
  EXPECT_EQ(splits.validation.n, 20);
  EXPECT_EQ(splits.test.n, 0);
  std::set<int64_t> seen;
  for (const Dataset* part : {&splits.train, &splits.validation})
    for (int64_t i = 0; i < part->n; ++i) {
      const int64_t source = part->source_index[i];
      EXPECT_TRUE(seen.insert(source).second) << "sample " << source << " is in two places";
      EXPECT_EQ(part->images[i], static_cast<float>(source));
      EXPECT_EQ(part->labels[i], source % 10);
    }
  EXPECT_EQ(seen.size(), 90u);
}

TEST(Split, SameSeedSameSplitOtherSeedOtherSplit) {
  const Dataset file = indexed_data(200);
  const DataOptions a{.train_size = 150, .validation_size = 50, .split_seed = 1};
  DataOptions b = a;
  b.split_seed = 2;
  EXPECT_EQ(split_train_validation(file, a, "f").train.source_index,
            split_train_validation(file, a, "f").train.source_index);
  EXPECT_EQ(split_train_validation(file, a, "f").validation.source_index,
            split_train_validation(file, a, "f").validation.source_index);
  EXPECT_NE(split_train_validation(file, a, "f").validation.source_index,
            split_train_validation(file, b, "f").validation.source_index);
  // Shuffled, not a block of the file.
  const std::vector<int64_t> validation = split_train_validation(file, a, "f").validation.source_index;
  EXPECT_FALSE(std::ranges::is_sorted(validation));
}

TEST(Split, SubsetsAreThePrefixOfTheSplit) {
  const Dataset file = indexed_data(100);
  const DataOptions full{.train_size = 60, .validation_size = 30, .split_seed = 9};
  DataOptions small = full;
  small.train_subset = 10;
  small.validation_subset = 5;
  const DataSplits a = split_train_validation(file, full, "f");
  const DataSplits b = split_train_validation(file, small, "f");
  ASSERT_EQ(b.train.n, 10);
  ASSERT_EQ(b.validation.n, 5);
  EXPECT_TRUE(std::equal(b.train.source_index.begin(), b.train.source_index.end(),
                         a.train.source_index.begin()));
  EXPECT_TRUE(std::equal(b.validation.source_index.begin(), b.validation.source_index.end(),
                         a.validation.source_index.begin()));
}

TEST(Split, TooLargeForTheFile) {
  const Dataset file = indexed_data(100);
  EXPECT_EQ(user_error_message([&] {
              split_train_validation(file, {.train_size = 90, .validation_size = 20}, "train.gz");
            }),
            "train_size 90 + validation_size 20 = 110 exceeds the 100 samples of train.gz");
}

TEST(Split, BadSizes) {
  const Dataset file = indexed_data(100);
  EXPECT_THAT(user_error_message([&] {
                split_train_validation(file, {.train_size = -1, .validation_size = 20}, "f");
              }),
              HasSubstr("train_size must not be negative, got -1"));
  EXPECT_THAT(user_error_message([&] {
                split_train_validation(file, {.train_size = 10, .validation_size = -2}, "f");
              }),
              HasSubstr("validation_size must not be negative, got -2"));
  EXPECT_THAT(user_error_message([&] {
                split_train_validation(
                    file, {.train_size = 10, .validation_size = 20, .train_subset = 11}, "f");
              }),
              HasSubstr("train_subset 11 must lie in [0, train_size 10]"));
  EXPECT_THAT(user_error_message([&] {
                split_train_validation(
                    file, {.train_size = 10, .validation_size = 20, .validation_subset = 21}, "f");
              }),
              HasSubstr("validation_subset 21 must lie in [0, validation_size 20]"));
}

// --- the Fashion-MNIST loader on a folder written here -----------------------------------

TEST(FashionMnistLoader, SplitsAFolder) {
  TempDir dir;
  write_fashion_folder(dir.path(), 120, 30);
  const DataOptions options{.folder = dir.path(), .train_size = 80, .validation_size = 40,
                            .split_seed = 3};
  const DataSplits splits = load_fashion_mnist(options);
  EXPECT_EQ(splits.train.n, 80);
  EXPECT_EQ(splits.validation.n, 40);
  EXPECT_EQ(splits.test.n, 30);
  EXPECT_EQ(splits.train.height, 3);
  EXPECT_EQ(splits.train.width, 5);
  EXPECT_EQ(splits.train.classes, 10);
  EXPECT_FLOAT_EQ(splits.train.background, Normalization{}.apply(0));

  // Every train and validation image is one of the training file's, found where
  // source_index says, with its label; none is in both splits.
  const Dataset file = load_idx_dataset(dir / "train-images-idx3-ubyte.gz",
                                        dir / "train-labels-idx1-ubyte.gz", 10, {});
  std::set<int64_t> seen;
  for (const Dataset* part : {&splits.train, &splits.validation})
    for (int64_t i = 0; i < part->n; ++i) {
      const int64_t at = find_in(file, part->image(i));
      ASSERT_GE(at, 0) << "an image that is not in the training file";
      EXPECT_EQ(at, part->source_index[i]);
      EXPECT_EQ(part->labels[i], file.labels[at]);
      EXPECT_TRUE(seen.insert(at).second);
    }
  // The test split is the t10k file, in file order.
  EXPECT_EQ(splits.test.source_index[29], 29);
  EXPECT_EQ(splits.test.labels[13], 3);

  const DataSplits again = load_fashion_mnist(options);
  EXPECT_EQ(again.train.source_index, splits.train.source_index);
  EXPECT_EQ(again.train.images, splits.train.images);

  DataOptions no_test = options;
  no_test.load_test = false;
  EXPECT_EQ(load_fashion_mnist(no_test).test.n, 0);
}

TEST(FashionMnistLoader, MissingFolder) {
  TempDir dir;
  EXPECT_THAT(user_error_message([&] { load_fashion_mnist({.folder = dir / "absent"}); }),
              AllOf(HasSubstr("Fashion-MNIST folder " + (dir / "absent").string() +
                              " does not exist"),
                    HasSubstr("dataset-fashion-mnist")));
}

TEST(FashionMnistLoader, MissingFile) {
  TempDir dir;
  write_fashion_folder(dir.path(), 20, 10);
  fs::remove(dir / "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(user_error_message([&] {
              load_fashion_mnist({.folder = dir.path(), .train_size = 10, .validation_size = 10});
            }),
            (dir / "t10k-labels-idx1-ubyte.gz").string() + ": missing");
}

TEST(FashionMnistLoader, CountMismatchNamesBothFiles) {
  TempDir dir;
  write_fashion_folder(dir.path(), 20, 10);
  write_file(dir / "train-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes({19}, test_labels(19, 10))));
  EXPECT_EQ(user_error_message([&] {
              load_fashion_mnist({.folder = dir.path(), .train_size = 10, .validation_size = 10});
            }),
            (dir / "train-images-idx3-ubyte.gz").string() + " holds 20 images but " +
                (dir / "train-labels-idx1-ubyte.gz").string() + " holds 19 labels");
}

TEST(FashionMnistLoader, SplitTooLargeNamesTheFile) {
  TempDir dir;
  write_fashion_folder(dir.path(), 20, 10);
  EXPECT_EQ(user_error_message([&] { load_fashion_mnist({.folder = dir.path()}); }),
            "train_size 50000 + validation_size 10000 = 60000 exceeds the 20 samples of " +
                (dir / "train-images-idx3-ubyte.gz").string());
}

// Sets an environment variable for the length of a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1); else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1); else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(FashionMnistLoader, FolderRules) {
  {
    ScopedEnv env("NAS_FASHION_MNIST_DIR", nullptr);
    EXPECT_EQ(fashion_mnist_folder({}), fs::path("/usr/share/datasets/fashion-mnist"));
    EXPECT_EQ(fashion_mnist_folder({.folder = "/data/fm"}), fs::path("/data/fm"));
  }
  {
    ScopedEnv env("NAS_FASHION_MNIST_DIR", "/elsewhere/fm");
    EXPECT_EQ(fashion_mnist_folder({}), fs::path("/elsewhere/fm"));
    EXPECT_EQ(fashion_mnist_folder({.folder = "/data/fm"}), fs::path("/data/fm"));
  }
  {
    ScopedEnv env("NAS_FASHION_MNIST_DIR", "");
    EXPECT_EQ(fashion_mnist_folder({}), fs::path("/usr/share/datasets/fashion-mnist"));
  }
}

TEST(FashionMnistLoader, FolderFromEnvironment) {
  TempDir dir;
  write_fashion_folder(dir.path(), 20, 10);
  ScopedEnv env("NAS_FASHION_MNIST_DIR", dir.path().c_str());
  EXPECT_EQ(load_fashion_mnist({.train_size = 15, .validation_size = 5}).test.n, 10);
}

// --- the real data set, where the Debian package installed it ------------------------------

TEST(FashionMnistLoader, RealDataSet) {
  const fs::path folder(kDefaultFashionMnistFolder);
  if (!fs::exists(folder / "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << folder << " has no Fashion-MNIST (install the Debian package "
                              "dataset-fashion-mnist to run this test)";
  const DataSplits splits = load_fashion_mnist({.folder = folder});
  EXPECT_EQ(splits.train.n, 50000);
  EXPECT_EQ(splits.validation.n, 10000);
  EXPECT_EQ(splits.test.n, 10000);
  for (const Dataset* part : {&splits.train, &splits.validation, &splits.test}) {
    EXPECT_EQ(part->channels, 1);
    EXPECT_EQ(part->height, 28);
    EXPECT_EQ(part->width, 28);
    EXPECT_EQ(part->classes, 10);
  }
  EXPECT_EQ(fashion_mnist_class_names().size(), 10u);

  // The training file holds 6000 images of each class, the test file 1000.
  std::map<int64_t, int64_t> train_file_counts, test_counts;
  for (const Dataset* part : {&splits.train, &splits.validation})
    for (int64_t label : part->labels) ++train_file_counts[label];
  for (int64_t label : splits.test.labels) ++test_counts[label];
  ASSERT_EQ(train_file_counts.size(), 10u);
  for (const auto& [label, count] : train_file_counts) {
    EXPECT_NEAR(count, 6000, 300) << "class " << label;
    EXPECT_NEAR(test_counts[label], 1000, 100) << "class " << label;
  }
  // The default normalisation is the training set's: mean about 0, spread about 1.
  double sum = 0, sum_sq = 0;
  for (float v : splits.train.images) {
    sum += v;
    sum_sq += double{v} * v;
  }
  const double count = static_cast<double>(splits.train.images.size());
  EXPECT_NEAR(sum / count, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(sum_sq / count - (sum / count) * (sum / count)), 1.0, 0.02);
}

}  // namespace
}  // namespace nas::evaluator
