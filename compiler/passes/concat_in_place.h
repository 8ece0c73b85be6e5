// Concatenation without a copy: the kernels that produce the parts of a channel Concat
// write them straight into its output, each at its channels' offset, and the Concat itself
// runs no kernel (as ONNX Runtime and TVM do for the concatenations of GoogLeNet,
// SqueezeNet and Inception). A part is then a view of the whole: its bytes are a range of
// the whole's, which lives from its first part's kernel to its last reader.
//
// A Concat computes in place when it is a group of its own, concatenates along an axis
// that only axes of extent 1 precede (channels of a batch of one), its output and parts
// are stored alike (NCHW, or NCHW[x]c with the same x and parts of whole blocks), and each
// part is a value that a kernel writes (neither a graph input, output nor constant), appears
// once among its inputs, is a part of no other in-place Concat, is not itself the output
// of one, and starts at a 64-byte boundary of the whole (kernels take aligned buffers).
// The Concats of more parts are planned first; a Concat whose parts then already lie one
// after the other in a whole is a slice of it, its output a view too (DenseNet's layers
// each concatenate the block's features so far: prefixes of the block's last Concat).
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "compiler/graph/graph.h"
#include "compiler/passes/fusion_plan.h"
#include "compiler/passes/layout.h"

namespace nas::passes {

struct ConcatView {
  graph::ValueId whole = graph::kNoValue;
  int64_t byte_offset = 0;
};

struct ConcatInPlace {
  // part (or slice) -> where it lies in the whole
  std::map<graph::ValueId, ConcatView> views;
  std::set<size_t> groups;                      // the Concat groups that run no kernel
};

ConcatInPlace plan_concat_in_place(const graph::Graph& graph, const FusionPlan& fusion,
                                   const LayoutPlan& layout);

// The plan without the groups that run no kernel.
FusionPlan without_groups(const FusionPlan& fusion, const std::set<size_t>& groups);

}  // namespace nas::passes
