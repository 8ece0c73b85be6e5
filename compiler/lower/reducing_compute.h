// The compute definitions of the reducing ops (convolution, dense, pooling, mean, softmax);
// an implementation detail of op_compute.
#pragma once

#include <vector>

#include "compiler/lower/op_compute.h"

namespace nas::lower {

// Conv, Gemm, MatMul, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Softmax; an
// internal error for any other op.
NodeCompute reducing_compute(const graph::Graph& graph, const graph::Node& node,
                             const std::vector<Accessor>& inputs, const StageNamer& namer,
                             const std::vector<int64_t>& channel_blocks);

}  // namespace nas::lower
