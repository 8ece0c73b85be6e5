// WinogradConv: a 3x3 convolution of stride 1 by Winograd's minimal filtering
// (winograd_transform.h), with its weights already transformed. passes/winograd.h puts it
// in place of such a Conv whose weights are constant; it is not an ONNX op, and a training
// graph differentiates the Conv it came from.
#include <fmt/ranges.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/graph/ops/window_geometry.h"
#include "compiler/graph/ops/winograd_transform.h"

namespace nas::graph {
using namespace ops;

namespace {

struct WinogradGeometry {
  int64_t m = 0, t = 0, n = 0, c = 0, k = 0, h = 0, w = 0, oh = 0, ow = 0;
  int64_t pad_top = 0, pad_left = 0;
  int64_t tiles_h() const { return winograd::tiles(oh, m); }
  int64_t tiles_w() const { return winograd::tiles(ow, m); }
  int64_t tiles() const { return n * tiles_h() * tiles_w(); }
};

WinogradGeometry geometry_of(const Attrs& attrs, const Shape& x, const Shape& u) {
  const std::vector<int64_t>& pads = attrs.ints("pads");
  WinogradGeometry g;
  g.m = attrs.i("tile");
  g.t = g.m + 2;
  g.n = x[0];
  g.c = x[1];
  g.h = x[2];
  g.w = x[3];
  g.k = u[2];
  g.pad_top = pads[0];
  g.pad_left = pads[1];
  g.oh = g.h + pads[0] + pads[2] - 2;
  g.ow = g.w + pads[1] + pads[3] - 2;
  return g;
}

// Per tile: V = B^T d B for every input channel, then per output channel the t*t sums
// M = sum over channels of U . V (channels in order), then Y = A^T M A.
template <class T>
void winograd_conv_kernel(const KernelContext& c) {  // (X, U, B?) -> Y
  const Tensor& x = c.in(0);
  const WinogradGeometry g = geometry_of(c.attrs(), x.shape(), c.in(1).shape());
  const winograd::Matrices& f = winograd::matrices(g.m);
  const T* px = x.data<T>();
  const T* pu = c.in(1).data<T>();
  const T* pb = c.has_input(2) ? c.in(2).data<T>() : nullptr;
  T* py = c.out(0).data<T>();
  const int64_t t = g.t, tt = t * t;
  std::vector<T> v(static_cast<size_t>(tt * g.c)), mk(static_cast<size_t>(tt));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t th = 0; th < g.tiles_h(); ++th)
      for (int64_t tw = 0; tw < g.tiles_w(); ++tw) {
        const int64_t top = th * g.m - g.pad_top, left = tw * g.m - g.pad_left;
        for (int64_t ci = 0; ci < g.c; ++ci) {
          T d[6][6] = {}, bd[6][6] = {};
          for (int64_t i = 0; i < t; ++i)
            for (int64_t j = 0; j < t; ++j) {
              const int64_t r = top + i, col = left + j;
              if (r >= 0 && r < g.h && col >= 0 && col < g.w)
                d[i][j] = px[((n * g.c + ci) * g.h + r) * g.w + col];
            }
          for (int64_t a = 0; a < t; ++a)
            for (int64_t j = 0; j < t; ++j)
              for (int64_t i = 0; i < t; ++i) bd[a][j] += T(f.BT(a, i)) * d[i][j];
          for (int64_t a = 0; a < t; ++a)
            for (int64_t b = 0; b < t; ++b) {
              T sum = 0;
              for (int64_t j = 0; j < t; ++j) sum += bd[a][j] * T(f.BT(b, j));
              v[static_cast<size_t>((a * t + b) * g.c + ci)] = sum;
            }
        }
        for (int64_t k = 0; k < g.k; ++k) {
          for (int64_t e = 0; e < tt; ++e) {
            T sum = 0;
            for (int64_t ci = 0; ci < g.c; ++ci)
              sum += v[static_cast<size_t>(e * g.c + ci)] * pu[(e * g.c + ci) * g.k + k];
            mk[static_cast<size_t>(e)] = sum;
          }
          for (int64_t i = 0; i < g.m; ++i) {
            const int64_t oh = th * g.m + i;
            if (oh >= g.oh) break;
            for (int64_t j = 0; j < g.m; ++j) {
              const int64_t ow = tw * g.m + j;
              if (ow >= g.ow) break;
              T y = pb ? pb[k] : T(0);
              for (int64_t a = 0; a < t; ++a)
                for (int64_t b = 0; b < t; ++b)
                  y += T(f.AT(i, a) * f.AT(j, b)) * mk[static_cast<size_t>(a * t + b)];
              py[((n * g.k + k) * g.oh + oh) * g.ow + ow] = y;
            }
          }
        }
      }
}

}  // namespace

OpDef make_op_WinogradConv() {
  return OpDef{
      .name = "WinogradConv",
      .doc = "3x3 stride-1 Conv by Winograd F(tile x tile, 3x3): X [N,C,H,W], U [t*t,C,K] "
             "(transformed weights, t = tile + 2), B [K]?",
      .min_inputs = 2,
      .max_inputs = 3,
      .attrs = {{"tile", AttrKind::Int, std::nullopt}, pads_attr()},
      .fusion = FusionClass::FusableOutput,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "X");
        const int64_t m = c.attrs().i("tile");
        if (!winograd::has_tile(m)) c.fail("tile must be 2 or 4, got {}", m);
        const std::vector<int64_t> pads = ints_of_size(c, "pads", 4, 0);
        const TensorType& x = c.input(0);
        const TensorType& u = c.input(1);
        const int64_t t = m + 2;
        if (u.dtype != x.dtype || u.shape.size() != 3 || u.shape[0] != t * t ||
            u.shape[1] != x.shape[1])
          c.fail("U must be {}[{}, {}, K] (the transformed 3x3 weights), got {}",
                 dtype_name(x.dtype), t * t, x.shape[1], u.str());
        if (c.has_input(2) && (c.input(2).dtype != x.dtype || c.input(2).shape != Shape{u.shape[2]}))
          c.fail("B must be {}[{}], got {}", dtype_name(x.dtype), u.shape[2], c.input(2).str());
        const int64_t oh = x.shape[2] + pads[0] + pads[2] - 2;
        const int64_t ow = x.shape[3] + pads[1] + pads[3] - 2;
        if (oh < 1 || ow < 1)
          c.fail("a 3x3 window does not fit X {} with pads [{}]", shape_str(x.shape),
                 fmt::join(pads, ","));
        return {TensorType{x.dtype, {x.shape[0], u.shape[2], oh, ow}}};
      },
      .kernel = NAS_FLOAT_KERNEL(winograd_conv_kernel),
      .not_differentiable = "an inference form of Conv over constant weights "
                            "(passes/winograd.h); a training graph differentiates the Conv",
      // The products (t^2 per tile, input and output channel pair), the transforms as dense
      // t x t matrix products, and the bias.
      .flops = [](const InferContext& c) {
        const WinogradGeometry g = geometry_of(c.attrs(), c.input(0).shape, c.input(1).shape);
        const int64_t tt = g.t * g.t, p = g.tiles();
        const int64_t input = 2 * g.t * tt * p * g.c;
        const int64_t output = (g.m * tt + g.m * g.m * g.t) * p * g.k;
        const int64_t bias = c.has_input(2) ? g.n * g.k * g.oh * g.ow : 0;
        return 2 * (tt * p * g.c * g.k + input + output) + bias;
      },
  };
}

}  // namespace nas::graph
