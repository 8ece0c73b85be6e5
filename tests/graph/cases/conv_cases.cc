// Cases for ops/conv.cc.
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

// ---- hand cases --------------------------------------------------------------------------

// X = [[1,2,3],[4,5,6],[7,8,9]], W = [[1,2],[3,4]], B = 1:
//   y00 = 1*1 + 2*2 + 3*4 + 4*5 + 1 = 38, y01 = 1*2 + 2*3 + 3*5 + 4*6 + 1 = 48,
//   y10 = 1*4 + 2*5 + 3*7 + 4*8 + 1 = 68, y11 = 1*5 + 2*6 + 3*8 + 4*9 + 1 = 78.
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_2x2_bias",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                 Tensor::f32({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor::f32({1}, {1})});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {38, 48, 68, 78})},
});

// 3x3 kernel of ones, pads 1, stride 2 on the same X: out = floor((3 + 2 - 3) / 2) + 1 = 2;
// windows cover rows/cols {0,1} or {1,2} of X: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24,
// 5+6+8+9 = 28.
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_stride2_pad1",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                 Tensor::f32({1, 1, 3, 3}, std::vector<float>(9, 1.0f))},
                {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}, {"kernel_shape", Shape{3, 3}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {12, 16, 24, 28})},
});

// Dilation 2: a 2x2 kernel of ones reads the corners 1 + 3 + 7 + 9 = 20.
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_dilation2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                 Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1})},
                {{"dilations", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 1, 1}, {20})},
});

// Depthwise (group 2) 1x1 kernels: channel 0 times 2, channel 1 times -1.
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_depthwise",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 2, 1, 2}, {1, 2, 3, 4}), Tensor::f32({2, 1, 1, 1}, {2, -1})},
                {{"group", int64_t{2}}});
    },
    .expected = {Tensor::f32({1, 2, 1, 2}, {2, 4, -3, -4})},
});

// auto_pad on a 1x4 row with a 1x2 kernel [1, 10]: total pad (4-1)*1 + 2 - 4 = 1.
// SAME_UPPER pads the end: [1+20, 2+30, 3+40, 4+0]; SAME_LOWER the start: [0+10, 1+20, ...].
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_same_upper",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 1, 1, 4}, {1, 2, 3, 4}), Tensor::f32({1, 1, 1, 2}, {1, 10})},
                {{"auto_pad", std::string("SAME_UPPER")}});
    },
    .expected = {Tensor::f32({1, 1, 1, 4}, {21, 32, 43, 4})},
});

NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.hand_same_lower",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Conv",
                {Tensor::f32({1, 1, 1, 4}, {1, 2, 3, 4}), Tensor::f32({1, 1, 1, 2}, {1, 10})},
                {{"auto_pad", std::string("SAME_LOWER")}});
    },
    .expected = {Tensor::f32({1, 1, 1, 4}, {10, 21, 32, 43})},
});

// dX of the 2x2 convolution of a 3x3 input, dY = [[1,2],[3,4]], W = [[1,2],[3,4]]:
// dx[i][j] = sum over oh+kh = i, ow+kw = j of dy[oh][ow] * w[kh][kw], e.g.
// dx[1][1] = 1*4 + 2*3 + 3*2 + 4*1 = 20, dx[0][1] = 1*2 + 2*1 = 4.
NAS_OP_CASE({
    .op = "ConvGradInput",
    .name = "ConvGradInput.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ConvGradInput",
                {Tensor::f32({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor::f32({1, 1, 2, 2}, {1, 2, 3, 4})},
                {{"input_shape", Shape{1, 1, 3, 3}}});
    },
    .expected = {Tensor::f32({1, 1, 3, 3}, {1, 4, 4, 6, 20, 16, 9, 24, 16})},
    .onnx = false,
});

// dW with dY all ones: dw[kh][kw] = sum of the 2x2 block of X at (kh, kw): 12, 16, 24, 28.
NAS_OP_CASE({
    .op = "ConvGradWeight",
    .name = "ConvGradWeight.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ConvGradWeight",
                {Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1}),
                 Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})},
                {{"weight_shape", Shape{1, 1, 2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {12, 16, 24, 28})},
    .onnx = false,
});

