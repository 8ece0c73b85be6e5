// Constant folding.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

// Evaluates every node whose inputs are all constants with its reference kernel and
// replaces its outputs by constants of the same names, then removes what became dead.
// Folding runs in node order, so chains of constant nodes fold in one call.
graph::Graph fold_constants(const graph::Graph& graph);

}  // namespace nas::passes
