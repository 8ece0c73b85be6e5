#include "compiler/graph/dead_code.h"

#include "compiler/graph/op_registry.h"

namespace nas::graph {

Graph eliminate_dead_code(const Graph& g) {
  // Mark backwards from the outputs; nodes are in topological order.
  std::vector<bool> live(g.values().size(), false);
  for (ValueId v : g.outputs()) live[v] = true;
  std::vector<bool> node_live(g.nodes().size(), false);
  for (size_t n = g.nodes().size(); n-- > 0;) {
    const Node& node = g.nodes()[n];
    for (ValueId v : node.outputs) node_live[n] = node_live[n] || live[v];
    if (!node_live[n]) continue;
    for (ValueId v : node.inputs)
      if (v != kNoValue) live[v] = true;
  }

  Graph out(g.name());
  std::vector<ValueId> remap(g.values().size(), kNoValue);
  for (ValueId v : g.inputs()) remap[v] = out.add_input(g.value(v).name, g.type(v));
  for (const auto& [v, tensor] : g.constants())
    if (live[v]) remap[v] = out.add_constant(g.value(v).name, tensor);
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    if (!node_live[n]) continue;
    const Node& node = g.nodes()[n];
    std::vector<ValueId> inputs;
    for (ValueId v : node.inputs) inputs.push_back(v == kNoValue ? kNoValue : remap[v]);
    std::vector<ValueId> outs = out.add_node(node.op_name(), inputs, node.attrs, node.name);
    // Two steps, so that a final name equal to a sibling's builder-given name is free.
    if (outs.size() > 1)
      for (ValueId v : outs) out.rename(v, out.fresh_name(".dce"));
    for (size_t i = 0; i < outs.size(); ++i) {
      out.rename(outs[i], g.value(node.outputs[i]).name);
      remap[node.outputs[i]] = outs[i];
    }
  }
  for (ValueId v : g.outputs()) out.add_output(remap[v]);
  return out;
}

}  // namespace nas::graph
