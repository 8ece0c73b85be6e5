// The small Fashion-MNIST CNN used by the quickstart and the evaluator's benchmarks:
// conv3x3 1->16, BN, ReLU; conv3x3 16->32 stride 2, BN, ReLU; conv3x3 32->64 stride 2,
// BN, ReLU; global average pool; dense 64->10. Weights are drawn like PyTorch's defaults
// (uniform in +-1/sqrt(fan_in)) from a seeded generator, so a seed names one model.
#pragma once

#include <cstdint>

#include "compiler/graph/graph.h"

namespace nas::evaluator {

graph::Graph small_cnn(uint64_t seed, int64_t batch = 1);

}  // namespace nas::evaluator
