// The splits a model trains and is validated on, as an experiment config's `data:` section
// and `nas train`'s data flags describe them: one loader, so a search and `nas train` with
// the same settings see the same images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "compiler/graph/graph.h"
#include "evaluator/data/dataset.h"

namespace nas::evaluator {

struct DataSpec {
  std::string set = "fashion-mnist";  // or "synthetic"
  std::filesystem::path folder;       // Fashion-MNIST IDX files; empty: the default folder
  int64_t train_size = 50000;         // samples of the training file in the train split
  int64_t validation_size = 10000;    // ... and in the validation split
  int64_t train_subset = 0;           // 0: all of the split (synthetic: 2000 images)
  int64_t validation_subset = 0;      // 0: all of the split (synthetic: 500 images)
};

// Loads the splits of `spec`. `seed` chooses the split (and the synthetic images);
// `load_test` also reads the test split. "synthetic" makes a learnable set of images of
// the shape `model` takes ([N,C,H,W] images to [N,classes] logits; otherwise a UserError).
DataSplits load_data_splits(const DataSpec& spec, uint64_t seed, bool load_test,
                            const graph::Graph& model);

}  // namespace nas::evaluator
