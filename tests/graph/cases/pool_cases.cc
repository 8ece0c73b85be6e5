// Cases for ops/pool.cc.
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

// X = [[1,5,2],[3,4,9],[8,0,6]], used by several hand cases.
Tensor pool_x() { return Tensor::f32({1, 1, 3, 3}, {1, 5, 2, 3, 4, 9, 8, 0, 6}); }
// X = [[1,2,3],[4,5,6],[7,8,9]].
Tensor ramp_x() { return Tensor::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }

// ---- MaxPool -----------------------------------------------------------------------------

// 2x2 windows of pool_x: max(1,5,3,4) = 5, max(5,2,4,9) = 9, max(3,4,8,0) = 8, max(4,9,0,6) = 9.
NAS_OP_CASE({
    .op = "MaxPool",
    .name = "MaxPool.hand_2x2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPool", {pool_x()}, {{"kernel_shape", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {5, 9, 8, 9})},
});

// ceil_mode, kernel 2, stride 2 on 3x3: out = ceil((3-2)/2) + 1 = 2 (floor would give 1); the
// second window starts at 2 < 3, inside the input: [[5, 9], [8, 6]].
NAS_OP_CASE({
    .op = "MaxPool",
    .name = "MaxPool.hand_ceil_mode",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPool", {pool_x()},
                {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}, {"ceil_mode", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {5, 9, 8, 6})},
});

// Dilation 2: the 2x2 kernel reads the corners: max(1, 2, 8, 6) = 8.
NAS_OP_CASE({
    .op = "MaxPool",
    .name = "MaxPool.hand_dilation2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPool", {pool_x()},
                {{"kernel_shape", Shape{2, 2}}, {"dilations", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 1, 1}, {8})},
});

// auto_pad on a 1x4 row [1, 3, 2, 4], kernel 1x2: total pad 1, at the end (SAME_UPPER):
// [max(1,3), max(3,2), max(2,4), max(4,pad)] = [3, 3, 4, 4].
NAS_OP_CASE({
    .op = "MaxPool",
    .name = "MaxPool.hand_same_upper",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPool", {Tensor::f32({1, 1, 1, 4}, {1, 3, 2, 4})},
                {{"kernel_shape", Shape{1, 2}}, {"auto_pad", std::string("SAME_UPPER")}});
    },
    .expected = {Tensor::f32({1, 1, 1, 4}, {3, 3, 4, 4})},
});

// SAME_LOWER puts the pad first: [max(pad,1), max(1,3), max(3,2), max(2,4)] = [1, 3, 3, 4].
NAS_OP_CASE({
    .op = "MaxPool",
    .name = "MaxPool.hand_same_lower",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPool", {Tensor::f32({1, 1, 1, 4}, {1, 3, 2, 4})},
                {{"kernel_shape", Shape{1, 2}}, {"auto_pad", std::string("SAME_LOWER")}});
    },
    .expected = {Tensor::f32({1, 1, 1, 4}, {1, 3, 3, 4})},
});

// dY = [[1,2],[3,4]] over the 2x2 windows of pool_x: the maxima sit at (0,1) for window
// (0,0), (1,2) for windows (0,1) and (1,1), (2,0) for window (1,0):
// dx(0,1) = 1, dx(1,2) = 2 + 4 = 6, dx(2,0) = 3.
NAS_OP_CASE({
    .op = "MaxPoolGrad",
    .name = "MaxPoolGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPoolGrad", {Tensor::f32({1, 1, 2, 2}, {1, 2, 3, 4}), pool_x()},
                {{"kernel_shape", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 3, 3}, {0, 1, 0, 0, 0, 6, 3, 0, 0})},
    .onnx = false,
});

// Ties go to the first maximum in row-major order.
NAS_OP_CASE({
    .op = "MaxPoolGrad",
    .name = "MaxPoolGrad.hand_ties",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MaxPoolGrad",
                {Tensor::f32({1, 1, 1, 1}, {7}), Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1})},
                {{"kernel_shape", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {7, 0, 0, 0})},
    .onnx = false,
});

// ---- AveragePool -------------------------------------------------------------------------

// 2x2 windows of the ramp: (1+2+4+5)/4 = 3, 4, 6, 7.
NAS_OP_CASE({
    .op = "AveragePool",
    .name = "AveragePool.hand_2x2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePool", {ramp_x()}, {{"kernel_shape", Shape{2, 2}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {3, 4, 6, 7})},
});

