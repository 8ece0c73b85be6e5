// The result of operator fusion: a partition of a graph's nodes into groups, each of which
// later becomes one kernel. A printer for golden tests and NAS_DUMP_IR, and a checker of
// the invariants every consumer of a plan relies on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::passes {

struct FusedGroup {
  int32_t anchor = -1;          // the node whose loop nest the group takes (its first node)
  std::vector<int32_t> nodes;   // node indices in graph (topological) order, anchor first
};

struct FusionPlan {
  std::vector<FusedGroup> groups;  // in an order in which they can run one after another
};

// One line per group: its anchor's fusion class, its nodes as "Op name", and the values it
// hands to later groups or returns.
std::string print_fusion_plan(const graph::Graph& graph, const FusionPlan& plan);

// The invariants, one line per violation (empty: the plan is valid): every node is in
// exactly one group; each group is non-empty, sorted, and starts with its anchor; groups
// are convex (no path leaves a group and comes back into it); the group order is a
// topological order (every group's inputs come from the graph or from earlier groups).
std::vector<std::string> check_fusion_plan(const graph::Graph& graph, const FusionPlan& plan);

}  // namespace nas::passes
