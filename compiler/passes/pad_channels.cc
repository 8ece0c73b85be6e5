#include "compiler/passes/pad_channels.h"

#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/layout.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

// A Conv whose weights and bias are f32 constants.
bool constant_conv(const Graph& g, const Node& node) {
  if (node.op->id != OpId::Conv || !g.is_constant(node.inputs[1]) ||
      g.type(node.inputs[1]).dtype != DType::F32)
    return false;
  return node.inputs.size() < 3 || node.inputs[2] == kNoValue || g.is_constant(node.inputs[2]);
}

// Group 1: it reads padding channels with zero weights and can write some of its own.
bool dense_conv(const Graph& g, const Node& node) {
  return constant_conv(g, node) && node.attrs.i("group") == 1;
}

// A grouped convolution (depthwise ones included), weights [K, C/group, kh, kw]: an input
// padded by whole groups of C/group channels gives an output padded by whole groups of
// K/group, the added groups reading only padding, with zero weights. Its padded output
// width, or nullopt where it carries no padding. Groups of several channels carry it only
// where C is stored NCHW unpadded: there a vector of output channels gathers its inputs
// from several groups (RegNetY's 440 channels in groups of 8: 10 GFLOP/s), while padded
// groups merge into groups of a vector (widen_groups.h), twice the work at the speed of a
// dense convolution; 104 channels in groups of 8 keep vectors of 8 (padded to 112 and
// merged: 2x the time, Zen 4).
std::optional<int64_t> grouped_conv_width(const Graph& g, const Node& node, int64_t in_width,
                                          int lanes) {
  const int64_t group = node.attrs.i("group");
  if (!constant_conv(g, node) || group <= 1) return std::nullopt;
  const Shape& w = g.type(node.inputs[1]).shape;
  const int64_t in_per_group = w[1], out_per_group = w[0] / group;
  if (in_width % in_per_group != 0) return std::nullopt;
  if (in_per_group > 1 && storable_block(g.type(node.inputs[0]).shape[1], lanes) > 1)
    return std::nullopt;
  return in_width / in_per_group * out_per_group;
}

// Unary ops that map finite values (and 0) to finite values, each channel on its own.
bool keeps_finite(OpId id) {
  switch (id) {
    case OpId::Relu:
    case OpId::Clip:
    case OpId::HardSigmoid:
    case OpId::HardSwish:
    case OpId::Sigmoid:
    case OpId::Tanh:
    case OpId::Erf:
    case OpId::Identity: return true;
    default: return false;
  }
}

bool is_window(OpId id) {
  return id == OpId::MaxPool || id == OpId::AveragePool || id == OpId::GlobalAveragePool;
}

bool is_arithmetic(OpId id) {
  return id == OpId::Add || id == OpId::Sub || id == OpId::Mul || id == OpId::Div;
}

// The channel extent of an operand of a 4-D broadcast (numpy alignment from the right):
// 1 where it has no channel axis.
int64_t channel_extent(const Shape& shape) {
  return shape.size() >= 3 ? shape[shape.size() - 3] : 1;
}

using Widths = std::map<ValueId, int64_t>;  // padded values: their padded channel count

// The padded channel count of the output of a node that carries padding from its inputs
// (`widths`) to its output, or nullopt where it does not.
std::optional<int64_t> carried_width(const Graph& g, const Node& node, const Widths& widths,
                                     int lanes) {
  if (node.outputs.size() != 1 || g.type(node.outputs[0]).shape.size() != 4) return std::nullopt;
  const OpId id = node.op->id;
  const auto width_of = [&](ValueId v) -> std::optional<int64_t> {
    const auto it = widths.find(v);
    return it == widths.end() ? std::nullopt : std::optional(it->second);
  };
  if (keeps_finite(id) || is_window(id)) return width_of(node.inputs[0]);
  if (id == OpId::Conv) {
    const std::optional<int64_t> in_width = width_of(node.inputs[0]);
    return in_width ? grouped_conv_width(g, node, *in_width, lanes) : std::nullopt;
  }
  if (!is_arithmetic(id)) return std::nullopt;
  const int64_t channels = g.type(node.outputs[0]).shape[1];
  std::optional<int64_t> width;
  for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
    const ValueId v = node.inputs[slot];
    if (const std::optional<int64_t> w = width_of(v)) {
      if ((width && *width != *w) || (id == OpId::Div && slot == 1)) return std::nullopt;
      width = w;  // a padded divisor would divide by its zeros
    } else if (channel_extent(g.type(v).shape) != 1 && !g.is_constant(v)) {
      return std::nullopt;  // another value of these channels, unpadded
    } else if (channel_extent(g.type(v).shape) != 1 &&
               channel_extent(g.type(v).shape) != channels) {
      return std::nullopt;
    }
  }
  return width;
}

