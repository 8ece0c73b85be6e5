// The activation layout pass: which values handed between kernels are stored in a blocked
// channel layout, NCHW[x]c ([N, C/x, H, W, x]: x channels adjacent), instead of NCHW.
//
// Like TVM's layout alteration for x86 convolutions, but decided over the fused groups and
// not as graph nodes: a kernel that writes a blocked value stores it in that layout, and a
// kernel that reads one loads through the layout (lower_group), so the graph and the
// reference executor keep their NCHW meaning and a layout change costs no kernel of its
// own. Convolutions, pooling and elementwise kernels then compute a vector of channels
// with contiguous loads and stores.
//
// A value is blocked when it is a 4-D f32 tensor handed from one group to others (neither
// a graph input nor output: those stay NCHW at the model's boundary), its channels divide
// into blocks of at least 4 (x: the largest power of two up to the target's vector lanes
// that divides C) that channel_vector_lanes does not pad, and its producer and every
// reader are groups of convolutions, pooling, elementwise ops, pads of rows and columns,
// and copies of channels: channel concatenations, splits and slices, and channel shuffles
// (reshape to 5-D, transpose, reshape back, keeping H and W last). A copy's values share one x (the
// smallest among them, dividing every offset of a part in the whole), or all stay NCHW,
// so that it copies whole vectors and a Concat's parts can be written in place
// (concat_in_place.h). A value read by a flatten, another reshape, a dense op or a
// reduction over channels stays NCHW there: the layout changes only where the blocked form
// pays.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "compiler/graph/graph.h"
#include "compiler/passes/fusion_plan.h"

namespace nas::passes {

struct LayoutPlan {
  // The values stored NCHW[x]c, with their x; every other value is stored as its shape says.
  std::map<graph::ValueId, int64_t> channel_blocks;

  int64_t block_of(graph::ValueId v) const {
    const auto it = channel_blocks.find(v);
    return it == channel_blocks.end() ? 1 : it->second;
  }
};

// The lanes of a vector of `extent` channels: the largest power of two up to `lanes` that
// divides it, or all `lanes` (a guarded tail; packed weights padded with zeros) where the
// extent holds at least two full vectors and that would take a quarter of the lanes or
// fewer or leave a tail of at most 1/32 of the channels: ShuffleNetV2's 58 channels as 3
// vectors of 16 and a tail of 10, not 29 vectors of 2; 1000 classes as 62 vectors of 16
// and a tail of 8, not 125 vectors of 8. A convolution storing NCHW vectorizes its output channels so; a channel count that
// this pads stays NCHW between kernels rather than blocked in such short vectors.
int64_t channel_vector_lanes(int64_t extent, int lanes);

// The channel block x a value of `channels` channels is stored in where the plan blocks it
// (at least 4, dividing the channels, not padded by channel_vector_lanes); 1: never.
int64_t storable_block(int64_t channels, int lanes);

// `lanes`: the f32 lanes of the target's vectors (16, 8 or 4).
LayoutPlan plan_layouts(const graph::Graph& graph, const FusionPlan& fusion, int lanes);

// One line per blocked value: its name, logical shape and stored layout.
std::string print_layout_plan(const graph::Graph& graph, const LayoutPlan& plan);

// The shape a value of logical shape [N, C, H, W] is stored in with channel block x.
graph::Shape blocked_shape(const graph::Shape& shape, int64_t block);

}  // namespace nas::passes
