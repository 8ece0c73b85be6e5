// 2-D convolution (NCHW, ONNX Conv with groups, dilation, padding and auto_pad) and its
// gradient ops.
//
// The forward kernel and both gradient kernels walk the same (output, tap) pairs with
// for_each_tap_row, so they agree on the geometry by construction.
#include <fmt/ranges.h>
#include <tbb/parallel_for.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/graph/ops/window_geometry.h"
#include "compiler/support/task_order.h"

namespace nas::graph {
using namespace ops;

namespace {

std::vector<AttrSpec> conv_attrs() {
  return {auto_pad_attr(),
          dilations_attr(),
          {"group", AttrKind::Int, int64_t{1}},
          {"kernel_shape", AttrKind::Ints, std::vector<int64_t>{}},
          pads_attr(),
          strides_attr()};
}

std::vector<AttrSpec> with(std::vector<AttrSpec> attrs, AttrSpec extra) {
  attrs.push_back(std::move(extra));
  return attrs;
}

// Checks the channel/group/kernel_shape consistency of input shape x = [N, C_in, H, W] and
// weight shape w = [C_out, C_in / group, kh, kw] and resolves the window.
Window2d check_conv(const InferContext& c, const Shape& x, const Shape& w) {
  const int64_t group = c.attrs().i("group");
  if (group < 1) c.fail("group must be >= 1, got {}", group);
  if (x[1] % group != 0)
    c.fail("input channels {} (X {}) are not divisible by group {}", x[1], shape_str(x), group);
  if (w[1] != x[1] / group)
    c.fail("W {} must have {} input channels per group (X has {} channels, group {}), got {}",
           shape_str(w), x[1] / group, x[1], group, w[1]);
  if (w[0] % group != 0)
    c.fail("output channels {} (W {}) are not divisible by group {}", w[0], shape_str(w), group);
  const std::vector<int64_t>& kernel_shape = c.attrs().ints("kernel_shape");
  if (!kernel_shape.empty() && kernel_shape != std::vector<int64_t>{w[2], w[3]})
    c.fail("kernel_shape [{}] does not match W {}", fmt::join(kernel_shape, ","), shape_str(w));
  return window_or_fail(c, {x[2], x[3]}, {w[2], w[3]});
}

Shape conv_output_shape(const Shape& x, const Shape& w, const Window2d& win) {
  return {x[0], w[0], win.out[0], win.out[1]};
}

// Visits every multiply-add of the convolution whose input tap is not padding, for batch
// items [n_begin, n_end) and output channels [co_begin, co_end), a row at a time: for each
// (n, co, input channel, kh, kw, output row) it calls f(x_row, w_index, y_row, ow_begin,
// ow_end, stride_w), meaning the taps y[y_row + ow] <- x[x_row + ow * stride_w] * w[w_index]
// for ow in [ow_begin, ow_end). Rows keep the inner loops contiguous, so the kernels stay
// plain loops and still vectorize; callers split n or co across threads so that each output
// element is summed in the same order at any thread count.
template <class F>
void for_each_tap_row(const Shape& x, const Shape& w, const Window2d& win, int64_t group,
                      int64_t n_begin, int64_t n_end, int64_t co_begin, int64_t co_end, F f) {
  const int64_t c_in = x[1], c_out = w[0], c_in_group = w[1];
  const int64_t c_out_group = c_out / group;
  const int64_t stride_w = win.stride[1];
  for (int64_t n = n_begin; n < n_end; ++n)
    for (int64_t co = co_begin; co < co_end; ++co) {
      const int64_t first_ci = (co / c_out_group) * c_in_group;
      for (int64_t cl = 0; cl < c_in_group; ++cl)
        for (int64_t kh = 0; kh < win.kernel[0]; ++kh)
          for (int64_t kw = 0; kw < win.kernel[1]; ++kw) {
            // Output columns whose input column lies inside the image.
            int64_t ow_begin = 0, ow_end = win.out[1];
            while (ow_begin < ow_end && !win.inside(1, win.input_at(1, ow_begin, kw))) ++ow_begin;
            while (ow_end > ow_begin && !win.inside(1, win.input_at(1, ow_end - 1, kw))) --ow_end;
            const int64_t wi = ((co * c_in_group + cl) * w[2] + kh) * w[3] + kw;
            for (int64_t oh = 0; oh < win.out[0]; ++oh) {
              const int64_t ih = win.input_at(0, oh, kh);
              if (!win.inside(0, ih)) continue;
              const int64_t x_row = ((n * c_in + first_ci + cl) * x[2] + ih) * x[3] +
                                    win.input_at(1, 0, kw);
              const int64_t y_row = ((n * c_out + co) * win.out[0] + oh) * win.out[1];
              f(x_row, wi, y_row, ow_begin, ow_end, stride_w);
            }
          }
    }
}

Window2d kernel_window(const Attrs& attrs, const Shape& x, const Shape& w) {
  return window_of(attrs, {x[2], x[3]}, {w[2], w[3]});
}

// Multiply-adds of the convolution, padding taps included (what a dense kernel computes).
int64_t conv_macs(const Shape& x, const Shape& w, const Window2d& win) {
  return x[0] * w[0] * win.out[0] * win.out[1] * w[1] * w[2] * w[3];
}

// tbb::parallel_for over [0, n), telling ThreadSanitizer the order oneTBB keeps.
template <class Body>
void parallel_for_index(int64_t n, const Body& body) {
  TaskOrder order;
  tbb::parallel_for(int64_t{0}, n, order.task(body));
}

template <class T>
void conv_kernel(const KernelContext& c) {  // (X, W, B?) -> Y
  const Tensor& x = c.in(0);
  const Tensor& w = c.in(1);
  Tensor& y = c.out(0);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  const int64_t spatial = y.dim(2) * y.dim(3);
  for (int64_t i = 0; i < y.numel(); ++i)
    py[i] = c.has_input(2) ? c.in(2).data<T>()[(i / spatial) % y.dim(1)] : T(0);
  const Window2d win = kernel_window(c.attrs(), x.shape(), w.shape());
  // Batch items are independent: split them across threads.
  parallel_for_index(x.dim(0), [&](int64_t n) {
    for_each_tap_row(x.shape(), w.shape(), win, c.attrs().i("group"), n, n + 1, 0, w.dim(0),
                     [&](int64_t x_row, int64_t wi, int64_t y_row, int64_t b, int64_t e,
                         int64_t s) {
                       const T wv = pw[wi];
                       for (int64_t ow = b; ow < e; ++ow) py[y_row + ow] += px[x_row + ow * s] * wv;
                     });
  });
}

template <class T>
void conv_grad_input_kernel(const KernelContext& c) {  // (dY, W) -> dX
  const Tensor& dy = c.in(0);
  const Tensor& w = c.in(1);
  Tensor& dx = c.out(0);
  const T* pdy = dy.data<T>();
  const T* pw = w.data<T>();
  T* pdx = dx.data<T>();
  std::fill(pdx, pdx + dx.numel(), T(0));
  const Window2d win = kernel_window(c.attrs(), dx.shape(), w.shape());
  parallel_for_index(dx.dim(0), [&](int64_t n) {
    for_each_tap_row(dx.shape(), w.shape(), win, c.attrs().i("group"), n, n + 1, 0, w.dim(0),
                     [&](int64_t x_row, int64_t wi, int64_t y_row, int64_t b, int64_t e,
                         int64_t s) {
                       const T wv = pw[wi];
                       for (int64_t ow = b; ow < e; ++ow) pdx[x_row + ow * s] += pdy[y_row + ow] * wv;
                     });
  });
}

template <class T>
void conv_grad_weight_kernel(const KernelContext& c) {  // (dY, X) -> dW
  const Tensor& dy = c.in(0);
  const Tensor& x = c.in(1);
  Tensor& dw = c.out(0);
  const T* pdy = dy.data<T>();
  const T* px = x.data<T>();
  T* pdw = dw.data<T>();
  std::fill(pdw, pdw + dw.numel(), T(0));
  const Window2d win = kernel_window(c.attrs(), x.shape(), dw.shape());
  // Each output channel's weights are summed over the whole batch by one thread, in order.
  parallel_for_index(dw.dim(0), [&](int64_t co) {
    for_each_tap_row(x.shape(), dw.shape(), win, c.attrs().i("group"), 0, x.dim(0), co, co + 1,
                     [&](int64_t x_row, int64_t wi, int64_t y_row, int64_t b, int64_t e,
                         int64_t s) {
                       T sum = 0;
                       for (int64_t ow = b; ow < e; ++ow) sum += pdy[y_row + ow] * px[x_row + ow * s];
                       pdw[wi] += sum;
                     });
  });
}

template <class T>
void conv_grad_bias_kernel(const KernelContext& c) {  // dY -> dB, summed over N, H, W
  const Tensor& dy = c.in(0);
  Tensor& db = c.out(0);
  const T* pdy = dy.data<T>();
  T* pdb = db.data<T>();
  std::fill(pdb, pdb + db.numel(), T(0));
  const int64_t spatial = dy.dim(2) * dy.dim(3);
  for (int64_t i = 0; i < dy.numel(); ++i) pdb[(i / spatial) % dy.dim(1)] += pdy[i];
}

// A shape given as an attribute of a gradient op (the forward input's or weight's shape).
Shape shape_attr(const InferContext& c, const std::string& name) {
  return ints_of_size(c, name, 4, 1);
}

// Checks that dY (input 0 of a gradient op) has the shape the forward conv gives.
void expect_conv_dy(const InferContext& c, const Shape& x, const Shape& w, const Window2d& win) {
  expect_nchw(c, 0, "dY");
  const Shape expected = conv_output_shape(x, w, win);
  if (c.input(0).shape != expected)
    c.fail("dY must have the forward output's shape {}, got {}", shape_str(expected),
           shape_str(c.input(0).shape));
}

}  // namespace

OpDef make_op_Conv() {
  return OpDef{
      .name = "Conv",
      .doc = "2-D convolution, NCHW: X [N,C_in,H,W], W [C_out,C_in/group,kh,kw], B [C_out]?",
      .min_inputs = 2,
      .max_inputs = 3,
      .attrs = conv_attrs(),
      .fusion = FusionClass::FusableOutput,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "X");
        expect_nchw(c, 1, "W");
        const TensorType& x = c.input(0);
        const TensorType& w = c.input(1);
        if (w.dtype != x.dtype) c.fail("W is {} but X is {}", w.str(), x.str());
        if (c.has_input(2)) {
          const TensorType& b = c.input(2);
          if (b.dtype != x.dtype || b.shape != Shape{w.shape[0]})
            c.fail("B must be {}[{}] (one per output channel), got {}", dtype_name(x.dtype),
                   w.shape[0], b.str());
        }
        const Window2d win = check_conv(c, x.shape, w.shape);
        return {TensorType{x.dtype, conv_output_shape(x.shape, w.shape, win)}};
      },
      .kernel = NAS_FLOAT_KERNEL(conv_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> grads(g.node.inputs.size(), kNoValue);
        if (g.wants_grad(0)) {
          Attrs attrs = g.node.attrs;
          attrs.set("input_shape", g.type(g.x(0)).shape);
          grads[0] = g.add("ConvGradInput", {g.dy(), g.x(1)}, attrs);
        }
        if (g.wants_grad(1)) {
          Attrs attrs = g.node.attrs;
          attrs.set("weight_shape", g.type(g.x(1)).shape);
          grads[1] = g.add("ConvGradWeight", {g.dy(), g.x(0)}, attrs);
        }
        if (g.wants_grad(2)) grads[2] = g.add("ConvGradBias", {g.dy()});
        return grads;
      },
      // 2 per multiply-add, padding taps included, plus 1 per output for the bias.
      .flops = [](const InferContext& c) {
        const Shape& x = c.input(0).shape;
        const Shape& w = c.input(1).shape;
        const Window2d win = window_of(c.attrs(), {x[2], x[3]}, {w[2], w[3]});
        const int64_t bias = c.has_input(2) ? numel(conv_output_shape(x, w, win)) : 0;
        return 2 * conv_macs(x, w, win) + bias;
      },
      .onnx = {.op_type = "Conv", .since_opset = 11},
  };
}

