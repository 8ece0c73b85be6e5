#include "compiler/passes/winograd.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/graph/ops/window_geometry.h"
#include "compiler/graph/ops/winograd_transform.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

// The window of a Conv that WinogradConv can compute, or nullopt.
std::optional<ops::Window2d> winograd_window(const Graph& g, const Node& node,
                                             const WinogradOptions& options) {
  if (node.op->id != OpId::Conv) return std::nullopt;
  if (node.attrs.i("group") != 1) return std::nullopt;
  const ValueId w = node.inputs[1];
  if (!g.is_constant(w) || g.type(w).dtype != DType::F32) return std::nullopt;
  const Shape& ws = g.type(w).shape;
  const Shape& xs = g.type(node.inputs[0]).shape;
  if (ws[2] != 3 || ws[3] != 3 || ws[0] < options.min_channels || ws[1] < options.min_channels)
    return std::nullopt;
  // At the model's boundary the input or output stays NCHW (passes/layout.h), and the
  // transforms then gather and scatter channels: 64 channels at 56x56, NCHW in and out,
  // ran 1.09 ms against the direct convolution's 1.03 (0.50 against 0.95 in NCHW16c).
  if (g.value(node.inputs[0]).kind != ValueKind::NodeOutput || is_graph_output(g, node.outputs[0]))
    return std::nullopt;
  const ops::Window2d win = ops::window_of(node.attrs, {xs[2], xs[3]}, {3, 3});
  for (int axis = 0; axis < 2; ++axis)
    if (win.stride[axis] != 1 || win.dilation[axis] != 1) return std::nullopt;
  return win;
}

// The largest tile within options.tile whose tiles number at least options.min_tiles; 0:
// none.
int64_t tile_for(const Node& node, const Graph& g, const ops::Window2d& win,
                 const WinogradOptions& options) {
  const int64_t batch = g.type(node.inputs[0]).shape[0];
  for (int64_t m = options.tile; m >= 2; m /= 2)
    if (winograd::has_tile(m) &&
        batch * winograd::tiles(win.out[0], m) * winograd::tiles(win.out[1], m) >= options.min_tiles)
      return m;
  return 0;
}

}  // namespace

std::string winograd_conv_key(const Graph& g, const Node& conv) {
  const Shape& xs = g.type(conv.inputs[0]).shape;
  const Shape& ws = g.type(conv.inputs[1]).shape;
  const ops::Window2d win = ops::window_of(conv.attrs, {xs[2], xs[3]}, {ws[2], ws[3]});
  return fmt::format("{} * [{}] pads [{},{},{},{}]", g.type(conv.inputs[0]).str(),
                     fmt::join(ws, ","), win.pad_begin[0], win.pad_begin[1], win.pad_end[0],
                     win.pad_end[1]);
}

Graph rewrite_winograd(const Graph& input, const WinogradOptions& options) {
  if (!winograd::has_tile(options.tile)) return input;
  Graph g = input;
  const OpDef& op = OpRegistry::instance().get("WinogradConv");
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const std::optional<ops::Window2d> win = winograd_window(g, g.nodes()[n], options);
    if (!win) continue;
    const int64_t tile = tile_for(g.nodes()[n], g, *win, options);
    if (tile == 0) continue;
    if (options.keep_direct && options.keep_direct(winograd_conv_key(g, g.nodes()[n]))) continue;
    const std::string name = g.nodes()[n].name;
    const ValueId u = g.add_constant(
        unique_name(g, name + ".winograd_weight"),
        winograd::transform_weights(g.constant(g.nodes()[n].inputs[1]), tile));
    Node& node = g.mutable_node(n);
    node.op = &op;
    node.inputs[1] = u;
    Attrs attrs;
    attrs.set("tile", tile);
    attrs.set("pads", std::vector<int64_t>{win->pad_begin[0], win->pad_begin[1],
                                           win->pad_end[0], win->pad_end[1]});
    node.attrs = std::move(attrs);
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
