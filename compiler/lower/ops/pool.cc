// Lowerings of the pooling ops of compiler/graph/ops/pool.cc: a reduction per output
// element over the window's taps, the divisor of an average in the reduction's epilogue.
// Their gradient ops: GlobalAveragePoolGrad is a broadcast (Injective); AveragePoolGrad and
// MaxPoolGrad gather, per dX element, over the windows that cover it (gather_tap, as
// ConvGradInput does), and MaxPoolGrad first computes each window's maximum and its first
// maximal tap as stages.
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

// Tap k of a kernel of `kernel` taps counted from its end: the gathers below walk the
// taps backwards, so the windows that cover an input element come in ascending order (a
// window further on reaches the element with an earlier tap), the order in which the
// reference kernels accumulate into it.
Expr backwards(const Expr& k, int64_t kernel) {
  return kernel == 1 ? i32(0) : i32(kernel - 1) - k;
}

// A tap of a window covering input element v, as reduction axes kh, kw over the kernel
// (backwards) and where that window lies along each axis.
struct CoveringTap {
  Expr kh, kw;
  GatherTap h, w;
};
CoveringTap covering_tap(ReductionAxes& axes, const graph::ops::Window2d& win, const Indices& v) {
  const Expr kh = backwards(axes.add("kh", win.kernel[0]), win.kernel[0]);
  const Expr kw = backwards(axes.add("kw", win.kernel[1]), win.kernel[1]);
  return {kh, kw, gather_tap(win, 0, v[2], kh), gather_tap(win, 1, v[3], kw)};
}

