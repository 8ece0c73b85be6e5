// 2-D pooling over NCHW (ONNX MaxPool, AveragePool, GlobalAveragePool) and gradient ops.
//
// MaxPool pads with -inf (padding never wins) and its gradient routes dY to the first
// maximum of each window in row-major tap order. AveragePool divides by the number of
// valid taps, or with count_include_pad by the whole kernel size, also for a ceil_mode
// window that reaches past the end padding (as ONNX Runtime does; PyTorch clips such a
// window to the padded input). Only MaxPool's first output is supported (no Indices).
#include <limits>

#include <fmt/ranges.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/graph/ops/window_geometry.h"

namespace nas::graph {
using namespace ops;

namespace {

std::vector<AttrSpec> max_pool_attrs() {
  return {auto_pad_attr(), ceil_mode_attr(), dilations_attr(),
          {"kernel_shape", AttrKind::Ints, std::nullopt}, pads_attr(), strides_attr()};
}

std::vector<AttrSpec> average_pool_attrs() {
  return {auto_pad_attr(), ceil_mode_attr(), {"count_include_pad", AttrKind::Int, int64_t{0}},
          {"kernel_shape", AttrKind::Ints, std::nullopt}, pads_attr(), strides_attr()};
}

std::vector<AttrSpec> with_input_shape(std::vector<AttrSpec> attrs) {
  attrs.push_back({"input_shape", AttrKind::Ints, std::nullopt});
  return attrs;
}

std::array<int64_t, 2> kernel_of(const Attrs& attrs) {
  const std::vector<int64_t>& k = attrs.ints("kernel_shape");
  return {k[0], k[1]};
}

// Checks the pooling attributes for an input of shape x and resolves the window. Like ONNX
// Runtime, padding must be smaller than the kernel, so no window lies in padding alone.
Window2d pool_window(const InferContext& c, const Shape& x) {
  const std::vector<int64_t> kernel = ints_of_size(c, "kernel_shape", 2, 1);
  const Window2d win = window_or_fail(c, {x[2], x[3]}, {kernel[0], kernel[1]});
  for (int a = 0; a < 2; ++a)
    if (win.pad_begin[a] >= kernel[a] || win.pad_end[a] >= kernel[a])
      c.fail("pads must be smaller than kernel_shape [{}], got pads [{},{},{},{}]",
             fmt::join(kernel, ","), win.pad_begin[0], win.pad_begin[1], win.pad_end[0],
             win.pad_end[1]);
  if (c.attrs().has("count_include_pad")) {
    const int64_t v = c.attrs().i("count_include_pad");
    if (v != 0 && v != 1) c.fail("count_include_pad must be 0 or 1, got {}", v);
  }
  return win;
}

Shape pool_output_shape(const Shape& x, const Window2d& win) {
  return {x[0], x[1], win.out[0], win.out[1]};
}

// Calls f(y_index, oh, ow, taps) for every output of a pooling over x, where taps are the
// input indices of the window's non-padding taps in row-major order.
template <class F>
void for_each_window(const Shape& x, const Window2d& win, F f) {
  std::vector<int64_t> taps;
  const int64_t planes = x[0] * x[1];
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < win.out[0]; ++oh)
      for (int64_t ow = 0; ow < win.out[1]; ++ow) {
        taps.clear();
        for (int64_t kh = 0; kh < win.kernel[0]; ++kh) {
          const int64_t ih = win.input_at(0, oh, kh);
          if (!win.inside(0, ih)) continue;
          for (int64_t kw = 0; kw < win.kernel[1]; ++kw) {
            const int64_t iw = win.input_at(1, ow, kw);
            if (win.inside(1, iw)) taps.push_back((p * x[2] + ih) * x[3] + iw);
          }
        }
        f((p * win.out[0] + oh) * win.out[1] + ow, oh, ow, taps);
      }
}

// The first maximum among the taps; -1 when the window sees only padding (possible only
// with dilation), whose output is then the lowest finite value.
template <class T>
int64_t first_argmax(const T* x, const std::vector<int64_t>& taps) {
  int64_t best = -1;
  for (int64_t i : taps)
    if (best < 0 || x[i] > x[best]) best = i;
  return best;
}

// AveragePool's divisor for the window at (oh, ow).
int64_t average_divisor(const Attrs& attrs, const Window2d& win, int64_t oh, int64_t ow,
                        size_t valid_taps) {
  if (attrs.i("count_include_pad") == 0) return static_cast<int64_t>(valid_taps);
  return win.kernel[0] * win.kernel[1];
}

template <class T>
void max_pool_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const T* px = x.data<T>();
  T* py = c.out(0).data<T>();
  const Window2d win = window_of(c.attrs(), {x.dim(2), x.dim(3)}, kernel_of(c.attrs()));
  for_each_window(x.shape(), win, [&](int64_t yi, int64_t, int64_t, const auto& taps) {
    const int64_t best = first_argmax(px, taps);
    py[yi] = best < 0 ? std::numeric_limits<T>::lowest() : px[best];
  });
}

