// Operator fusion: which nodes run together as one kernel.
#pragma once

#include <span>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/fusion_plan.h"

namespace nas::passes {

// May a group anchored by an op of class `anchor` absorb a following op of class
// `follower`? Pairs missing from a rule table are not allowed.
struct FusionRule {
  graph::FusionClass anchor;
  graph::FusionClass follower;
  bool allowed;
};

// A convolution or dense op with its following elementwise and broadcast ops; chains of
// elementwise/broadcast ops; chains of injective ops with the elementwise and broadcast ops
// after them (a Concat's with injective ops only, see plan_fusion); reductions and opaque
// ops alone.
const std::vector<FusionRule>& default_fusion_rules();

// Partitions the graph into fused groups. Each group starts at the first node not yet in a
// group (its anchor) and grows along a chain: the last node's single output, not returned
// by the graph, pulls in its reader when it has exactly one, the rules allow it (anchor
// class, reader class), the reader has one output, and that output keeps the chain value's
// shape (so the anchor's loop nest computes it). A value with two such readers pulls in
// both when they form a diamond: the first reads only the value (and constants or graph
// inputs), the second only the value and the first's output, which nothing else reads
// (SiLU as y * sigmoid(y)); the anchor's loop nest computes both from the value.
// Groups come in the order of their last nodes, which is a topological order.
FusionPlan plan_fusion(const graph::Graph& graph,
                       std::span<const FusionRule> rules = default_fusion_rules());

}  // namespace nas::passes
