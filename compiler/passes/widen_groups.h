// Grouped convolutions whose groups hold fewer output channels than a vector (ResNeXt's 32
// groups of 4 or 8, RegNetY's groups of 8) become convolutions of fewer, wider groups: f
// neighbouring groups merged into one of a vector's channels, with block-diagonal weights
// (zeros between the merged groups). The kernel then computes whole vectors of output
// channels from one group's inputs (a broadcast per input channel, as for group 1) instead
// of gathering a different input channel for each few lanes: f times the multiply-adds at
// several times the speed. Measured on a Sapphire Rapids Xeon, 1 thread, ResNeXt-50's
// layers: experiments/compiler_latency/torchvision_notes.md.
//
// Only where the weights are constants and the merge is exact: f = lanes / (output
// channels per group) divides the groups, and each group has more than one input channel
// (depthwise convolutions have schedules of their own).
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

// `lanes`: the target's f32 vector lanes; 0 or 1 rewrites nothing.
graph::Graph widen_groups(const graph::Graph& graph, int lanes);

}  // namespace nas::passes
