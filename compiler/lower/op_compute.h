// Compute definitions of the graph ops in loop IR, one per op, following the reference
// kernels (compiler/graph/ops/) exactly.
//
// A value is seen through an Accessor: its element at given output indices, as an
// expression. Elementwise, broadcast and injective ops are accessors built from their
// inputs' accessors, so a chain of them inlines into one expression. A reducing op
// (convolution, dense, pooling, mean) is a reduction per output element plus what the op
// itself applies to the reduced value (bias, alpha/beta, the divisor of a mean), which
// lower_group turns into a compute stage whose epilogue also holds the elementwise ops
// that follow it. Softmax is two reductions (max, sum of exp) and a division.
//
// Loads stay in bounds whatever the indices a Select discards: padding taps read a clamped
// index and are replaced by the padding value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/loop/compute.h"

namespace nas::lower {

// Indices of an element, one i32 expression per dimension.
using Indices = std::vector<loop::Expr>;

// A value's element at the given (logical) indices.
using Accessor = std::function<loop::Expr(const Indices& indices)>;

// Names for the stages an op creates (unique within one kernel).
using StageNamer = std::function<std::string(const std::string& hint)>;

// A reducing op's definition, before lower_group adds the epilogue of the ops after it.
struct ReducingCompute {
  std::string family;                   // "conv2d", "depthwise_conv2d", "dense", "pool", "reduce"
  std::vector<int64_t> shape;           // the op's output shape
  std::vector<std::string> axis_names;  // one per output dimension
  // The reduction at an output element (given by expressions of the stage's loops: a
  // stage stored NCHW[x]c passes channel c_block * x + c_lane).
  std::function<loop::Reduction(const Indices&)> body;
  // The op's own epilogue at the same element; empty: none.
  std::function<loop::Expr(const loop::Expr& reduced, const Indices&)> finish;
};

// What computing one node takes: either a reduction (reducing), or accessors of its outputs
// (inline), possibly reading stages the op needs first (Softmax's max and sum).
struct NodeCompute {
  std::optional<ReducingCompute> reducing;
  std::vector<Accessor> outputs;       // inline: one per node output
  std::vector<loop::Tensor> stages;    // computed before the outputs are read
};

// The compute definition of a supported node (see unsupported_reason in lower_group.h),
// given accessors of its inputs (nullptr-like empty functions for absent optional inputs).
// `channel_blocks[i]` is the channel block x of input i when it is stored NCHW[x]c (1 or
// absent: as its shape says); a convolution then sums its input channels block by block,
// so each tap reads x adjacent channels.
NodeCompute compute_node(const graph::Graph& graph, const graph::Node& node,
                         const std::vector<Accessor>& inputs, const StageNamer& namer,
                         const std::vector<int64_t>& channel_blocks = {});

// The indices of an input of shape `in` read by numpy broadcasting at output indices of
// shape `out` (an axis of the same size as the output's keeps its index).
std::vector<loop::Expr> broadcast_indices(const std::vector<loop::Expr>& indices,
                                          const std::vector<int64_t>& out,
                                          const std::vector<int64_t>& in);

}  // namespace nas::lower
