#include "compiler/graph/reference_executor.h"

#include "compiler/graph/op_registry.h"
#include "compiler/graph/verifier.h"
#include "compiler/support/error.h"

namespace nas::graph {

namespace {
TensorType compute_type(const TensorType& type, DType float_type) {
  return type.dtype == DType::F32 ? TensorType{float_type, type.shape} : type;
}
}  // namespace

ReferenceExecutor::ReferenceExecutor(const Graph& graph, ReferenceOptions options)
    : graph_(graph), options_(options) {
  verify_or_throw(graph);
}

std::vector<Tensor> ReferenceExecutor::run(const std::vector<Tensor>& inputs) {
  const Graph& g = graph_;
  values_.clear();
  if (inputs.size() != g.inputs().size())
    user_error("graph '{}' takes {} input(s), got {}", g.name(), g.inputs().size(),
               inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueId id = g.inputs()[i];
    const TensorType& expected = g.type(id);
    const bool dtype_ok = inputs[i].dtype() == expected.dtype ||
                          (expected.dtype == DType::F32 && inputs[i].dtype() == options_.float_type);
    if (!dtype_ok || inputs[i].shape() != expected.shape)
      user_error("input '{}': expected {}, got {}", g.value(id).name, expected.str(),
                 inputs[i].type().str());
    values_[id] = inputs[i].cast(compute_type(expected, options_.float_type).dtype);
  }
  // Constants are read in place; only a run in another float type needs converted copies.
  for (const auto& [id, tensor] : g.constants())
    if (compute_type(tensor.type(), options_.float_type) != tensor.type())
      values_[id] = tensor.cast(options_.float_type);
  auto value = [&](ValueId v) -> const Tensor& {
    auto it = values_.find(v);
    return it != values_.end() ? it->second : g.constant(v);
  };

  // Last use of each value, so intermediates can be freed early.
  std::vector<int64_t> last_use(g.values().size(), -1);
  for (size_t n = 0; n < g.nodes().size(); ++n)
    for (ValueId v : g.nodes()[n].inputs)
      if (v != kNoValue) last_use[v] = static_cast<int64_t>(n);
  for (ValueId v : g.outputs()) last_use[v] = static_cast<int64_t>(g.nodes().size());

  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    std::vector<const Tensor*> in;
    for (ValueId v : node.inputs) in.push_back(v == kNoValue ? nullptr : &value(v));
    std::vector<Tensor*> out;
    for (ValueId v : node.outputs)
      out.push_back(&(values_[v] = Tensor(compute_type(g.type(v), options_.float_type))));
    node.op->kernel(KernelContext{node, in, out});
    if (options_.keep_all) continue;
    for (ValueId v : node.inputs)
      if (v != kNoValue && last_use[v] == static_cast<int64_t>(n) && !g.is_constant(v))
        values_.erase(v);
    for (ValueId v : node.outputs)
      if (last_use[v] < 0) values_.erase(v);
  }
  std::vector<Tensor> outputs;
  for (ValueId v : g.outputs()) outputs.push_back(value(v));
  return outputs;
}

std::vector<Tensor> run_reference(const Graph& graph, const std::vector<Tensor>& inputs,
                                  ReferenceOptions options) {
  return ReferenceExecutor(graph, options).run(inputs);
}

}  // namespace nas::graph
