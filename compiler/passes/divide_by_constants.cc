#include "compiler/passes/divide_by_constants.h"

#include <cmath>
#include <optional>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

// The reciprocals of a float constant's values, or none where one of them is zero, not
// finite or has no finite reciprocal (x / 0 and x / inf keep their meaning).
std::optional<Tensor> reciprocals(const Tensor& divisor) {
  Tensor out(divisor.type());
  const float* in = divisor.data<float>();
  float* r = out.data<float>();
  for (int64_t i = 0; i < divisor.numel(); ++i) {
    r[i] = 1.0f / in[i];
    if (in[i] == 0.0f || !std::isfinite(in[i]) || !std::isfinite(r[i])) return std::nullopt;
  }
  return out;
}

}  // namespace

Graph divide_by_constants(const Graph& input) {
  Graph g = input;
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (node.op->id != OpId::Div || node.inputs.size() != 2) continue;
    const ValueId divisor = node.inputs[1];
    if (!g.is_constant(divisor) || g.type(divisor).dtype != DType::F32) continue;
    std::optional<Tensor> inverse = reciprocals(g.constant(divisor));
    if (!inverse) continue;
    const ValueId multiplier =
        g.add_constant(unique_name(g, g.value(divisor).name + ".reciprocal"), std::move(*inverse));
    Node& mul = g.mutable_node(n);
    mul.op = &OpRegistry::instance().get(OpId::Mul);
    mul.inputs[1] = multiplier;
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
