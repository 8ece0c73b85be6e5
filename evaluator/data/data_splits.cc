#include "evaluator/data/data_splits.h"

#include <vector>

#include "compiler/support/error.h"
#include "evaluator/data/synthetic.h"

namespace nas::evaluator {

namespace {

std::vector<int64_t> iota(int64_t begin, int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = begin + i;
  return v;
}

}  // namespace

DataSplits load_data_splits(const DataSpec& spec, uint64_t seed, bool load_test,
                            const graph::Graph& model) {
  if (spec.set == "fashion-mnist") {
    DataOptions options;
    options.folder = spec.folder;
    options.train_size = spec.train_size;
    options.validation_size = spec.validation_size;
    options.train_subset = spec.train_subset;
    options.validation_subset = spec.validation_subset;
    options.split_seed = seed;
    options.load_test = load_test;
    return load_fashion_mnist(options);
  }
  if (spec.set != "synthetic")
    user_error("unknown data set '{}' (expected fashion-mnist or synthetic)", spec.set);
  const graph::Shape& in = model.type(model.inputs()[0]).shape;
  const graph::Shape& out = model.type(model.outputs()[0]).shape;
  if (in.size() != 4 || out.size() != 2)
    user_error("data set 'synthetic' needs a model from [N,C,H,W] images to [N,classes] "
               "logits");
  const int64_t train_n = spec.train_subset > 0 ? spec.train_subset : 2000;
  const int64_t val_n = spec.validation_subset > 0 ? spec.validation_subset : 500;
  const Dataset all = make_synthetic({.n = train_n + 2 * val_n, .classes = out[1],
                                      .channels = in[1], .height = in[2], .width = in[3],
                                      .seed = seed});
  // The test split is a second validation-sized draw: synthetic data has no held-out file.
  return {select(all, iota(0, train_n)), select(all, iota(train_n, val_n)),
          select(all, iota(train_n + val_n, val_n))};
}

}  // namespace nas::evaluator
