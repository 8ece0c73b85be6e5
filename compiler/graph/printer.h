// Stable text form of a graph, used by golden tests and NAS_DUMP_IR. Constants are listed
// with their types only (not their data), attributes in name order.
#pragma once

#include <string>

#include "compiler/graph/graph.h"

namespace nas::graph {

std::string print_graph(const Graph& graph);

}  // namespace nas::graph
