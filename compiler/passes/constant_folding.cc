// Turns nodes that read only constants into constants. A node folds when it has at least one
// input and every present input is a constant; its reference kernel (the oracle, in f32)
// computes the outputs, which become constants under the outputs' names, and later nodes
// that read them now see constants and may fold in turn. Relies on the graph being in
// topological order (graph.h) and on reference kernels being deterministic (Dropout in
// training mode draws from its seed attribute). Ends with dead-code elimination, which
// removes the folded nodes and the constants only they read.
#include "compiler/passes/constant_folding.h"

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

bool reads_only_constants(const Graph& g, const Node& node) {
  bool any = false;
  for (ValueId v : node.inputs) {
    if (v == kNoValue) continue;
    if (!g.is_constant(v)) return false;
    any = true;
  }
  return any;
}

std::vector<Tensor> evaluate(const Graph& g, const Node& node) {
  std::vector<const Tensor*> inputs;
  for (ValueId v : node.inputs) inputs.push_back(v == kNoValue ? nullptr : &g.constant(v));
  std::vector<Tensor> outputs;
  for (ValueId v : node.outputs) outputs.emplace_back(g.type(v));
  std::vector<Tensor*> output_ptrs;
  for (Tensor& t : outputs) output_ptrs.push_back(&t);
  node.op->kernel(KernelContext{node, inputs, output_ptrs});
  return outputs;
}

}  // namespace

Graph fold_constants(const Graph& input) {
  Graph g = input;
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    if (!reads_only_constants(g, g.nodes()[n])) continue;
    std::vector<Tensor> values = evaluate(g, g.nodes()[n]);
    for (size_t i = 0; i < values.size(); ++i) {
      const ValueId old_value = g.nodes()[n].outputs[i];
      const ValueId folded = g.add_constant(g.fresh_name("folded"), std::move(values[i]));
      replace_value(g, old_value, folded);
    }
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
