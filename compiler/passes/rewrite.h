// Small in-place edits that graph passes share. A pass copies its input graph, edits the
// copy with these, and ends with eliminate_dead_code, which rebuilds the result through the
// checking builder and drops what the edits left without users.
#pragma once

#include "compiler/graph/graph.h"

namespace nas::passes {

// Makes every node input and graph output that reads `old_value` read `new_value` instead,
// and gives `new_value` the old value's name (the old value gets a fresh one), so printed
// graphs and exported models keep their names. `new_value` must be defined before the
// first user of `old_value` and have its type.
void replace_value(graph::Graph& graph, graph::ValueId old_value, graph::ValueId new_value);

// `base` if no value has that name yet, otherwise a fresh name derived from it.
std::string unique_name(graph::Graph& graph, const std::string& base);

// The distinct nodes that read `value`, in node order, and whether it is a graph output.
std::vector<int32_t> distinct_users(const graph::Graph& graph, graph::ValueId value);
bool is_graph_output(const graph::Graph& graph, graph::ValueId value);

}  // namespace nas::passes