// Which values are padded when these convolutions pad their outputs.
Widths propagate(const Graph& g, const std::set<size_t>& sources, int lanes, double share) {
  Widths widths;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (sources.contains(n)) {
      widths[node.outputs[0]] = padded_channels(g.type(node.outputs[0]).shape[1], lanes, share);
    } else if (const std::optional<int64_t> w = carried_width(g, node, widths, lanes)) {
      widths[node.outputs[0]] = *w;
    }
  }
  return widths;
}

// Whether `node` reads the padded value at `slot` as padded (carrying it on, or a dense
// convolution's zero weights); otherwise it reads a Slice of the first channels.
bool reads_padded(const Graph& g, const Node& node, size_t slot, const Widths& widths) {
  if (node.outputs.size() == 1 && widths.contains(node.outputs[0]) && !dense_conv(g, node))
    return true;
  return slot == 0 && dense_conv(g, node);
}

size_t find_root(std::vector<size_t>& parent, size_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// The convolutions that pad their outputs: those whose channels the layout cannot block,
// less those whose padding would reach a Slice of a large value. Dropping one can turn a
// neighbour's carrying op into a reader of a Slice, so repeated until nothing changes.
std::set<size_t> padding_sources(const Graph& g, int lanes, double share) {
  std::set<size_t> sources;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (dense_conv(g, node) && g.type(node.outputs[0]).shape.size() == 4) {
      const int64_t channels = g.type(node.outputs[0]).shape[1];
      if (padded_channels(channels, lanes, share) != channels) sources.insert(n);
    }
  }
  const std::vector<std::vector<int32_t>> users = g.users();
  const std::set<ValueId> returned(g.outputs().begin(), g.outputs().end());
  while (!sources.empty()) {
    const Widths widths = propagate(g, sources, lanes, share);
    // Values joined by the ops that carry padding, each set from its convolutions on.
    std::vector<size_t> parent(g.values().size());
    std::iota(parent.begin(), parent.end(), 0);
    for (size_t n = 0; n < g.nodes().size(); ++n) {
      const Node& node = g.nodes()[n];
      if (sources.contains(n) || node.outputs.empty() || !widths.contains(node.outputs[0]))
        continue;
      for (ValueId v : node.inputs)
        if (v != kNoValue && widths.contains(v))
          parent[find_root(parent, static_cast<size_t>(v))] =
              find_root(parent, static_cast<size_t>(node.outputs[0]));
    }
    std::set<size_t> too_costly;  // roots of sets with a Slice of a large value
    for (const auto& [v, width] : widths) {
      bool sliced = returned.contains(v);
      for (int32_t user : users[static_cast<size_t>(v)]) {
        const Node& node = g.nodes()[static_cast<size_t>(user)];
        for (size_t slot = 0; slot < node.inputs.size(); ++slot)
          sliced = sliced || (node.inputs[slot] == v && !reads_padded(g, node, slot, widths));
      }
      if (sliced && g.type(v).numel() > kMaxSliceElements)
        too_costly.insert(find_root(parent, static_cast<size_t>(v)));
    }
    const size_t before = sources.size();
    std::erase_if(sources, [&](size_t n) {
      return too_costly.contains(
          find_root(parent, static_cast<size_t>(g.nodes()[n].outputs[0])));
    });
    if (sources.size() == before) break;
  }
  return sources;
}

// `t` with axis `axis` extended to `extent`, the new entries `fill`.
Tensor pad_axis(const Tensor& t, int64_t axis, int64_t extent, float fill) {
  Shape shape = t.type().shape;
  const int64_t old = shape[static_cast<size_t>(axis)];
  if (old == extent) return t;
  shape[static_cast<size_t>(axis)] = extent;
  Tensor padded(DType::F32, shape);
  int64_t outer = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= shape[static_cast<size_t>(a)];
  for (size_t a = static_cast<size_t>(axis) + 1; a < shape.size(); ++a) inner *= shape[a];
  const float* from = t.data<float>();
  float* to = padded.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < extent; ++c)
      for (int64_t i = 0; i < inner; ++i)
        to[(o * extent + c) * inner + i] = c < old ? from[(o * old + c) * inner + i] : fill;
  return padded;
}

}  // namespace

int64_t padded_channels(int64_t channels, int lanes, double full_vector_share) {
  if (lanes < 2) return channels;
  const int64_t block = storable_block(channels, lanes);
  const int64_t full = (channels + lanes - 1) / lanes * lanes;
  if (block < lanes && static_cast<double>(full - channels) <= full_vector_share * channels)
    return full;
  if (block > 1) return channels;
  for (int64_t c = channels + 1; c <= channels + channels / 8; ++c)
    if (storable_block(c, lanes) > 1) return c;
  return channels;
}

