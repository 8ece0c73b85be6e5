// Inputs to time a model on: seeded standard-normal values in its float inputs, zeros in
// the others. Every latency of a model (nas bench, a search's candidates, the tuner's
// in-model checks) runs on these, so the same model is timed on the same values.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/tensor.h"

namespace nas::runtime {

std::vector<graph::Tensor> seeded_inputs(const graph::Graph& model, uint64_t seed = 0);

}  // namespace nas::runtime
