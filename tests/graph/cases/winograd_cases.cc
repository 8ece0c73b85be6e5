// Cases for ops/winograd.cc. Its weights U are a Conv's, transformed
// (winograd_transform.h); tests/passes/winograd_test.cc checks it against Conv itself.
#include "compiler/graph/ops/winograd_transform.h"
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

// X = [[1,2,3],[4,5,6],[7,8,9]], a 3x3 kernel of ones, pads 1: each output is the sum of
// its neighbourhood, e.g. y00 = 1+2+4+5 = 12, y11 = 45. One partial tile (m = 4) or a
// full and a partial one per axis (m = 2), with a bias of 1.
Graph& hand(Graph& g, std::vector<Tensor>& in, int64_t m) {
  const Tensor u = winograd::transform_weights(Tensor::f32({1, 1, 3, 3}, std::vector<float>(9, 1)), m);
  single_op(g, in, "WinogradConv",
            {Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), u, Tensor::f32({1}, {1})},
            {{"tile", m}, {"pads", Shape{1, 1, 1, 1}}});
  return g;
}
const Tensor kNeighbourhoodSums =
    Tensor::f32({1, 1, 3, 3}, {13, 22, 17, 28, 46, 34, 25, 40, 29});

NAS_OP_CASE({
    .op = "WinogradConv",
    .name = "WinogradConv.hand_tile2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) { hand(g, in, 2); },
    .expected = {kNeighbourhoodSums},
    .tolerance = 1e-5,
    .onnx = false,
});
NAS_OP_CASE({
    .op = "WinogradConv",
    .name = "WinogradConv.hand_tile4",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) { hand(g, in, 4); },
    .expected = {kNeighbourhoodSums},
    .tolerance = 1e-5,
    .onnx = false,
});

// Random shapes, pads (asymmetric) and tiles; the transformed weights are an input.
void build_random(Rng& rng, Graph& g, std::vector<Tensor>& in, bool bias) {
  const int64_t m = random_int(rng, 0, 1) == 0 ? 2 : 4;
  const int64_t n = random_int(rng, 1, 2), c = random_int(rng, 1, 5), k = random_int(rng, 1, 20);
  const Shape pads{random_int(rng, 0, 2), random_int(rng, 0, 2), random_int(rng, 0, 2),
                   random_int(rng, 0, 2)};
  const int64_t h = random_int(rng, std::max<int64_t>(1, 3 - pads[0] - pads[2]), 11);
  const int64_t w = random_int(rng, std::max<int64_t>(1, 3 - pads[1] - pads[3]), 11);
  const Tensor u = winograd::transform_weights(random_tensor(rng, {k, c, 3, 3}), m);
  std::vector<Tensor> values{random_tensor(rng, {n, c, h, w}), u};
  if (bias) values.push_back(random_tensor(rng, {k}));
  single_op(g, in, "WinogradConv", values, {{"tile", m}, {"pads", pads}});
}

NAS_OP_CASE({
    .op = "WinogradConv",
    .name = "WinogradConv.random_bias",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) { build_random(rng, g, in, true); },
    .check_gradient = false,
    .onnx = false,
});
NAS_OP_CASE({
    .op = "WinogradConv",
    .name = "WinogradConv.random_no_bias",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) { build_random(rng, g, in, false); },
    .check_gradient = false,
    .onnx = false,
});

}  // namespace
}  // namespace nas::testing