Graph pad_channels(const Graph& g, int lanes, double full_vector_share) {
  const std::set<size_t> sources = padding_sources(g, lanes, full_vector_share);
  if (sources.empty()) return g;
  const Widths widths = propagate(g, sources, lanes, full_vector_share);

  Graph out(g.name());
  std::vector<ValueId> remap(g.values().size(), kNoValue);
  for (ValueId v : g.inputs()) remap[v] = out.add_input(g.value(v).name, g.type(v));
  for (const auto& [v, tensor] : g.constants()) remap[v] = out.add_constant(g.value(v).name, tensor);
  std::map<ValueId, ValueId> slices;  // padded value -> its first channels
  const auto unpadded = [&](ValueId v) {
    if (!widths.contains(v)) return remap[v];
    auto [it, fresh] = slices.emplace(v, kNoValue);
    if (fresh)
      it->second = out.add("Slice", {remap[v]},
                           {{"starts", Shape{0}}, {"ends", Shape{g.type(v).shape[1]}},
                            {"axes", Shape{1}}},
                           unique_name(out, g.value(v).name + ".channels"));
    return it->second;
  };
  const auto padded_constant = [&](ValueId v, int64_t axis, int64_t extent, float fill) {
    return out.add_constant(unique_name(out, g.value(v).name + ".padded"),
                            pad_axis(g.constant(v), axis, extent, fill));
  };

  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    std::vector<ValueId> inputs;
    Attrs attrs = node.attrs;
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const ValueId v = node.inputs[slot];
      if (v == kNoValue) inputs.push_back(kNoValue);
      else if (widths.contains(v) && reads_padded(g, node, slot, widths)) inputs.push_back(remap[v]);
      else inputs.push_back(unpadded(v));
    }
    const bool out_padded = node.outputs.size() == 1 && widths.contains(node.outputs[0]);
    const int64_t width = out_padded ? widths.at(node.outputs[0]) : 0;
    const bool pads_inputs = dense_conv(g, node) && widths.contains(node.inputs[0]);
    if (node.op->id == OpId::Conv && (out_padded || pads_inputs)) {
      // Weights [K, C/group, kh, kw]: zeros for padded outputs (axis 0) and for padded
      // inputs of a dense convolution (axis 1); the bias 0 for padded outputs.
      const ValueId w = node.inputs[1];
      Tensor weights = g.constant(w);
      if (out_padded) weights = pad_axis(weights, 0, width, 0.0F);
      if (pads_inputs)
        weights = pad_axis(weights, 1, widths.at(node.inputs[0]), 0.0F);
      inputs[1] = out.add_constant(unique_name(out, g.value(w).name + ".padded"), weights);
      if (out_padded && inputs.size() > 2 && inputs[2] != kNoValue)
        inputs[2] = padded_constant(node.inputs[2], 0, width, 0.0F);
      if (out_padded && !dense_conv(g, node))  // grouped: whole groups added
        attrs.set("group", widths.at(node.inputs[0]) / g.type(w).shape[1]);
    } else if (out_padded && is_arithmetic(node.op->id)) {
      // Per-channel constants: 0 in the padding (1 for a divisor, which must stay finite).
      for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
        const ValueId v = node.inputs[slot];
        const Shape& shape = g.type(v).shape;
        if (g.is_constant(v) && channel_extent(shape) != 1)
          inputs[slot] = padded_constant(v, static_cast<int64_t>(shape.size()) - 3, width,
                                         node.op->id == OpId::Div && slot == 1 ? 1.0F : 0.0F);
      }
    }
    const std::vector<ValueId> outs = out.add_node(node.op_name(), inputs, attrs, node.name);
    if (outs.size() > 1)
      for (ValueId v : outs) out.rename(v, out.fresh_name(".pad"));
    for (size_t i = 0; i < outs.size(); ++i) {
      out.rename(outs[i], g.value(node.outputs[i]).name);
      remap[node.outputs[i]] = outs[i];
    }
  }
  for (ValueId v : g.outputs()) {
    if (widths.contains(v)) {
      // The model's output keeps its name: on the Slice, not on the padded value.
      const ValueId first_channels = unpadded(v);
      out.rename(remap[v], out.fresh_name(g.value(v).name + ".padded"));
      out.rename(first_channels, g.value(v).name);
    }
    out.add_output(unpadded(v));
  }
  return eliminate_dead_code(out);
}

}  // namespace nas::passes