template <class T>
void max_pool_grad_kernel(const KernelContext& c) {  // (dY, X) -> dX
  const T* pdy = c.in(0).data<T>();
  const Tensor& x = c.in(1);
  const T* px = x.data<T>();
  Tensor& dx = c.out(0);
  T* pdx = dx.data<T>();
  std::fill(pdx, pdx + dx.numel(), T(0));
  const Window2d win = window_of(c.attrs(), {x.dim(2), x.dim(3)}, kernel_of(c.attrs()));
  for_each_window(x.shape(), win, [&](int64_t yi, int64_t, int64_t, const auto& taps) {
    const int64_t best = first_argmax(px, taps);
    if (best >= 0) pdx[best] += pdy[yi];
  });
}

template <class T>
void average_pool_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const T* px = x.data<T>();
  T* py = c.out(0).data<T>();
  const Window2d win = window_of(c.attrs(), {x.dim(2), x.dim(3)}, kernel_of(c.attrs()));
  for_each_window(x.shape(), win, [&](int64_t yi, int64_t oh, int64_t ow, const auto& taps) {
    T sum = T(0);
    for (int64_t i : taps) sum += px[i];
    py[yi] = sum / T(average_divisor(c.attrs(), win, oh, ow, taps.size()));
  });
}

template <class T>
void average_pool_grad_kernel(const KernelContext& c) {  // dY -> dX
  const T* pdy = c.in(0).data<T>();
  Tensor& dx = c.out(0);
  T* pdx = dx.data<T>();
  std::fill(pdx, pdx + dx.numel(), T(0));
  const Window2d win = window_of(c.attrs(), {dx.dim(2), dx.dim(3)}, kernel_of(c.attrs()));
  for_each_window(dx.shape(), win, [&](int64_t yi, int64_t oh, int64_t ow, const auto& taps) {
    const T share = pdy[yi] / T(average_divisor(c.attrs(), win, oh, ow, taps.size()));
    for (int64_t i : taps) pdx[i] += share;
  });
}

template <class T>
void global_average_pool_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const T* px = x.data<T>();
  T* py = c.out(0).data<T>();
  const int64_t spatial = x.dim(2) * x.dim(3);
  for (int64_t p = 0; p < x.dim(0) * x.dim(1); ++p) {
    T sum = T(0);
    for (int64_t i = 0; i < spatial; ++i) sum += px[p * spatial + i];
    py[p] = sum / T(spatial);
  }
}

template <class T>
void global_average_pool_grad_kernel(const KernelContext& c) {  // dY [N,C,1,1] -> dX
  const T* pdy = c.in(0).data<T>();
  Tensor& dx = c.out(0);
  T* pdx = dx.data<T>();
  const int64_t spatial = dx.dim(2) * dx.dim(3);
  for (int64_t i = 0; i < dx.numel(); ++i) pdx[i] = pdy[i / spatial] / T(spatial);
}

// The gradient ops' dY (input 0) must have the forward output's shape.
void expect_pool_dy(const InferContext& c, const Shape& expected) {
  expect_nchw(c, 0, "dY");
  if (c.input(0).shape != expected)
    c.fail("dY must have the forward output's shape {}, got {}", shape_str(expected),
           shape_str(c.input(0).shape));
}

int64_t window_flops(const InferContext& c, const Shape& x, int64_t per_output) {
  const Window2d win = window_of(c.attrs(), {x[2], x[3]}, kernel_of(c.attrs()));
  return numel(pool_output_shape(x, win)) * (win.kernel[0] * win.kernel[1] + per_output);
}

}  // namespace

