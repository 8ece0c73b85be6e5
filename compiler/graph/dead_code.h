// Dead-code elimination: returns a copy of the graph that keeps only the nodes and constants
// the graph outputs depend on. Graph inputs are kept even when unused (they are the graph's
// interface), and so are value and node names, node order and attributes. The graph is
// rebuilt through the checking builder, so the result satisfies graph.h's invariants
// whenever the input did. Importers run it after constant folding, which leaves the
// constants and shape arithmetic it folded away without users.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::graph {

Graph eliminate_dead_code(const Graph& graph);

}  // namespace nas::graph
