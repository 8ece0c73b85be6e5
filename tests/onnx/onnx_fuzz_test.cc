// Robustness of the importer: corrupted models (random byte flips, truncations, insertions
// of a real exported model) must end in a graph or a UserError, never a crash or an
// internal error.
#include <gtest/gtest.h>

#include "compiler/onnx/onnx_export.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/support/error.h"
#include "compiler/support/random.h"
#include "evaluator/models/small_cnn.h"

namespace nas::onnx_io {
namespace {

TEST(OnnxFuzz, CorruptedModelsGiveUserErrorsOrGraphs) {
  const std::string original = export_onnx_bytes(evaluator::small_cnn(1));
  SplitMix64 rng(2024);
  int imported = 0, rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = original;
    switch (trial % 3) {
      case 0:  // flip a few bytes
        for (int k = 0; k < 1 + static_cast<int>(rng.below(4)); ++k)
          bytes[rng.below(bytes.size())] ^= static_cast<char>(1 + rng.below(255));
        break;
      case 1:  // truncate
        bytes.resize(rng.below(bytes.size()));
        break;
      case 2:  // insert random bytes
        bytes.insert(rng.below(bytes.size()), std::string(1 + rng.below(8), static_cast<char>(rng.below(256))));
        break;
    }
    try {
      import_onnx_bytes(bytes, "fuzzed.onnx");
      ++imported;
    } catch (const UserError& e) {
      ++rejected;
      EXPECT_NE(std::string(e.what()).find("fuzzed.onnx"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(imported + rejected, 400);
}

}  // namespace
}  // namespace nas::onnx_io
