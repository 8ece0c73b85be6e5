// Moves a per-channel scale of a convolution's input into its weights: Conv(x * s, W) =
// Conv(x, W * s) where s holds one factor per input channel ([1, C, 1, 1]: squeeze-and-
// excitation's gate in EfficientNet, MobileNetV3 and RegNetY, which multiplies a whole
// feature map before the block's projection). The scale then costs K * C * kh * kw
// multiplies (and a packing of the weights each run, as a training step's) instead of a
// pass over the feature map's C * H * W values.
//
// Only where that is cheaper: the weights times two (the scaling and the packing) at most
// the map's values, i.e. 2 * K * kh * kw <= H * W. So EfficientNet-B0's gates at 112x112
// to 28x28 fold and those at 14x14 and 7x7 (1152 channels into 320) do not. Only for a
// batch of one (the gate differs per image), group 1, constant f32 weights, and a product
// that nothing else reads.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

graph::Graph scale_into_weights(const graph::Graph& graph);

}  // namespace nas::passes
