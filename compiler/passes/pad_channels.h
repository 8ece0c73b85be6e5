// Channel counts that no vector divides (ShuffleNetV2's 58 and 116, 1000 classes), or only
// a short one (24, 40, 72 with 16 lanes), get a padded last block: the convolution that
// makes such a value computes a few more output channels with zero weights and bias, the
// ops after it carry them along, and the convolutions that read it take zero weights for
// them. The value then has a channel count that the layout pass stores blocked
// (passes/layout.h) instead of NCHW, as oneDNN pads its blocked formats with zeros.
//
// The padding channels must stay finite, since a reader's zero weights multiply them: they
// start at 0 and flow only through ops that keep finite values finite (Relu, Clip,
// sigmoids, hard-swish, Tanh, Erf; Add, Sub and Mul with other padded values or per-channel
// constants padded with 0, Div by a constant padded with 1; pooling, and grouped
// convolutions, whose padding grows by whole groups: depthwise ones, and others where their
// channels would be stored NCHW unpadded). Everything else that reads a padded value (a
// Concat, a Flatten, a graph output) reads a Slice of its first channels; a padding whose
// slices would copy more than a small value (kMaxSliceElements) is not done at all. Only
// inference graphs, whose weights are constants; the rewritten graph computes exactly what
// the source computes.
#pragma once

#include <cstdint>

#include "compiler/graph/graph.h"

namespace nas::passes {

// The channel count `channels` is padded to for vectors of `lanes` f32, or `channels`
// itself: a multiple of `lanes` where the layout would store it in shorter vectors and that
// adds at most `full_vector_share` of it (ScheduleParams::full_vector_padding); else, where
// the layout would not store it blocked at all, the least count it stores blocked, if that
// adds at most an eighth.
int64_t padded_channels(int64_t channels, int lanes, double full_vector_share);

// The largest value (elements) read through a Slice of a padded value's first channels.
inline constexpr int64_t kMaxSliceElements = 4096;

// `lanes`: the target's f32 vector lanes; 0 or 1 rewrites nothing.
graph::Graph pad_channels(const graph::Graph& graph, int lanes, double full_vector_share);

}  // namespace nas::passes
