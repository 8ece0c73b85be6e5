// Lowerings of the pooling ops of compiler/graph/ops/pool.cc: a reduction per output
// element over the window's taps, the divisor of an average in the reduction's epilogue.
#include <limits>

#include "compiler/lower/compute_util.h"
#include "compiler/lower/window_taps.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;

namespace {

ComputeFn pool(bool is_max) {
  return [is_max](const ComputeContext& c) {
    const Shape xs = c.input_shape(0);
    const std::vector<int64_t>& kernel = c.attrs().ints("kernel_shape");
    const graph::ops::Window2d win =
        graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {kernel[0], kernel[1]});
    const Accessor x = c.in(0);
    const float padding = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
    ReducingCompute r;
    r.shape = c.output_shape();
    r.axis_names = {"n", "c", "oh", "ow"};
    r.body = [=](const Indices& v) {
      ReductionAxes axes;
      const Expr kh = axes.add("kh", win.kernel[0]), kw = axes.add("kw", win.kernel[1]);
      const Tap th = window_tap(win, 0, v[2], kh), tw = window_tap(win, 1, v[3], kw);
      Expr xv = x({v[0], v[1], th.index, tw.index});
      if (Expr inside = all_of(th.inside, tw.inside); inside.defined())
        xv = select(inside, xv, f32(padding));
      return is_max ? loop::maximum(xv, axes.list()) : loop::sum(xv, axes.list());
    };
    if (is_max) {
      // The reference gives the lowest finite value for a window of padding only.
      if (has_empty_window(win, 0) || has_empty_window(win, 1))
        r.finish = [](const Expr& reduced, const Indices&) {
          return max(reduced, f32(std::numeric_limits<float>::lowest()));
        };
    } else if (c.attrs().i("count_include_pad") != 0) {
      const double divisor = static_cast<double>(win.kernel[0] * win.kernel[1]);
      r.finish = [divisor](const Expr& reduced, const Indices&) {
        return reduced / f32(divisor);
      };
    } else {
      r.finish = [win](const Expr& reduced, const Indices& v) {
        if (!reaches_padding(win, 0) && !reaches_padding(win, 1))
          return reduced / f32(static_cast<double>(win.kernel[0] * win.kernel[1]));
        return reduced / (valid_tap_count(win, 0, v[2]) * valid_tap_count(win, 1, v[3]));
      };
    }
    return NodeCompute{.reducing = std::move(r)};
  };
}

NodeCompute global_average_pool(const ComputeContext& c) {
  const Shape xs = c.input_shape(0);
  const Accessor x = c.in(0);
  ReducingCompute r;
  r.shape = c.output_shape();
  r.axis_names = {"n", "c", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr h = axes.add("h", xs[2]), w = axes.add("w", xs[3]);
    return loop::sum(x({v[0], v[1], h, w}), axes.list());
  };
  const double spatial = static_cast<double>(xs[2] * xs[3]);
  r.finish = [spatial](const Expr& reduced, const Indices&) { return reduced / f32(spatial); };
  return NodeCompute{.reducing = std::move(r)};
}

}  // namespace

OpLowering lower_op_MaxPool(const graph::OpDef&) {
  return OpLowering{
      .compute = pool(true),
      .refuses = [](const graph::Node& node) -> std::optional<std::string> {
        if (node.outputs.size() != 1) return "MaxPool's Indices output is not supported";
        return std::nullopt;
      },
      .family = always(ScheduleFamily::Pool),
  };
}

OpLowering lower_op_AveragePool(const graph::OpDef&) {
  return OpLowering{.compute = pool(false), .family = always(ScheduleFamily::Pool)};
}

OpLowering lower_op_GlobalAveragePool(const graph::OpDef&) {
  return OpLowering{.compute = global_average_pool, .family = always(ScheduleFamily::Pool)};
}

OpLowering lower_op_MaxPoolGrad(const graph::OpDef& op) { return gradient_op_not_lowered(op); }
OpLowering lower_op_AveragePoolGrad(const graph::OpDef& op) { return gradient_op_not_lowered(op); }
OpLowering lower_op_GlobalAveragePoolGrad(const graph::OpDef& op) {
  return gradient_op_not_lowered(op);
}

}  // namespace nas::lower
