#include "compiler/graph/autodiff.h"

#include <map>

#include "compiler/graph/op_registry.h"
#include "compiler/support/error.h"

namespace nas::graph {

std::vector<ValueId> append_gradients(Graph& graph, ValueId loss, const std::vector<ValueId>& wrt) {
  const TensorType loss_type = graph.type(loss);
  if (loss_type.numel() != 1 || !is_float(loss_type.dtype))
    user_error("loss %{} must be a single float, it is {}", graph.value(loss).name,
               loss_type.str());
  const size_t n_values = graph.values().size();
  const size_t n_nodes = graph.nodes().size();

  // Values that depend on some wrt value, and values the loss depends on.
  std::vector<bool> from_wrt(n_values, false), to_loss(n_values, false);
  for (ValueId v : wrt) from_wrt[v] = true;
  for (size_t n = 0; n < n_nodes; ++n) {
    const Node& node = graph.nodes()[n];
    bool any = false;
    for (ValueId v : node.inputs) any = any || (v != kNoValue && from_wrt[v]);
    if (any)
      for (ValueId v : node.outputs) from_wrt[v] = true;
  }
  to_loss[loss] = true;
  for (size_t n = n_nodes; n-- > 0;) {
    const Node& node = graph.nodes()[n];
    bool any = false;
    for (ValueId v : node.outputs) any = any || to_loss[v];
    if (any)
      for (ValueId v : node.inputs)
        if (v != kNoValue) to_loss[v] = true;
  }
  auto on_path = [&](ValueId v) { return v != kNoValue && from_wrt[v] && to_loss[v]; };

  std::map<ValueId, ValueId> grads;
  auto accumulate = [&](ValueId v, ValueId g) {
    auto [it, fresh] = grads.emplace(v, g);
    if (!fresh)
      it->second = graph.add("Add", {it->second, g}, {},
                             graph.fresh_name(graph.value(v).name + ".grad_sum"));
  };
  Tensor seed(loss_type);
  if (seed.dtype() == DType::F32) seed.data<float>()[0] = 1.0f;
  else seed.data<double>()[0] = 1.0;
  grads[loss] = graph.add_constant(graph.fresh_name(graph.value(loss).name + ".grad_seed"), seed);

  for (size_t n = n_nodes; n-- > 0;) {
    const Node node = graph.nodes()[n];  // copy: adding nodes may reallocate
    std::vector<bool> wants;
    bool any_input = false;
    for (ValueId v : node.inputs) {
      wants.push_back(on_path(v));
      any_input = any_input || wants.back();
    }
    std::vector<ValueId> output_grads;
    bool any_output = false;
    for (ValueId v : node.outputs) {
      auto it = grads.find(v);
      output_grads.push_back(it == grads.end() ? kNoValue : it->second);
      any_output = any_output || it != grads.end();
    }
    if (!any_input || !any_output) continue;
    if (!node.op->gradient)
      user_error("node '{}' ({}) is not differentiable: {}", node.name, node.op_name(),
                 node.op->not_differentiable.empty() ? "it is a gradient op"
                                                     : node.op->not_differentiable);
    GradContext context{graph, node, output_grads, wants};
    std::vector<ValueId> input_grads = node.op->gradient(context);
    NAS_CHECK(input_grads.size() <= node.inputs.size(), "{} gradient returned {} values",
              node.op_name(), input_grads.size());
    for (size_t i = 0; i < input_grads.size(); ++i) {
      if (!wants[i] || input_grads[i] == kNoValue) continue;
      NAS_CHECK(graph.type(input_grads[i]).shape == graph.type(node.inputs[i]).shape,
                "{} gradient of input {} has shape {}, expected {}", node.op_name(), i,
                shape_str(graph.type(input_grads[i]).shape),
                shape_str(graph.type(node.inputs[i]).shape));
      accumulate(node.inputs[i], input_grads[i]);
    }
  }

  std::vector<ValueId> result;
  for (ValueId v : wrt) {
    auto it = grads.find(v);
    if (it != grads.end()) {
      result.push_back(it->second);
    } else {
      result.push_back(graph.add_constant(graph.fresh_name(graph.value(v).name + ".grad_zero"),
                                          Tensor(graph.type(v))));
    }
  }
  return result;
}

}  // namespace nas::graph