// dX = AveragePoolGrad(dY), dX of the attribute input_shape. The reference adds, window
// by window (n, c, oh, ow ascending), dY / divisor to each non-padding tap of the window,
// with AveragePool's divisor (the whole kernel with count_include_pad, else the window's
// taps inside the input); here each dX element gathers those shares as a reduction over
// the taps (backwards: the same windows in the same order), invalid taps adding 0.
NodeCompute average_pool_grad(const ComputeContext& c) {
  const Shape xs = c.output_shape();
  const std::vector<int64_t>& kernel = c.attrs().ints("kernel_shape");
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {kernel[0], kernel[1]});
  const bool include_pad = c.attrs().i("count_include_pad") != 0;
  const Accessor dy = c.in(0);
  ReducingCompute r;
  r.shape = xs;
  r.axis_names = {"n", "c", "ih", "iw"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const CoveringTap t = covering_tap(axes, win, v);
    Expr divisor = f32(static_cast<double>(win.kernel[0] * win.kernel[1]));
    if (!include_pad && (reaches_padding(win, 0) || reaches_padding(win, 1)))
      divisor = valid_tap_count(win, 0, t.h.index) * valid_tap_count(win, 1, t.w.index);
    Expr share = dy({v[0], v[1], t.h.index, t.w.index}) / divisor;
    if (Expr valid = all_of(t.h.valid, t.w.valid); valid.defined())
      share = select(valid, share, f32(0));
    return loop::sum(share, axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

// dX = MaxPoolGrad(dY, X). The reference adds each window's dY to the first maximum among
// its non-padding taps (row-major tap order; a window of padding only adds nothing). Two
// stages over the windows: MaxPool's maximum, then the first tap (kh * KW + kw, as an f32)
// that lies inside and equals it (a minimum; KH * KW when none). Each dX element then
// gathers, over the windows that cover it (backwards, so in the reference's order), the
// dY of those whose first maximal tap is the one reaching it. (A NaN input is not matched
// as the reference's comparisons would: NaN is never equal to the maximum.)
NodeCompute max_pool_grad(const ComputeContext& c) {
  const Shape ys = c.input_shape(0), xs = c.input_shape(1);
  const std::vector<int64_t>& kernel = c.attrs().ints("kernel_shape");
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {kernel[0], kernel[1]});
  const Accessor dy = c.in(0), x = c.in(1);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const loop::ComputeOptions options{.axis_names = {"n", "c", "oh", "ow"}};
  const double taps = static_cast<double>(win.kernel[0] * win.kernel[1]);
  // The tap at (kh, kw) of the window at v: its value (under `inside`) and its number.
  struct WindowTap {
    Expr value, inside, number;
  };
  auto window_tap_at = [=](const std::vector<loop::Var>& v, const Expr& kh, const Expr& kw) {
    const Tap th = window_tap(win, 0, v[2], kh), tw = window_tap(win, 1, v[3], kw);
    return WindowTap{x({v[0], v[1], th.index, tw.index}), all_of(th.inside, tw.inside),
                     times(kh, win.kernel[1]) + kw};
  };
  const loop::Tensor max_stage = loop::compute(
      c.namer(base + "_max"), ys,
      [&](const std::vector<loop::Var>& v) {
        ReductionAxes axes;
        const Expr kh = axes.add("kh", win.kernel[0]), kw = axes.add("kw", win.kernel[1]);
        const WindowTap t = window_tap_at(v, kh, kw);
        Expr value = t.value;
        if (t.inside.defined())
          value = select(t.inside, value, f32(-std::numeric_limits<float>::infinity()));
        return loop::maximum(value, axes.list());
      },
      options);
  const loop::Tensor first_stage = loop::compute(
      c.namer(base + "_first"), ys,
      [&](const std::vector<loop::Var>& v) {
        ReductionAxes axes;
        const Expr kh = axes.add("kh", win.kernel[0]), kw = axes.add("kw", win.kernel[1]);
        const WindowTap t = window_tap_at(v, kh, kw);
        const Expr is_max = all_of(t.inside, eq(t.value, max_stage(exprs(v))));
        return loop::minimum(
            select(is_max, loop::cast(loop::Type::f32(), t.number), f32(taps)), axes.list());
      },
      options);
  ReducingCompute r;
  r.shape = xs;
  r.axis_names = {"n", "c", "ih", "iw"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const CoveringTap t = covering_tap(axes, win, v);
    const Indices at = {v[0], v[1], t.h.index, t.w.index};
    const Expr number = loop::cast(loop::Type::f32(), times(t.kh, win.kernel[1]) + t.kw);
    const Expr routed = all_of(all_of(t.h.valid, t.w.valid), eq(first_stage(at), number));
    return loop::sum(select(routed, dy(at), f32(0)), axes.list());
  };
  NodeCompute result{.reducing = std::move(r)};
  result.stages = {max_stage, first_stage};
  return result;
}

// dX = GlobalAveragePoolGrad(dY): dY[n, c, 0, 0] / (H * W) at every (h, w), as the
// reference writes it.
NodeCompute global_average_pool_grad(const ComputeContext& c) {
  const Shape xs = c.output_shape();
  const double spatial = static_cast<double>(xs[2] * xs[3]);
  const Accessor dy = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& v) {
    return dy({v[0], v[1], i32(0), i32(0)}) / f32(spatial);
  }}};
}

}  // namespace

OpLowering lower_op_MaxPool(const graph::OpDef&) {
  return OpLowering{
      .compute = pool(true),
      .refuses = [](const graph::Graph&, const graph::Node& node) -> std::optional<std::string> {
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

// The gathering gradient ops are of family Reduce: the generic reduction schedule is
// correct for them but not fast (every tap of a strided window is walked under a Select;
// MaxPoolGrad recomputes the forward maximum). Not Pool's schedule, which assumes the
// forward pooling's loop names. Their fusion classes (graph/ops/pool.cc) stay as they are:
// Opaque for MaxPoolGrad and AveragePoolGrad anchors a group of its own, which is all a
// reduction needs; GlobalAveragePoolGrad is a Broadcast, which is what it is.
OpLowering lower_op_MaxPoolGrad(const graph::OpDef&) {
  return OpLowering{.compute = max_pool_grad, .family = always(ScheduleFamily::Reduce)};
}
OpLowering lower_op_AveragePoolGrad(const graph::OpDef&) {
  return OpLowering{.compute = average_pool_grad, .family = always(ScheduleFamily::Reduce)};
}
OpLowering lower_op_GlobalAveragePoolGrad(const graph::OpDef&) {
  return OpLowering{.compute = global_average_pool_grad,
                    .family = always(ScheduleFamily::Injective)};
}

}  // namespace nas::lower
