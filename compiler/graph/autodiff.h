// Reverse-mode differentiation: appends to a graph the nodes that compute the gradient of a
// scalar loss with respect to chosen values, using each op's registered gradient.
//
// Relies on the graph being in topological order; walks it backwards once, summing the
// contributions of values used several times with Add nodes. A value the loss does not
// depend on gets a zero gradient (a constant), never a missing one.
#pragma once

#include <vector>

#include "compiler/graph/graph.h"

namespace nas::graph {

// Returns one gradient value per entry of `wrt`, with the type of that entry. The loss must
// hold a single element. Throws UserError if a node on the path is not differentiable.
std::vector<ValueId> append_gradients(Graph& graph, ValueId loss, const std::vector<ValueId>& wrt);

}  // namespace nas::graph
