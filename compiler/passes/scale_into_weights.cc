#include "compiler/passes/scale_into_weights.h"

#include <optional>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

// The product x * s, as the operands of a Mul: the map x [1, C, H, W] and the scale s
// [1, C, 1, 1] (either order).
struct ScaledMap {
  ValueId map = kNoValue;
  ValueId scale = kNoValue;
};

std::optional<ScaledMap> scaled_map(const Graph& g, const Node& mul) {
  if (mul.op->id != OpId::Mul || mul.inputs.size() != 2) return std::nullopt;
  for (int first : {0, 1}) {
    const ValueId x = mul.inputs[first], s = mul.inputs[1 - first];
    const Shape& xs = g.type(x).shape;
    const Shape& ss = g.type(s).shape;
    if (g.type(x).dtype != DType::F32 || g.type(s).dtype != DType::F32) continue;
    if (xs.size() == 4 && xs[0] == 1 && ss == Shape{1, xs[1], 1, 1}) return ScaledMap{x, s};
  }
  return std::nullopt;
}

// The Conv that reads the product `v` as its only reader, as its input, and whose weights
// can take the scale more cheaply than the map; or -1.
int32_t folding_conv(const Graph& g, ValueId v) {
  if (is_graph_output(g, v)) return -1;
  const std::vector<int32_t> users = distinct_users(g, v);
  if (users.size() != 1) return -1;
  const Node& conv = g.nodes()[static_cast<size_t>(users[0])];
  if (conv.op->id != OpId::Conv || conv.inputs[0] != v || conv.inputs[1] == v) return -1;
  if (conv.attrs.i("group") != 1) return -1;
  const ValueId w = conv.inputs[1];
  if (!g.is_constant(w) || g.type(w).dtype != DType::F32) return -1;
  const Shape& ws = g.type(w).shape;  // [K, C, kh, kw]
  const Shape& xs = g.type(v).shape;  // [1, C, H, W]
  if (2 * ws[0] * ws[2] * ws[3] > xs[2] * xs[3]) return -1;
  return users[0];
}

}  // namespace

Graph scale_into_weights(const Graph& input) {
  Graph g = input;
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const std::optional<ScaledMap> scaled = scaled_map(g, g.nodes()[n]);
    if (!scaled) continue;
    const int32_t conv = folding_conv(g, g.nodes()[n].outputs[0]);
    if (conv < 0) continue;
    // The Mul now scales the weights: W [K, C, kh, kw] * s [1, C, 1, 1] broadcasts along C.
    // It stays where it was (after s, before the Conv); the rebuild below infers its new
    // shape.
    const ValueId weights = g.nodes()[static_cast<size_t>(conv)].inputs[1];
    g.mutable_node(n).inputs = {weights, scaled->scale};
    Node& conv_node = g.mutable_node(static_cast<size_t>(conv));
    conv_node.inputs[0] = scaled->map;
    conv_node.inputs[1] = g.nodes()[n].outputs[0];
    g.rename(g.nodes()[n].outputs[0], unique_name(g, conv_node.name + ".scaled_weight"));
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
