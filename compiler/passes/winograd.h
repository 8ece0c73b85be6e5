// Puts WinogradConv (graph/ops/winograd.cc) in place of the 3x3 convolutions of stride 1
// whose weights are constant, as TVM's x86 and ARM strategies and oneDNN do: F(4x4, 3x3)
// multiplies 4x fewer times than the direct convolution (t^2 = 36 products per 16 outputs
// and channel pair against 144), at the price of two transforms per tile and a few more
// rounding steps (the result differs from the direct sum by a few ulp of its scale). The
// weights are transformed here, once.
//
// Only where the channel products dominate the transforms' cost (input and output
// channels both at least `min_channels`) and the transformed weights (t^2 / 9 times the
// weights' size) serve enough tiles (at least `min_tiles` per image and batch): F(4x4) where
// its tiles are that many, else F(2x2) where its are, else the direct convolution. Groups,
// strides and dilations other than 1 keep the direct convolution, and so do weights that
// are not constants (a training step's) and convolutions that read a graph input or write
// a graph output (stored NCHW there, where the transforms would gather and scatter).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "compiler/graph/graph.h"

namespace nas::passes {

struct WinogradOptions {
  int64_t tile = 0;           // the largest m of F(m x m, 3 x 3): 2 or 4; 0 rewrites nothing
  int64_t min_channels = 16;  // input and output channels
  int64_t min_tiles = 16;     // output tiles of the whole batch
  // Convolutions kept direct though the rules above select them, by winograd_conv_key: the
  // tuning records' choice, measured inside a model (tune/in_model.h). Empty: none.
  std::function<bool(const std::string& key)> keep_direct;
};

graph::Graph rewrite_winograd(const graph::Graph& graph, const WinogradOptions& options);

// What the choice between Winograd's algorithm and the direct convolution is made for: the
// convolution's input type, its weights' shape and its padding, e.g.
// "f32[1,64,56,56] * [64,64,3,3] pads [1,1,1,1]".
std::string winograd_conv_key(const graph::Graph& graph, const graph::Node& conv);

}  // namespace nas::passes
