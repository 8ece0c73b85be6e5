// Division by a constant as multiplication by its reciprocal.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

// Rewrites each float Div whose divisor is a constant of finite, nonzero values with finite
// reciprocals as a Mul by a new constant holding those reciprocals. A vector division costs
// 5-10 multiplications' time (GELU's x / sqrt(2) in the epilogue of ConvNeXt's dense
// kernels); x * (1 / c) is within an ulp of x / c, and exact where c is a power of two.
graph::Graph divide_by_constants(const graph::Graph& graph);

}  // namespace nas::passes
