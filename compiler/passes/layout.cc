#include "compiler/passes/layout.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/op_registry.h"

namespace nas::passes {

using namespace graph;

namespace {

// A Concat of 4-D values along their channels.
bool is_channel_concat(const Graph& g, const Node& node) {
  if (node.op->id != OpId::Concat || g.type(node.outputs[0]).shape.size() != 4) return false;
  const int64_t axis = node.attrs.i("axis");
  return axis == 1 || axis == -3;
}

// Ops whose kernels compute (or read) a vector of channels in NCHW[x]c as well as in NCHW:
// channels are independent in them, or (convolution) summed in any order. Batch norm in
// both modes: at inference a per-channel affine map (DenseNet's pre-activation batch norms,
// which no convolution before them absorbs, read every concatenation), in a training step
// per-channel sums over vectors of channels; so also its gradient and the convolution's
// gradients, so that activations and their gradients stay blocked between the kernels of
// forward and backward.
bool channel_friendly(const Graph& g, const Node& node) {
  switch (node.op->id) {
    case OpId::Conv:
    case OpId::WinogradConv:
    case OpId::MaxPool:
    case OpId::AveragePool:
    case OpId::GlobalAveragePool:
    case OpId::BatchNormTrainingGrad:
    case OpId::ConvGradInput:
    case OpId::ConvGradWeight:
    case OpId::ConvGradBias:
    case OpId::BatchNormalization: return true;
    case OpId::Concat: return is_channel_concat(g, node);
    case OpId::ReduceSumTo: return false;
    default: break;
  }
  const FusionClass fusion = node.op->fusion;
  return fusion == FusionClass::Elementwise || fusion == FusionClass::Broadcast;
}

// Whether `node` reads its input `slot` well stored NCHW[x]c. Not so the input X of a
// convolution's weight gradient that is not depthwise: its schedule takes one input
// channel of a pixel per step (against vectors of output channels), and in NCHW[x]c
// neighbouring pixels lie a block apart (measured on a training step, 3x3 16 -> 32 at
// 28x28: 3x the time).
bool reads_blocked_well(const Graph& g, const Node& node, size_t slot) {
  if (node.op->id != OpId::ConvGradWeight || slot != 1) return true;
  return g.type(node.outputs[0]).shape[1] == 1 && node.attrs.i("group") > 1;
}

int64_t largest_block(int64_t channels, int lanes) {
  for (int64_t b = lanes; b >= 2; b /= 2)
    if (channels % b == 0) return b;
  return 1;
}

// A channel Concat reads its parts and writes its output in one layout, so that its parts
// can be written in place (concat_in_place.h): all of them in blocks of the smallest x
// among them (every x is a power of two dividing its channels), or, where one of them stays
// NCHW, all NCHW. Repeated until no Concat changes, since a value can be a part of several.
void same_block_across_concats(const Graph& g, LayoutPlan& plan) {
  for (bool changed = true; changed;) {
    changed = false;
    for (const Node& node : g.nodes()) {
      if (!is_channel_concat(g, node)) continue;
      std::vector<ValueId> values(node.inputs.begin(), node.inputs.end());
      values.push_back(node.outputs[0]);
      int64_t block = plan.block_of(values[0]);
      for (ValueId v : values) block = std::min(block, plan.block_of(v));
      for (ValueId v : values) {
        if (plan.block_of(v) == block) continue;
        if (block == 1) plan.channel_blocks.erase(v);
        else plan.channel_blocks[v] = block;
        changed = true;
      }
    }
  }
}

}  // namespace

int64_t channel_vector_lanes(int64_t extent, int lanes) {
  const int64_t dividing = largest_block(extent, lanes);
  if (dividing == lanes || extent < 2 * lanes) return dividing;
  // Vectors of a quarter of the lanes or fewer, or a tail of at most 1/32 of the channels
  // (computed one channel at a time: ShuffleNetV2's 232 channels ran 10% slower padded to
  // 16 lanes than in vectors of 8; SqueezeNet's last convolution to 1000 classes 1.6x faster).
  return dividing * 4 <= lanes || (extent % lanes) * 32 <= extent ? lanes : dividing;
}

Shape blocked_shape(const Shape& shape, int64_t block) {
  return {shape[0], shape[1] / block, shape[2], shape[3], block};
}

LayoutPlan plan_layouts(const Graph& g, const FusionPlan& fusion, int lanes) {
  std::vector<int32_t> group_of(g.nodes().size(), -1);
  std::vector<bool> friendly(fusion.groups.size(), true);
  for (size_t i = 0; i < fusion.groups.size(); ++i)
    for (int32_t n : fusion.groups[i].nodes) {
      group_of[static_cast<size_t>(n)] = static_cast<int32_t>(i);
      friendly[i] = friendly[i] && channel_friendly(g, g.nodes()[static_cast<size_t>(n)]);
    }
  const std::set<ValueId> returned(g.outputs().begin(), g.outputs().end());
  const std::vector<std::vector<int32_t>> users = g.users();
  LayoutPlan plan;
  for (size_t v = 0; v < g.values().size(); ++v) {
    const Value& value = g.values()[v];
    const auto id = static_cast<ValueId>(v);
    if (value.kind != ValueKind::NodeOutput || returned.contains(id)) continue;
    if (value.type.dtype != DType::F32 || value.type.shape.size() != 4) continue;
    const int32_t producer = group_of[static_cast<size_t>(value.producer)];
    bool handed_over = false, readers_friendly = true;
    for (int32_t user : users[v]) {
      const int32_t reader = group_of[static_cast<size_t>(user)];
      if (reader == producer) continue;
      handed_over = true;
      readers_friendly = readers_friendly && friendly[static_cast<size_t>(reader)];
      const Node& node = g.nodes()[static_cast<size_t>(user)];
      for (size_t slot = 0; slot < node.inputs.size(); ++slot)
        if (node.inputs[slot] == id)
          readers_friendly = readers_friendly && reads_blocked_well(g, node, slot);
    }
    if (!handed_over || !readers_friendly || !friendly[static_cast<size_t>(producer)]) continue;
    const int64_t block = largest_block(value.type.shape[1], lanes);
    if (block >= 4 && channel_vector_lanes(value.type.shape[1], lanes) == block)
      plan.channel_blocks.emplace(id, block);
  }
  same_block_across_concats(g, plan);
  return plan;
}

std::string print_layout_plan(const Graph& g, const LayoutPlan& plan) {
  std::string out = fmt::format("layout plan {} ({} values blocked)\n", g.name(),
                                plan.channel_blocks.size());
  for (const auto& [v, block] : plan.channel_blocks)
    out += fmt::format("  %{} [{}] stored NCHW{}c [{}]\n", g.value(v).name,
                       fmt::join(g.type(v).shape, ","), block,
                       fmt::join(blocked_shape(g.type(v).shape, block), ","));
  return out;
}

}  // namespace nas::passes
