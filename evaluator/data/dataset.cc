#include "evaluator/data/dataset.h"

#include <cmath>
#include <cstdlib>
#include <numeric>

#include "compiler/support/error.h"
#include "compiler/support/random.h"
#include "evaluator/data/idx.h"

namespace nas::evaluator {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSplitStream = 0x73706c6974;  // "split"

void check_normalization(const Normalization& normalization) {
  if (!(normalization.std > 0.0f) || !std::isfinite(normalization.std))
    user_error("normalization std must be a positive number, got {}", normalization.std);
  if (!std::isfinite(normalization.mean))
    user_error("normalization mean must be a finite number, got {}", normalization.mean);
}

}  // namespace

void Dataset::check_consistent() const {
  NAS_CHECK(n >= 0 && channels >= 0 && height >= 0 && width >= 0 && classes >= 0,
            "dataset of {} samples of {}x{}x{}, {} classes", n, channels, height, width, classes);
  NAS_CHECK(static_cast<int64_t>(images.size()) == n * sample_size(),
            "{} image values for {} samples of {}x{}x{}", images.size(), n, channels, height, width);
  NAS_CHECK(static_cast<int64_t>(labels.size()) == n, "{} labels for {} samples", labels.size(), n);
  NAS_CHECK(source_index.empty() || static_cast<int64_t>(source_index.size()) == n,
            "{} source indices for {} samples", source_index.size(), n);
}

Dataset select(const Dataset& from, std::span<const int64_t> indices) {
  from.check_consistent();
  Dataset out;
  out.n = static_cast<int64_t>(indices.size());
  out.channels = from.channels;
  out.height = from.height;
  out.width = from.width;
  out.classes = from.classes;
  out.background = from.background;
  const int64_t size = from.sample_size();
  out.images.resize(static_cast<size_t>(out.n * size));
  out.labels.reserve(indices.size());
  out.source_index.reserve(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    NAS_CHECK(i >= 0 && i < from.n, "index {} outside a data set of {}", i, from.n);
    std::span<const float> image = from.image(i);
    std::copy(image.begin(), image.end(), out.images.begin() + static_cast<int64_t>(k) * size);
    out.labels.push_back(from.labels[i]);
    out.source_index.push_back(from.source_index.empty() ? i : from.source_index[i]);
  }
  return out;
}

Dataset load_idx_dataset(const fs::path& images_file, const fs::path& labels_file,
                         int64_t classes, const Normalization& normalization) {
  check_normalization(normalization);
  const IdxArray images = read_idx_images(images_file);
  const IdxArray labels = read_idx_labels(labels_file);
  if (images.dims[0] != labels.dims[0])
    user_error("{} holds {} images but {} holds {} labels", images_file.string(), images.dims[0],
               labels_file.string(), labels.dims[0]);

  Dataset data;
  data.n = images.dims[0];
  data.channels = 1;
  data.height = images.dims[1];
  data.width = images.dims[2];
  data.classes = classes;
  data.background = normalization.apply(0);

  float table[256];  // every pixel value's normalised float, computed once
  for (int v = 0; v < 256; ++v) table[v] = normalization.apply(static_cast<uint8_t>(v));
  data.images.resize(images.data.size());
  for (size_t i = 0; i < images.data.size(); ++i) data.images[i] = table[images.data[i]];

  data.labels.reserve(static_cast<size_t>(data.n));
  for (int64_t i = 0; i < data.n; ++i) {
    const int64_t label = labels.data[static_cast<size_t>(i)];
    if (label >= classes)
      user_error("{}: label {} of sample {} is outside [0, {})", labels_file.string(), label, i,
                 classes);
    data.labels.push_back(label);
  }
  data.source_index.resize(static_cast<size_t>(data.n));
  std::iota(data.source_index.begin(), data.source_index.end(), int64_t{0});
  return data;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

fs::path fashion_mnist_folder(const DataOptions& options) {
  if (!options.folder.empty()) return options.folder;
  if (const char* dir = std::getenv("NAS_FASHION_MNIST_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return fs::path(kDefaultFashionMnistFolder);
}

DataSplits split_train_validation(const Dataset& training_file, const DataOptions& options,
                                  std::string_view source) {
  if (options.train_size < 0) user_error("train_size must not be negative, got {}", options.train_size);
  if (options.validation_size < 0)
    user_error("validation_size must not be negative, got {}", options.validation_size);
  if (options.train_size + options.validation_size > training_file.n)
    user_error("train_size {} + validation_size {} = {} exceeds the {} samples of {}",
               options.train_size, options.validation_size,
               options.train_size + options.validation_size, training_file.n, source);
  if (options.train_subset < 0 || options.train_subset > options.train_size)
    user_error("train_subset {} must lie in [0, train_size {}] (0: the whole split)",
               options.train_subset, options.train_size);
  if (options.validation_subset < 0 || options.validation_subset > options.validation_size)
    user_error("validation_subset {} must lie in [0, validation_size {}] (0: the whole split)",
               options.validation_subset, options.validation_size);

  std::vector<int64_t> order(static_cast<size_t>(training_file.n));
  std::iota(order.begin(), order.end(), int64_t{0});
  SplitMix64 rng(counter_hash({options.split_seed, kSplitStream}));
  shuffle(order, rng);

  const int64_t train_count = options.train_subset > 0 ? options.train_subset : options.train_size;
  const int64_t validation_count =
      options.validation_subset > 0 ? options.validation_subset : options.validation_size;
  std::span<const int64_t> all(order);
  DataSplits splits;
  splits.train = select(training_file, all.subspan(0, static_cast<size_t>(train_count)));
  splits.validation = select(
      training_file,
      all.subspan(static_cast<size_t>(options.train_size), static_cast<size_t>(validation_count)));
  return splits;
}

DataSplits load_fashion_mnist(const DataOptions& options) {
  const fs::path folder = fashion_mnist_folder(options);
  if (!fs::is_directory(folder))
    user_error("Fashion-MNIST folder {} does not exist (set the data folder or "
               "NAS_FASHION_MNIST_DIR, or install the Debian package dataset-fashion-mnist)",
               folder.string());
  const fs::path train_images = folder / "train-images-idx3-ubyte.gz";
  const fs::path train_labels = folder / "train-labels-idx1-ubyte.gz";
  DataSplits splits = split_train_validation(
      load_idx_dataset(train_images, train_labels, kFashionMnistClasses, options.normalization),
      options, train_images.string());
  if (options.load_test)
    splits.test = load_idx_dataset(folder / "t10k-images-idx3-ubyte.gz",
                                   folder / "t10k-labels-idx1-ubyte.gz", kFashionMnistClasses,
                                   options.normalization);
  return splits;
}

}  // namespace nas::evaluator
