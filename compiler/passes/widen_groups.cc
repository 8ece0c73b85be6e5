#include "compiler/passes/widen_groups.h"

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

// The groups to merge into one for `node`, or 1.
int64_t merge_factor(const Graph& g, const Node& node, int lanes) {
  if (node.op->id != OpId::Conv || lanes < 2) return 1;
  const int64_t group = node.attrs.i("group");
  const ValueId w = node.inputs[1];
  if (group < 2 || !g.is_constant(w) || g.type(w).dtype != DType::F32) return 1;
  const Shape& ws = g.type(w).shape;
  const int64_t per_group_out = ws[0] / group, per_group_in = ws[1];
  if (per_group_in < 2 || per_group_out >= lanes || lanes % per_group_out != 0) return 1;
  const int64_t f = lanes / per_group_out;
  return group % f == 0 ? f : 1;
}

// W [K, C/group, kh, kw] as the weights of group / f groups: output channel k (of old group
// k / per_group_out) reads its old group's inputs at their place among the f merged groups'.
Tensor block_diagonal(const Tensor& w, int64_t group, int64_t f) {
  const int64_t k_out = w.dim(0), per_in = w.dim(1), taps = w.dim(2) * w.dim(3);
  const int64_t per_out = k_out / group;
  Tensor wide(DType::F32, {k_out, per_in * f, w.dim(2), w.dim(3)});  // zeros
  const float* from = w.data<float>();
  float* to = wide.data<float>();
  for (int64_t k = 0; k < k_out; ++k) {
    const int64_t place = (k / per_out) % f;  // the old group's place in its new one
    for (int64_t c = 0; c < per_in; ++c)
      for (int64_t t = 0; t < taps; ++t)
        to[(k * per_in * f + place * per_in + c) * taps + t] = from[(k * per_in + c) * taps + t];
  }
  return wide;
}

}  // namespace

Graph widen_groups(const Graph& input, int lanes) {
  Graph g = input;
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const int64_t f = merge_factor(g, g.nodes()[n], lanes);
    if (f == 1) continue;
    const int64_t group = g.nodes()[n].attrs.i("group");
    const ValueId w = g.add_constant(
        unique_name(g, g.nodes()[n].name + ".widened_weight"),
        block_diagonal(g.constant(g.nodes()[n].inputs[1]), group, f));
    Node& node = g.mutable_node(n);
    node.inputs[1] = w;
    node.attrs.set("group", group / f);
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