OpDef make_op_ConvGradInput() {
  return OpDef{
      .name = "ConvGradInput",
      .doc = "dX of Conv; inputs (dY, W), attrs Conv's plus the forward input_shape",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = with(conv_attrs(), {"input_shape", AttrKind::Ints, std::nullopt}),
      // dX takes the gradient of the activation before the convolution (a ReluGrad) as
      // its epilogue, as Conv takes the activation after it.
      .fusion = FusionClass::FusableOutput,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 1, "W");
        const Shape x = shape_attr(c, "input_shape");
        const Shape& w = c.input(1).shape;
        expect_conv_dy(c, x, w, check_conv(c, x, w));
        return {TensorType{c.input(0).dtype, x}};
      },
      .kernel = NAS_FLOAT_KERNEL(conv_grad_input_kernel),
      .gradient_of = "Conv",
      .flops = [](const InferContext& c) {
        const Shape& x = c.attrs().ints("input_shape");
        const Shape& w = c.input(1).shape;
        return 2 * conv_macs(x, w, window_of(c.attrs(), {x[2], x[3]}, {w[2], w[3]}));
      },
  };
}

OpDef make_op_ConvGradWeight() {
  return OpDef{
      .name = "ConvGradWeight",
      .doc = "dW of Conv; inputs (dY, X), attrs Conv's plus the forward weight_shape",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = with(conv_attrs(), {"weight_shape", AttrKind::Ints, std::nullopt}),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 1, "X");
        const Shape& x = c.input(1).shape;
        const Shape w = shape_attr(c, "weight_shape");
        expect_conv_dy(c, x, w, check_conv(c, x, w));
        return {TensorType{c.input(0).dtype, w}};
      },
      .kernel = NAS_FLOAT_KERNEL(conv_grad_weight_kernel),
      .gradient_of = "Conv",
      .flops = [](const InferContext& c) {
        const Shape& x = c.input(1).shape;
        const Shape& w = c.attrs().ints("weight_shape");
        return 2 * conv_macs(x, w, window_of(c.attrs(), {x[2], x[3]}, {w[2], w[3]}));
      },
  };
}

OpDef make_op_ConvGradBias() {
  return OpDef{
      .name = "ConvGradBias",
      .doc = "dB of Conv: dY [N,C,H,W] summed over N, H, W to [C]",
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_nchw(c, 0, "dY");
        return {TensorType{c.input(0).dtype, {c.input(0).shape[1]}}};
      },
      .kernel = NAS_FLOAT_KERNEL(conv_grad_bias_kernel),
      .gradient_of = "Conv",
      .flops = [](const InferContext& c) { return c.input(0).numel(); },
  };
}

}  // namespace nas::graph
