// Rebuilds a graph node by node through the builder, so every shape is inferred again.
//
// Used to change a model's batch size (shapes are static, so each batch size is its own
// graph) and to switch ops into their training form. Values keep their names; the mapping
// from old to new value ids is returned. A node may gain outputs (BatchNormalization in
// training mode): its first outputs map to the old ones.
#pragma once

#include <functional>
#include <map>

#include "compiler/graph/graph.h"

namespace nas::graph {

struct RebuildOptions {
  std::map<ValueId, TensorType> input_types;             // new types for some graph inputs
  std::function<void(const Graph& old, const Node&, Attrs&)> edit_attrs;  // may be empty
  // Constants that become graph inputs (of their own type and name), after the old inputs
  // in this order: what a compiled training step reads its weights from.
  std::vector<ValueId> constants_as_inputs;
  // Applied to each graph input as it is added: returns the value its consumers read
  // instead (a normalization in front of the model). May be empty.
  std::function<ValueId(Graph& g, ValueId input)> before_inputs;
};

struct Rebuilt {
  Graph graph;
  std::vector<ValueId> value_map;  // old value id -> new value id
  std::vector<std::vector<ValueId>> node_outputs;  // per old node: all outputs of the new node
};

Rebuilt rebuild_graph(const Graph& graph, const RebuildOptions& options);

// The same model for another batch size: the first graph input's leading dimension
// changes, and a Reshape whose target fixes the old batch as its leading dimension (as
// exporters write `x.view(batch, -1)`) follows it. Throws UserError when the model's
// shapes do not follow the batch (e.g. a Reshape that mixes the batch into other dims).
Graph with_batch_size(const Graph& graph, int64_t batch);

}  // namespace nas::graph
