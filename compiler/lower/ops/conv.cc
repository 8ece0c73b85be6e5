// Lowering of Conv (compiler/graph/ops/conv.cc) as a reduction per output element, in the
// order the reference accumulates: input channel, kernel row, kernel column; over an input
// stored NCHW[x]c, channel blocks, kernel row and column, then the lanes. The bias is the
// reduction's own epilogue.
#include "compiler/lower/compute_util.h"
#include "compiler/lower/window_taps.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;

namespace {

bool is_depthwise(const graph::Node& node, const Shape& weights) {
  return weights[1] == 1 && node.attrs.i("group") > 1;
}

// With its input stored NCHW[x]c (input_block x > 1), a convolution of one group sums the
// input channels as blocks of x (outermost) and lanes of a block (innermost), so each
// tap reads x adjacent channels.
NodeCompute conv(const ComputeContext& c) {
  const Shape xs = c.input_shape(0), ws = c.input_shape(1);
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {ws[2], ws[3]});
  const int64_t group = c.attrs().i("group"), per_group_in = ws[1];
  const int64_t per_group_out = ws[0] / group;
  const int64_t input_block = c.channel_block(0);
  const Accessor x = c.in(0), w = c.in(1);
  const Accessor b = c.has_input(2) ? c.in(2) : Accessor();
  ReducingCompute r;
  r.shape = c.output_shape();
  r.axis_names = {"n", "co", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const bool by_blocks = group == 1 && input_block > 1 && per_group_in % input_block == 0;
    const Expr ci_outer = by_blocks ? axes.add("cib", per_group_in / input_block)
                                    : axes.add("ci", per_group_in);
    const Expr kh = axes.add("kh", ws[2]), kw = axes.add("kw", ws[3]);
    const Expr ci = by_blocks ? times(ci_outer, input_block) + axes.add("cil", input_block)
                              : ci_outer;
    Expr channel = ci;
    if (group > 1) {
      const Expr first = times(per_group_out == 1 ? Expr(v[1]) : v[1] / per_group_out, per_group_in);
      channel = per_group_in == 1 ? first : first + ci;
    }
    const Tap th = window_tap(win, 0, v[2], kh), tw = window_tap(win, 1, v[3], kw);
    Expr xv = x({v[0], channel, th.index, tw.index});
    if (Expr inside = all_of(th.inside, tw.inside); inside.defined())
      xv = select(inside, xv, f32(0));
    return loop::sum(xv * w({v[1], ci, kh, kw}), axes.list());
  };
  if (b) r.finish = [b](const Expr& reduced, const Indices& v) { return reduced + b({v[1]}); };
  return NodeCompute{.reducing = std::move(r)};
}

}  // namespace

OpLowering lower_op_Conv(const graph::OpDef&) {
  return OpLowering{
      .compute = conv,
      .family =
          [](const graph::Graph& g, const graph::Node& node) {
            return is_depthwise(node, g.type(node.inputs[1]).shape)
                       ? ScheduleFamily::DepthwiseConv2d
                       : ScheduleFamily::Conv2d;
          },
      .packed_rows = [](const graph::Node&) -> std::optional<size_t> { return 1; },
  };
}

OpLowering lower_op_ConvGradInput(const graph::OpDef& op) { return gradient_op_not_lowered(op); }
OpLowering lower_op_ConvGradWeight(const graph::OpDef& op) { return gradient_op_not_lowered(op); }
OpLowering lower_op_ConvGradBias(const graph::OpDef& op) { return gradient_op_not_lowered(op); }

}  // namespace nas::lower