// ceil_mode, kernel 2, stride 2 on the ramp: windows {1,2,4,5} = 3, {3,6} = 4.5, {7,8} = 7.5,
// {9} = 9 (divisor: the valid taps).
NAS_OP_CASE({
    .op = "AveragePool",
    .name = "AveragePool.hand_ceil_mode",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePool", {ramp_x()},
                {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}, {"ceil_mode", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {3, 4.5f, 7.5f, 9})},
});

// A 1x4 row [1,2,3,4], kernel 3, stride 2, pads 1 and 1, ceil_mode: ceil((4+2-3)/2) + 1 = 3
// windows starting at -1, 1, 3 (3 < 4 + 1, kept). Window 0 = {pad, 1, 2}, window 1 = {2,3,4},
// window 2 = {4, pad, beyond the padded input}.
// count_include_pad 0 divides by the valid taps: 3/2 = 1.5, 9/3 = 3, 4/1 = 4.
NAS_OP_CASE({
    .op = "AveragePool",
    .name = "AveragePool.hand_ceil_pads_exclude_pad",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePool", {Tensor::f32({1, 1, 1, 4}, {1, 2, 3, 4})},
                {{"kernel_shape", Shape{1, 3}},
                 {"strides", Shape{1, 2}},
                 {"pads", Shape{0, 1, 0, 1}},
                 {"ceil_mode", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 1, 3}, {1.5f, 3, 4})},
});

// count_include_pad 1 divides by the whole kernel (3), also for window 2, which runs past
// the padded input [-1, 5): window 0 [-1, 2): 3/3 = 1; window 1: 9/3 = 3; window 2: 4/3.
NAS_OP_CASE({
    .op = "AveragePool",
    .name = "AveragePool.hand_ceil_pads_include_pad",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePool", {Tensor::f32({1, 1, 1, 4}, {1, 2, 3, 4})},
                {{"kernel_shape", Shape{1, 3}},
                 {"strides", Shape{1, 2}},
                 {"pads", Shape{0, 1, 0, 1}},
                 {"ceil_mode", int64_t{1}},
                 {"count_include_pad", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 1, 3}, {1, 3, 4.0f / 3})},
});

// Without ceil_mode the same row gives floor((4+2-3)/2) + 1 = 2 windows: 1 and 3.
NAS_OP_CASE({
    .op = "AveragePool",
    .name = "AveragePool.hand_floor_pads_include_pad",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePool", {Tensor::f32({1, 1, 1, 4}, {1, 2, 3, 4})},
                {{"kernel_shape", Shape{1, 3}},
                 {"strides", Shape{1, 2}},
                 {"pads", Shape{0, 1, 0, 1}},
                 {"count_include_pad", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 1, 2}, {1, 3})},
});

// dY = 1 over the 2x2 windows of a 3x3 input: each input gets 1/4 per window covering it
// (corners 1, edges 2, centre 4 windows).
NAS_OP_CASE({
    .op = "AveragePoolGrad",
    .name = "AveragePoolGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "AveragePoolGrad", {Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1})},
                {{"kernel_shape", Shape{2, 2}}, {"input_shape", Shape{1, 1, 3, 3}}});
    },
    .expected = {Tensor::f32({1, 1, 3, 3}, {0.25f, 0.5f, 0.25f, 0.5f, 1, 0.5f, 0.25f, 0.5f, 0.25f})},
    .onnx = false,
});

// ---- GlobalAveragePool -------------------------------------------------------------------

// (1+2+3+4)/4 = 2.5, (5+6+7+9)/4 = 6.75.
NAS_OP_CASE({
    .op = "GlobalAveragePool",
    .name = "GlobalAveragePool.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "GlobalAveragePool", {Tensor::f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 9})});
    },
    .expected = {Tensor::f32({1, 2, 1, 1}, {2.5f, 6.75f})},
});

NAS_OP_CASE({
    .op = "GlobalAveragePoolGrad",
    .name = "GlobalAveragePoolGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "GlobalAveragePoolGrad", {Tensor::f32({1, 2, 1, 1}, {4, 8})},
                {{"input_shape", Shape{1, 2, 2, 2}}});
    },
    .expected = {Tensor::f32({1, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2})},
    .onnx = false,
});

// ---- random cases ------------------------------------------------------------------------

struct PoolConfig {
  int64_t stride = 1;
  int64_t dilation = 1;  // MaxPool only
  bool pads = false;     // random asymmetric pads, each smaller than the kernel
  int64_t ceil_mode = 0;
  int64_t count_include_pad = -1;  // AveragePool only: 0 or 1
  std::string auto_pad = "NOTSET";
};