// dY [2,2,1,2] = 1..8: channel 0 holds 1,2 (n=0) and 5,6 (n=1) = 14; channel 1: 3+4+7+8 = 22.
NAS_OP_CASE({
    .op = "ConvGradBias",
    .name = "ConvGradBias.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ConvGradBias", {Tensor::f32({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8})});
    },
    .expected = {Tensor::f32({2}, {14, 22})},
    .onnx = false,
});

// ---- random cases ------------------------------------------------------------------------

struct ConvConfig {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t group = 1;
  bool depthwise = false;      // group = C_in, W [C_out, 1, kh, kw], C_out a multiple of C_in
  bool bias = true;
  bool pads = false;           // random asymmetric pads
  std::string auto_pad = "NOTSET";
  bool explicit_kernel_shape = false;
};

void build_conv(Rng& rng, Graph& g, std::vector<Tensor>& in, const ConvConfig& cfg) {
  const int64_t n = random_int(rng, 1, 2);
  int64_t group = cfg.group, c_in_group = random_int(rng, 1, 2);
  if (cfg.depthwise) group = random_int(rng, 2, 3), c_in_group = 1;
  const int64_t c_in = group * c_in_group;
  const int64_t c_out = group * random_int(rng, 1, 2);
  const int64_t kh = random_int(rng, 1, 3), kw = random_int(rng, 1, 3);
  Shape pads{0, 0, 0, 0};
  if (cfg.pads)
    for (int64_t& p : pads) p = random_int(rng, 0, 2);
  // At least one output position; H, W in 3..6 (odd and even).
  const int64_t h = std::max(random_int(rng, 3, 6), cfg.dilation * (kh - 1) + 1);
  const int64_t w = std::max(random_int(rng, 3, 6), cfg.dilation * (kw - 1) + 1);
  Attrs attrs;
  if (cfg.stride != 1) attrs.set("strides", Shape{cfg.stride, cfg.stride});
  if (cfg.dilation != 1) attrs.set("dilations", Shape{cfg.dilation, cfg.dilation});
  if (group != 1) attrs.set("group", group);
  if (cfg.pads) attrs.set("pads", pads);
  if (cfg.auto_pad != "NOTSET") attrs.set("auto_pad", cfg.auto_pad);
  if (cfg.explicit_kernel_shape) attrs.set("kernel_shape", Shape{kh, kw});
  std::vector<Tensor> values{random_tensor(rng, {n, c_in, h, w}),
                             random_tensor(rng, {c_out, c_in_group, kh, kw})};
  if (cfg.bias) values.push_back(random_tensor(rng, {c_out}));
  single_op(g, in, "Conv", std::move(values), attrs);
}

#define NAS_CONV_RANDOM(label, ...)                                          \
  NAS_OP_CASE({                                                              \
      .op = "Conv",                                                          \
      .name = "Conv.random_" label,                                          \
      .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {             \
        build_conv(rng, g, in, ConvConfig __VA_ARGS__);                      \
      },                                                                     \
  })

NAS_CONV_RANDOM("basic", {.explicit_kernel_shape = true});
NAS_CONV_RANDOM("stride2_pads_no_bias", {.stride = 2, .bias = false, .pads = true});
NAS_CONV_RANDOM("dilation2_pads", {.dilation = 2, .pads = true});
NAS_CONV_RANDOM("group2_stride2", {.stride = 2, .group = 2, .pads = true});
NAS_CONV_RANDOM("depthwise", {.depthwise = true, .pads = true});
NAS_CONV_RANDOM("depthwise_stride2_no_bias", {.stride = 2, .depthwise = true, .bias = false});
NAS_CONV_RANDOM("same_upper_stride2", {.stride = 2, .auto_pad = "SAME_UPPER"});
// ONNX Runtime refuses dilation with SAME_UPPER/SAME_LOWER, so this case stays out of the
// ONNX Runtime checker (our result is still checked against its gradient and the oracle).
NAS_OP_CASE({
    .op = "Conv",
    .name = "Conv.random_same_lower_dilation2",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      build_conv(rng, g, in, ConvConfig{.dilation = 2, .auto_pad = "SAME_LOWER"});
    },
    .onnx = false,
});
NAS_CONV_RANDOM("same_lower", {.auto_pad = "SAME_LOWER"});
NAS_CONV_RANDOM("valid_stride2", {.stride = 2, .auto_pad = "VALID"});

}  // namespace
}  // namespace nas::testing
