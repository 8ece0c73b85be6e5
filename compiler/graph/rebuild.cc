#include "compiler/graph/rebuild.h"

#include <set>

#include "compiler/support/error.h"

namespace nas::graph {

Rebuilt rebuild_graph(const Graph& old, const RebuildOptions& options) {
  Rebuilt out{Graph(old.name()), std::vector<ValueId>(old.values().size(), kNoValue), {}};
  Graph& g = out.graph;
  // Inputs and constants first, in id order, so names and order are kept.
  const std::set<ValueId> as_inputs(options.constants_as_inputs.begin(),
                                    options.constants_as_inputs.end());
  for (ValueId v = 0; v < static_cast<ValueId>(old.values().size()); ++v) {
    const Value& value = old.value(v);
    if (value.kind == ValueKind::Constant && !as_inputs.contains(v))
      out.value_map[v] = g.add_constant(value.name, old.constant(v));
  }
  for (ValueId v : old.inputs()) {
    auto it = options.input_types.find(v);
    const ValueId input = g.add_input(old.value(v).name,
                                      it != options.input_types.end() ? it->second : old.type(v));
    out.value_map[v] = options.before_inputs ? options.before_inputs(g, input) : input;
  }
  for (ValueId v : options.constants_as_inputs) {
    NAS_CHECK(old.is_constant(v), "value '{}' is not a constant", old.value(v).name);
    out.value_map[v] = g.add_input(old.value(v).name, old.type(v));
  }
  for (const Node& node : old.nodes()) {
    std::vector<ValueId> inputs;
    for (ValueId v : node.inputs) inputs.push_back(v == kNoValue ? kNoValue : out.value_map[v]);
    Attrs attrs = node.attrs;
    if (options.edit_attrs) options.edit_attrs(old, node, attrs);
    // The builder names outputs after the node; give them their old names back, through
    // temporary names so that outputs renamed among themselves cannot collide.
    std::vector<ValueId> outs = g.add_node(node.op_name(), inputs, attrs, node.name);
    const size_t kept = std::min(outs.size(), node.outputs.size());
    for (size_t i = 0; i < kept; ++i) g.rename(outs[i], g.fresh_name("rebuild.tmp"));
    for (size_t i = 0; i < kept; ++i) {
      g.rename(outs[i], old.value(node.outputs[i]).name);
      out.value_map[node.outputs[i]] = outs[i];
    }
    out.node_outputs.push_back(outs);
  }
  for (ValueId v : old.outputs()) g.add_output(out.value_map[v]);
  return out;
}

Graph with_batch_size(const Graph& graph, int64_t batch) {
  NAS_CHECK(batch > 0, "batch {}", batch);
  if (graph.inputs().empty()) user_error("graph '{}' has no inputs to rebatch", graph.name());
  const ValueId first = graph.inputs()[0];
  TensorType type = graph.type(first);
  if (type.rank() == 0) user_error("graph '{}': input '{}' is a scalar and has no batch dimension",
                                   graph.name(), graph.value(first).name);
  const int64_t old_batch = type.shape[0];
  if (old_batch == batch) return graph;
  type.shape[0] = batch;
  RebuildOptions options;
  options.input_types[first] = type;
  options.edit_attrs = [&](const Graph& old, const Node& node, Attrs& attrs) {
    if (node.op_name() != "Reshape") return;
    std::vector<int64_t> shape = attrs.ints("shape");
    const Shape& in = old.type(node.inputs[0]).shape;
    if (!shape.empty() && !in.empty() && in[0] == old_batch && shape[0] == old_batch) {
      shape[0] = batch;
      attrs.set("shape", shape);
    }
  };
  Graph rebuilt = rebuild_graph(graph, options).graph;
  for (ValueId v : rebuilt.outputs())
    if (rebuilt.type(v).rank() > 0 && rebuilt.type(v).shape[0] != batch)
      user_error("graph '{}': output '{}' has shape {} after rebatching to {}; its leading "
                 "dimension does not follow the batch", graph.name(), rebuilt.value(v).name,
                 shape_str(rebuilt.type(v).shape), batch);
  return rebuilt;
}

}  // namespace nas::graph