void build_pool(Rng& rng, Graph& g, std::vector<Tensor>& in, std::string_view op,
                const PoolConfig& cfg) {
  const int64_t n = random_int(rng, 1, 2), c = random_int(rng, 1, 3);
  const int64_t kh = random_int(rng, 2, 3), kw = random_int(rng, 1, 3);
  // H, W in 3..7 (odd and even), at least the dilated kernel.
  const int64_t h = std::max(random_int(rng, 3, 7), cfg.dilation * (kh - 1) + 1);
  const int64_t w = std::max(random_int(rng, 3, 7), cfg.dilation * (kw - 1) + 1);
  Attrs attrs{{"kernel_shape", Shape{kh, kw}}};
  if (cfg.stride != 1) attrs.set("strides", Shape{cfg.stride, cfg.stride});
  if (cfg.dilation != 1) attrs.set("dilations", Shape{cfg.dilation, cfg.dilation});
  if (cfg.pads) {
    // With ceil_mode, draw again until no window starts in the end padding (refused).
    auto starts_in_padding = [&](int64_t in, int64_t k, int64_t begin, int64_t end) {
      const int64_t span = in + begin + end - (cfg.dilation * (k - 1) + 1);
      const int64_t out = (span + cfg.stride - 1) / cfg.stride + 1;
      return cfg.ceil_mode && (out - 1) * cfg.stride >= in + begin;
    };
    Shape pads;
    do {
      pads = {random_int(rng, 0, kh - 1), random_int(rng, 0, kw - 1), random_int(rng, 0, kh - 1),
              random_int(rng, 0, kw - 1)};
    } while (starts_in_padding(h, kh, pads[0], pads[2]) || starts_in_padding(w, kw, pads[1], pads[3]));
    attrs.set("pads", pads);
  }
  if (cfg.ceil_mode) attrs.set("ceil_mode", cfg.ceil_mode);
  if (cfg.count_include_pad >= 0) attrs.set("count_include_pad", cfg.count_include_pad);
  if (cfg.auto_pad != "NOTSET") attrs.set("auto_pad", cfg.auto_pad);
  // Values at least 1e-3 apart: no ties within a window, even under finite differences.
  single_op(g, in, op, {random_tensor_away_from(rng, {n, c, h, w}, {}, 0.1)}, attrs);
}

#define NAS_POOL_RANDOM(op_name, label, ...)                                 \
  NAS_OP_CASE({                                                              \
      .op = op_name,                                                         \
      .name = op_name ".random_" label,                                      \
      .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {             \
        build_pool(rng, g, in, op_name, PoolConfig __VA_ARGS__);             \
      },                                                                     \
  })

NAS_POOL_RANDOM("MaxPool", "basic", {});
NAS_POOL_RANDOM("MaxPool", "stride2_pads", {.stride = 2, .pads = true});
NAS_POOL_RANDOM("MaxPool", "dilation2_pads", {.dilation = 2, .pads = true});
NAS_POOL_RANDOM("MaxPool", "stride2_ceil_mode", {.stride = 2, .pads = true, .ceil_mode = 1});
NAS_POOL_RANDOM("MaxPool", "same_upper_stride2", {.stride = 2, .auto_pad = "SAME_UPPER"});
NAS_POOL_RANDOM("MaxPool", "same_lower", {.auto_pad = "SAME_LOWER"});

NAS_POOL_RANDOM("AveragePool", "basic", {});
NAS_POOL_RANDOM("AveragePool", "stride2_pads_exclude_pad",
                {.stride = 2, .pads = true, .count_include_pad = 0});
NAS_POOL_RANDOM("AveragePool", "stride2_pads_include_pad",
                {.stride = 2, .pads = true, .count_include_pad = 1});
NAS_POOL_RANDOM("AveragePool", "ceil_mode_exclude_pad",
                {.stride = 2, .pads = true, .ceil_mode = 1, .count_include_pad = 0});
NAS_POOL_RANDOM("AveragePool", "ceil_mode_include_pad",
                {.stride = 2, .pads = true, .ceil_mode = 1, .count_include_pad = 1});
NAS_POOL_RANDOM("AveragePool", "same_upper_stride2", {.stride = 2, .auto_pad = "SAME_UPPER"});
NAS_POOL_RANDOM("AveragePool", "valid_stride2", {.stride = 2, .auto_pad = "VALID"});

NAS_OP_CASE({
    .op = "GlobalAveragePool",
    .name = "GlobalAveragePool.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s{random_int(rng, 1, 2), random_int(rng, 1, 4), random_int(rng, 1, 6),
                    random_int(rng, 1, 6)};
      single_op(g, in, "GlobalAveragePool", {random_tensor(rng, s)});
    },
});

}  // namespace
}  // namespace nas::testing
