// Batch-norm folding for inference.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

// Folds each inference BatchNormalization that directly follows a Conv into the conv's
// weights and bias: with s = scale / sqrt(var + epsilon), the conv gets the new constants
// W' = W * s (per output channel) and B' = (B - mean) * s + shift (B = 0 for a conv without
// bias), and the batch norm disappears. Grouped and depthwise convs fold the same way.
graph::Graph fold_batch_norm(const graph::Graph& graph);

}  // namespace nas::passes
