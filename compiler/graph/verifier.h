// Checks a graph's invariants (see graph.h): definitions precede uses (so there are no
// cycles), no dangling or duplicate values, attributes match each op's schema, stored types
// equal what each shape function gives, constants match their values' types, and outputs
// exist. Returns the list of problems, one line each; empty means the graph is valid.
#pragma once

#include <string>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::graph {

std::vector<std::string> verify_graph(const Graph& graph);
// Throws UserError listing the problems, if any.
void verify_or_throw(const Graph& graph);

}  // namespace nas::graph