OpDef make_op_MaxPool() {
  return OpDef{
      .name = "MaxPool",
      .doc = "2-D max pooling, NCHW; padding is -inf; only the first output (no Indices)",
      .attrs = max_pool_attrs(),
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "X");
        const TensorType& x = c.input(0);
        return {TensorType{x.dtype, pool_output_shape(x.shape, pool_window(c, x.shape))}};
      },
      .kernel = NAS_FLOAT_KERNEL(max_pool_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("MaxPoolGrad", {g.dy(), g.x(0)}, g.node.attrs)};
      },
      // One comparison per tap, padding taps included.
      .flops = [](const InferContext& c) { return window_flops(c, c.input(0).shape, 0); },
      // storage_order only changes the Indices output, which is not supported.
      .onnx = {.op_type = "MaxPool", .since_opset = 12, .ignored_attrs = {"storage_order"}},
  };
}

OpDef make_op_AveragePool() {
  return OpDef{
      .name = "AveragePool",
      .doc = "2-D average pooling, NCHW (count_include_pad: padding counts in the divisor)",
      .attrs = average_pool_attrs(),
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "X");
        const TensorType& x = c.input(0);
        return {TensorType{x.dtype, pool_output_shape(x.shape, pool_window(c, x.shape))}};
      },
      .kernel = NAS_FLOAT_KERNEL(average_pool_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        Attrs attrs = g.node.attrs;
        attrs.set("input_shape", g.type(g.x(0)).shape);
        return {g.add("AveragePoolGrad", {g.dy()}, attrs)};
      },
      // One add per tap and one division per output.
      .flops = [](const InferContext& c) { return window_flops(c, c.input(0).shape, 1); },
      .onnx = {.op_type = "AveragePool", .since_opset = 11},
  };
}

OpDef make_op_GlobalAveragePool() {
  return OpDef{
      .name = "GlobalAveragePool",
      .doc = "mean over H and W: [N,C,H,W] -> [N,C,1,1]",
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "X");
        const TensorType& x = c.input(0);
        return {TensorType{x.dtype, {x.shape[0], x.shape[1], 1, 1}}};
      },
      .kernel = NAS_FLOAT_KERNEL(global_average_pool_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("GlobalAveragePoolGrad", {g.dy()},
                      {{"input_shape", g.type(g.x(0)).shape}})};
      },
      // One add per input element and one division per output.
      .flops = [](const InferContext& c) {
        const Shape& x = c.input(0).shape;
        return numel(x) + x[0] * x[1];
      },
      .onnx = {.op_type = "GlobalAveragePool", .since_opset = 1},
  };
}

OpDef make_op_MaxPoolGrad() {
  return OpDef{
      .name = "MaxPoolGrad",
      .doc = "dX of MaxPool: dY routed to the first maximum of each window; inputs (dY, X)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = max_pool_attrs(),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 1, "X");
        const TensorType& x = c.input(1);
        expect_pool_dy(c, pool_output_shape(x.shape, pool_window(c, x.shape)));
        return {x};
      },
      .kernel = NAS_FLOAT_KERNEL(max_pool_grad_kernel),
      .gradient_of = "MaxPool",
      // The forward comparisons again, and one add per output.
      .flops = [](const InferContext& c) { return window_flops(c, c.input(1).shape, 1); },
  };
}

OpDef make_op_AveragePoolGrad() {
  return OpDef{
      .name = "AveragePoolGrad",
      .doc = "dX of AveragePool; attrs AveragePool's plus the forward input_shape",
      .attrs = with_input_shape(average_pool_attrs()),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const Shape x = ints_of_size(c, "input_shape", 4, 1);
        expect_pool_dy(c, pool_output_shape(x, pool_window(c, x)));
        return {TensorType{c.input(0).dtype, x}};
      },
      .kernel = NAS_FLOAT_KERNEL(average_pool_grad_kernel),
      .gradient_of = "AveragePool",
      .flops = [](const InferContext& c) {
        return window_flops(c, c.attrs().ints("input_shape"), 1);
      },
  };
}

OpDef make_op_GlobalAveragePoolGrad() {
  return OpDef{
      .name = "GlobalAveragePoolGrad",
      .doc = "dX of GlobalAveragePool: dY / (H*W) broadcast to input_shape",
      .attrs = {{"input_shape", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Broadcast,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const Shape x = ints_of_size(c, "input_shape", 4, 1);
        expect_pool_dy(c, {x[0], x[1], 1, 1});
        return {TensorType{c.input(0).dtype, x}};
      },
      .kernel = NAS_FLOAT_KERNEL(global_average_pool_grad_kernel),
      .gradient_of = "GlobalAveragePool",
      .flops = [](const InferContext& c) { return numel(c.attrs().ints("input_shape")); },
  };
}

}  // namespace nas::graph
