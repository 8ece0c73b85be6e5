#include "compiler/passes/layout.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/op_registry.h"
#include "compiler/graph/ops/pad_geometry.h"
#include "compiler/graph/ops/slice_axes.h"

namespace nas::passes {

using namespace graph;

namespace {

// Whether `axis` names the channels of a 4-D value.
bool is_channel_axis(int64_t axis) { return axis == 1 || axis == -3; }

// A Concat of 4-D values along their channels.
bool is_channel_concat(const Graph& g, const Node& node) {
  return node.op->id == OpId::Concat && g.type(node.outputs[0]).shape.size() == 4 &&
         is_channel_axis(node.attrs.i("axis"));
}

// A Split of a 4-D value along its channels.
bool is_channel_split(const Graph& g, const Node& node) {
  return node.op->id == OpId::Split && g.type(node.inputs[0]).shape.size() == 4 &&
         is_channel_axis(node.attrs.i("axis"));
}

// A Slice of a 4-D value that reads its channels one after the other (any start and end),
// whatever it does to the other axes.
bool is_channel_run_slice(const Graph& g, const Node& node) {
  if (node.op->id != OpId::Slice || g.type(node.inputs[0]).shape.size() != 4) return false;
  return ops::slice_axes_checked(node, g.type(node.inputs[0]).shape)[1].step == 1;
}

// A Pad of a 4-D value's rows and columns only (a window's border written out, as
// TF-style exports do before a convolution): each channel stays where it was.
bool is_spatial_pad(const Graph& g, const Node& node) {
  if (node.op->id != OpId::Pad || g.type(node.inputs[0]).shape.size() != 4) return false;
  const ops::PadGeometry pad = ops::pad_of(node.attrs, g.type(node.inputs[0]).shape);
  return pad.begin[0] == 0 && pad.end[0] == 0 && pad.begin[1] == 0 && pad.end[1] == 0;
}

// A ReduceMean or ReduceMax of a 4-D value over its rows and columns only (torchvision's
// MnasNet ends in x.mean([2, 3]), where others have a global average pool): each output
// channel reads its own input channel, as in the pool.
bool is_spatial_reduction(const Graph& g, const Node& node) {
  if (node.op->id != OpId::ReduceMean && node.op->id != OpId::ReduceMax) return false;
  const std::vector<int64_t>& axes = node.attrs.ints("axes");
  const auto rank = static_cast<int64_t>(g.type(node.inputs[0]).shape.size());
  return rank == 4 && !axes.empty() && std::ranges::all_of(axes, [&](int64_t axis) {
           const int64_t a = axis < 0 ? axis + rank : axis;
           return a == 2 || a == 3;
         });
}

// A part of a channel shuffle, x.view(N, g, C/g, H, W).transpose(1, 2).view(N, C, H, W) as
// ShuffleNet writes it: each reshape and the transpose keep H and W as the last axes, so a
// kernel of the shuffle computes a vector of channels at a pixel (gathering them).
bool is_channel_shuffle_part(const Graph& g, const Node& node) {
  const Shape& in = g.type(node.inputs[0]).shape;
  const Shape& out = g.type(node.outputs[0]).shape;
  const auto spatial_kept = [&](size_t in_rank, size_t out_rank) {
    return in.size() == in_rank && out.size() == out_rank && in[0] == out[0] &&
           in[in_rank - 2] == out[out_rank - 2] && in[in_rank - 1] == out[out_rank - 1];
  };
  if (node.op->id == OpId::Reshape) return spatial_kept(4, 5) || spatial_kept(5, 4);
  if (node.op->id == OpId::Transpose)
    return in.size() == 5 && node.attrs.ints("perm") == std::vector<int64_t>{0, 2, 1, 3, 4};
  return false;
}

// A Transpose of a 4-D value that moves the channels to the last axis or back from it,
// NCHW <-> NHWC (ConvNeXt's blocks run their LayerNorm and dense ops channels-last between
// two such permutes): one side's vector of channels at a pixel, blocked, is a contiguous
// run of the other's last axis.
bool is_channels_last_transpose(const Node& node) {
  if (node.op->id != OpId::Transpose) return false;
  const std::vector<int64_t>& perm = node.attrs.ints("perm");
  return perm == std::vector<int64_t>{0, 2, 3, 1} || perm == std::vector<int64_t>{0, 3, 1, 2};
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
    case OpId::Split: return is_channel_split(g, node);
    case OpId::Slice: return is_channel_run_slice(g, node);
    case OpId::Pad: return is_spatial_pad(g, node);
    case OpId::ReduceMean:
    case OpId::ReduceMax: return is_spatial_reduction(g, node);
    case OpId::Reshape: return is_channel_shuffle_part(g, node);
    case OpId::Transpose:
      return is_channel_shuffle_part(g, node) || is_channels_last_transpose(node);
    case OpId::ReduceSumTo: return false;
    default: break;
  }
  const FusionClass fusion = node.op->fusion;
  return fusion == FusionClass::Elementwise || fusion == FusionClass::Broadcast;
}

// Whether `node` reads its input `slot` well stored NCHW[x]c. Not so a convolution's
// weights when a kernel computes them (scale_into_weights.h): the convolution packs them
// from their plain layout. Nor the input X of a convolution's weight gradient that is not
// depthwise: its schedule takes one input channel of a pixel per step (against vectors of
// output channels), and in NCHW[x]c neighbouring pixels lie a block apart (measured on a
// training step, 3x3 16 -> 32 at 28x28: 3x the time).
bool reads_blocked_well(const Graph& g, const Node& node, size_t slot) {
  if (node.op->id == OpId::Conv) return slot == 0;
  if (node.op->id != OpId::ConvGradWeight || slot != 1) return true;
  return g.type(node.outputs[0]).shape[1] == 1 && node.attrs.i("group") > 1;
}

int64_t largest_block(int64_t channels, int lanes) {
  for (int64_t b = lanes; b >= 2; b /= 2)
    if (channels % b == 0) return b;
  return 1;
}

// The values a copy of channels reads and writes (a channel Concat's parts and output, a
// channel Split's input and parts, a channel Slice's input and output), with the channel
// offsets at which the smaller ones lie in the larger one; nothing for other nodes.
struct ChannelCopy {
  std::vector<ValueId> values;
  std::vector<int64_t> offsets;
};

std::optional<ChannelCopy> channel_copy(const Graph& g, const Node& node) {
  const auto parts_of = [&](const std::vector<ValueId>& parts, ValueId whole) {
    ChannelCopy copy{parts, {}};
    copy.values.push_back(whole);
    int64_t offset = 0;
    for (ValueId part : parts) {
      copy.offsets.push_back(offset);
      offset += g.type(part).shape[1];
    }
    return copy;
  };
  if (is_channel_concat(g, node)) return parts_of(node.inputs, node.outputs[0]);
  if (is_channel_split(g, node)) return parts_of(node.outputs, node.inputs[0]);
  if (is_channel_run_slice(g, node))
    return ChannelCopy{{node.inputs[0], node.outputs[0]},
                       {ops::slice_axes_checked(node, g.type(node.inputs[0]).shape)[1].start}};
  return std::nullopt;
}

// A copy of channels reads and writes its values in one channel block, so that it copies
// whole vectors (and a Concat's parts can be written in place, concat_in_place.h): all of
// them in blocks of the smallest x among them (every x is a power of two dividing its
// channels), halved until it divides every offset, or all NCHW where one of them stays so
// or x falls below 4. Values that a group computes and reads itself are not stored, so
// take no part. Repeated until nothing changes, since a value can be read or written by
// several.
void same_block_across_channel_copies(const Graph& g, const std::set<ValueId>& internal,
                                      LayoutPlan& plan) {
  for (bool changed = true; changed;) {
    changed = false;
    for (const Node& node : g.nodes()) {
      std::optional<ChannelCopy> copy = channel_copy(g, node);
      if (!copy) continue;
      std::erase_if(copy->values, [&](ValueId v) { return internal.contains(v); });
      if (copy->values.empty()) continue;
      int64_t block = plan.block_of(copy->values[0]);
      for (ValueId v : copy->values) block = std::min(block, plan.block_of(v));
      for (int64_t offset : copy->offsets)
        while (offset % block != 0) block /= 2;
      if (block < 4) block = 1;
      for (ValueId v : copy->values) {
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

int64_t storable_block(int64_t channels, int lanes) {
  const int64_t block = largest_block(channels, lanes);
  return block >= 4 && channel_vector_lanes(channels, lanes) == block ? block : 1;
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
  std::set<ValueId> internal;  // computed and read inside one group, never stored
  for (size_t v = 0; v < g.values().size(); ++v) {
    const Value& value = g.values()[v];
    const auto id = static_cast<ValueId>(v);
    if (value.kind != ValueKind::NodeOutput || returned.contains(id)) continue;
    const int32_t producer = group_of[static_cast<size_t>(value.producer)];
    if (std::ranges::all_of(users[v], [&](int32_t user) {
          return group_of[static_cast<size_t>(user)] == producer;
        }) && !users[v].empty())
      internal.insert(id);
    if (value.type.dtype != DType::F32 || value.type.shape.size() != 4) continue;
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
    const int64_t block = storable_block(value.type.shape[1], lanes);
    if (block > 1) plan.channel_blocks.emplace(id, block);
  }
  same_block_across_channel_copies(g, internal, plan);
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
