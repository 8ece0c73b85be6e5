// Helpers shared by the graph pass tests: seeded random tensors, comparison against the
// reference executor, golden text files, and the small models the passes are tried on.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/graph/graph.h"
#include "compiler/support/random.h"

namespace nas::passes::testing {

// Uniform in [lo, hi), f32, from a seeded generator.
graph::Tensor random_tensor(graph::Shape shape, SplitMix64& rng, double lo = -1.0,
                            double hi = 1.0);

// Random inputs for a graph (uniform in [-1, 1)).
std::vector<graph::Tensor> random_inputs(const graph::Graph& graph, uint64_t seed);

// Largest |a - b| / (1 + |b|) over all elements; a and b must have one shape.
double max_relative_error(const graph::Tensor& a, const graph::Tensor& b);

// Compares `actual` with tests/passes/golden/NAME. With NAS_UPDATE_GOLDEN=1 in the
// environment it writes the file instead (then review the diff).
void expect_golden(const std::string& name, const std::string& actual);

// "before" and "after" text of a pass, as the golden files hold them.
std::string before_after(const graph::Graph& before, const std::string& pass,
                         const graph::Graph& after);

// An inverted-residual block in the MobileNetV2/V3 style, on x: f32[1,8,8,8]:
// Conv1x1 8->16 (no bias), BN, Clip(0,6); depthwise Conv3x3 (group 16), BN, HardSwish;
// Conv1x1 16->8, BN; Add with x. Batch-norm statistics are random, so folding matters.
graph::Graph mobilenet_block(uint64_t seed);

}  // namespace nas::passes::testing
