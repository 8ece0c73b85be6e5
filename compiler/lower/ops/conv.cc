// Lowering of Conv (compiler/graph/ops/conv.cc) as a reduction per output element, in the
// order the reference accumulates: input channel, kernel row, kernel column; over an input
// stored NCHW[x]c, channel blocks, kernel row and column, then the lanes. The bias is the
// reduction's own epilogue. Its gradient ops ConvGradInput, ConvGradWeight and ConvGradBias
// are reductions too, each in its reference kernel's order of terms.
#include "compiler/lower/compute_util.h"
#include "compiler/lower/window_taps.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;

namespace {

bool is_depthwise(const graph::Node& node, const Shape& weights) {
  return weights[1] == 1 && node.attrs.i("group") > 1;
}

// NCHW `of` of `shape` read through a stage that transposes it to [N, H, W, C] (appended to
// `stages`, named after the node's first output and `suffix`): where a schedule takes a
// vector of channels of one pixel, that vector is then one load instead of a gather.
Accessor channels_last(const ComputeContext& c, std::vector<loop::Tensor>& stages,
                       const Accessor& of, const Shape& shape, const std::string& suffix) {
  const loop::Tensor t = loop::compute(
      c.namer(c.graph.value(c.node.outputs[0]).name + suffix),
      {shape[0], shape[2], shape[3], shape[1]},
      [&](const std::vector<loop::Var>& v) { return of({v[0], v[3], v[1], v[2]}); },
      {.axis_names = {"n", "h", "w", "c"}});
  stages.push_back(t);
  return [t](const Indices& idx) { return t({idx[0], idx[2], idx[3], idx[1]}); };
}

// Output rows shorter than this make a batched depthwise convolution over an NCHW input
// read it channels-last, so that its schedule takes vectors of channels (Conv2d's nest)
// instead of vectors of a row's few columns. Measured in a training step (Xeon, AVX-512),
// 7x7 stride 2 on 128 channels at 14x14, batch 64: 4.7 ms -> 1.4 ms; 32 is a judgment.
constexpr int64_t kShortRow = 32;

// With its input stored NCHW[x]c (input_block x > 1), a convolution whose groups hold whole
// blocks (one group, or ResNeXt's groups widened to a vector's channels,
// passes/widen_groups.h) sums each group's input channels as blocks of x (outermost) and
// lanes of a block (innermost), so each tap reads x adjacent channels without dividing its
// index (1024 channels in groups of 32 at 7x7: 0.51 -> 0.39 ms on the Xeon).
NodeCompute conv(const ComputeContext& c) {
  const Shape xs = c.input_shape(0), ws = c.input_shape(1);
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {ws[2], ws[3]});
  const int64_t group = c.attrs().i("group"), per_group_in = ws[1];
  const int64_t per_group_out = ws[0] / group;
  const int64_t input_block = c.channel_block(0);
  NodeCompute result;
  Accessor x = c.in(0);
  const Accessor w = c.in(1);
  const Accessor b = c.has_input(2) ? c.in(2) : Accessor();
  ReducingCompute r;
  r.shape = c.output_shape();
  if (is_depthwise(c.node, ws) && input_block == 1 && xs[0] > 1 && r.shape[3] < kShortRow)
    x = channels_last(c, result.stages, x, xs, "_x");
  r.axis_names = {"n", "co", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const bool by_blocks = input_block > 1 && per_group_in % input_block == 0;
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
  result.reducing = std::move(r);
  return result;
}

// The taps reaching input index i along an axis of ConvGradInput's window, as a reduction
// axis named `name`: every tap under a Select (gather_tap), or only those of i's stride
// phase (phase_tap) for a strided window without dilation.
struct InputTap {
  Expr k, index, valid;
};
InputTap input_tap(ReductionAxes& axes, const graph::ops::Window2d& win, int axis,
                   const Expr& i, const std::string& name) {
  if (win.stride[axis] > 1 && win.dilation[axis] == 1) {
    const PhaseTap t = phase_tap(win, axis, i, axes.add(name, phase_taps(win, axis)));
    return {t.k, t.index, t.valid};
  }
  const Expr k = axes.add(name, win.kernel[axis]);
  const GatherTap t = gather_tap(win, axis, i, k);
  return {k, t.index, t.valid};
}

// dX = ConvGradInput(dY, W), dX of the forward input_shape. The reference scatters
// dY[n, co, oh, ow] * W[co, cl, kh, kw] into dX for every (co, cl, kh, kw, oh, ow) whose tap
// lies inside the input, so one dX element receives its terms in the order output channel
// (of its group), kernel row, kernel column: gathered here as a reduction over (co, kh, kw).
// Along an axis, tap k reaches input i from output o = (i + pad_begin - k * dilation) /
// stride when that is integral and inside [0, out); other taps read a clamped dY index
// under a Select, as Conv reads its padding (gather_tap, lower/window_taps.h). A strided
// axis without dilation walks only the taps of i's stride phase (phase_tap): the same
// nonzero terms in the same order, a quarter of the multiply-adds at stride 2 in 2-d.
NodeCompute conv_grad_input(const ComputeContext& c) {
  const Shape ws = c.input_shape(1), xs = c.output_shape();
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {ws[2], ws[3]});
  const int64_t group = c.attrs().i("group"), per_group_in = ws[1];
  const int64_t per_group_out = ws[0] / group;
  Accessor dy = c.in(0), w = c.in(1);
  NodeCompute result;
  // A depthwise one reads dY and W at its own channel: W channels-last ([KH, KW, C]) and
  // dY too ([N, OH, OW, C]) unless stored NCHW[x]c, so the vector of input channels reads
  // one vector of each.
  if (per_group_in == 1 && per_group_out == 1) {
    if (c.channel_block(0) == 1) dy = channels_last(c, result.stages, dy, c.input_shape(0), "_dy");
    const Accessor weights = c.in(1);
    const loop::Tensor transposed = loop::compute(
        c.namer(c.graph.value(c.node.outputs[0]).name + "_w"), {ws[2], ws[3], ws[0]},
        [&](const std::vector<loop::Var>& v) { return weights({v[2], i32(0), v[0], v[1]}); },
        {.axis_names = {"kh", "kw", "c"}});
    result.stages.push_back(transposed);
    w = [transposed](const Indices& idx) { return transposed({idx[2], idx[3], idx[0]}); };
  }
  if (group == 1) {
    // The schedule reads a vector of input channels per tap: the weights transposed to
    // [CO, KH, KW, CI] by a stage first, so that vector is contiguous.
    const Accessor weights = c.in(1);
    const loop::Tensor transposed = loop::compute(
        c.namer(c.graph.value(c.node.outputs[0]).name + "_w"), {ws[0], ws[2], ws[3], ws[1]},
        [&](const std::vector<loop::Var>& v) { return weights({v[0], v[3], v[1], v[2]}); },
        {.axis_names = {"co", "kh", "kw", "ci"}});
    result.stages.push_back(transposed);
    w = [transposed](const Indices& idx) {
      return transposed({idx[0], idx[2], idx[3], idx[1]});
    };
  }
  ReducingCompute r;
  r.shape = xs;
  r.axis_names = {"n", "ci", "ih", "iw"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr col = axes.add("co", per_group_out);
    const InputTap th = input_tap(axes, win, 0, v[2], "kh"), tw = input_tap(axes, win, 1, v[3], "kw");
    // The input channel's group g and its place cl in it; output channel g * per_group_out + col.
    Expr co = col, cl = v[1];
    if (group > 1) {
      const Expr g = per_group_in == 1 ? Expr(v[1]) : v[1] / per_group_in;
      co = per_group_out == 1 ? g : times(g, per_group_out) + col;
      cl = per_group_in == 1 ? i32(0) : v[1] % per_group_in;
    }
    Expr dyv = dy({v[0], co, th.index, tw.index});
    if (Expr valid = all_of(th.valid, tw.valid); valid.defined())
      dyv = select(valid, dyv, f32(0));
    return loop::sum(dyv * w({co, cl, th.k, tw.k}), axes.list());
  };
  result.reducing = std::move(r);
  return result;
}

// dW = ConvGradWeight(dY, X), dW [CO, CI/group, KH, KW]. The reference sums, per weight,
// the batch items, output rows, then output columns (each row into a partial sum added to
// the weight): here one reduction over (n, oh, ow) in that order, the same terms in the
// same order, associated as one sum. Padding taps read a clamped X index under a Select.
NodeCompute conv_grad_weight(const ComputeContext& c) {
  const Shape ys = c.input_shape(0), xs = c.input_shape(1), ws = c.output_shape();
  const graph::ops::Window2d win =
      graph::ops::window_of(c.attrs(), {xs[2], xs[3]}, {ws[2], ws[3]});
  const int64_t group = c.attrs().i("group"), per_group_in = ws[1];
  const int64_t per_group_out = ws[0] / group;
  // The schedule reads a vector of output channels per step of the reduction: dY first
  // transposed to [N, OH, OW, CO] by a stage, so that vector is one load; for a depthwise
  // convolution, whose input channel is the output channel, the input too.
  // Stored NCHW[x]c, they give vectors of channels as they are.
  NodeCompute result;
  const Accessor dy =
      c.channel_block(0) > 1 ? c.in(0) : channels_last(c, result.stages, c.in(0), ys, "_dy");
  const bool depthwise = per_group_in == 1 && per_group_out == 1;
  const Accessor x = depthwise && c.channel_block(1) == 1
                         ? channels_last(c, result.stages, c.in(1), xs, "_x")
                         : c.in(1);
  ReducingCompute r;
  r.shape = ws;
  r.axis_names = {"co", "cl", "kh", "kw"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr n = axes.add("n", ys[0]), oh = axes.add("oh", ys[2]), ow = axes.add("ow", ys[3]);
    Expr channel = v[1];
    if (group > 1) {
      const Expr first =
          times(per_group_out == 1 ? Expr(v[0]) : v[0] / per_group_out, per_group_in);
      channel = per_group_in == 1 ? first : first + v[1];
    }
    const Tap th = window_tap(win, 0, oh, v[2]), tw = window_tap(win, 1, ow, v[3]);
    Expr xv = x({n, channel, th.index, tw.index});
    if (Expr inside = all_of(th.inside, tw.inside); inside.defined())
      xv = select(inside, xv, f32(0));
    return loop::sum(dy({n, v[0], oh, ow}) * xv, axes.list());
  };
  result.reducing = std::move(r);
  return result;
}

// dB = ConvGradBias(dY): per channel, the sum over n, h, w, as batch norm's statistics
// (ops/norm.cc): in NCHW partial sums [C, W] over (n, h) first, whose columns the schedule
// takes as vectors, then their sum over W; in NCHW[x]c one sum, over vectors of channels.
NodeCompute conv_grad_bias(const ComputeContext& c) {
  const Shape ys = c.input_shape(0);
  const Accessor dy = c.in(0);
  if (c.channel_block(0) > 1) {  // NCHW[x]c: vectors of channels, one stage
    ReducingCompute r;
    r.shape = c.output_shape();
    r.axis_names = {"c"};
    r.body = [=](const Indices& v) {
      ReductionAxes axes;
      const Expr n = axes.add("n", ys[0]), h = axes.add("h", ys[2]), w = axes.add("w", ys[3]);
      return loop::sum(dy({n, v[0], h, w}), axes.list());
    };
    return NodeCompute{.reducing = std::move(r)};
  }
  const loop::Tensor partial = loop::compute(
      c.namer(c.graph.value(c.node.outputs[0]).name + "_part"), {ys[1], ys[3]},
      [&](const std::vector<loop::Var>& v) {
        ReductionAxes axes;
        const Expr n = axes.add("n", ys[0]), h = axes.add("h", ys[2]);
        return loop::sum(dy({n, v[0], h, v[1]}), axes.list());
      },
      {.axis_names = {"c", "w"}});
  ReducingCompute r;
  r.shape = c.output_shape();
  r.axis_names = {"c"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr w = axes.add("w", ys[3]);  // before axes.list() reads the axes
    return loop::sum(partial(v[0], w), axes.list());
  };
  return NodeCompute{.reducing = std::move(r), .stages = {partial}};
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
      .packed_input = [](const graph::Node&) -> std::optional<PackedInput> { return PackedInput{1}; },
  };
}

// The gradients of a convolution have schedules of their own (Conv2dGradInput: Conv2d's
// nest, reading the input's channels as vectors; Conv2dGradWeight: the output channels as
// vectors, the taps in registers); depthwise ones read dY (and the input) channels-last
// through a stage. ConvGradInput walks only the taps of each input's stride phase.
// Fusion (graph/ops/conv.cc): dX takes an elementwise epilogue as Conv does (the
// gradient of the activation before the convolution, a ReluGrad); dW and dB anchor
// groups of their own.
OpLowering lower_op_ConvGradInput(const graph::OpDef&) {
  return OpLowering{.compute = conv_grad_input,
                    .family = always(ScheduleFamily::Conv2dGradInput)};
}
OpLowering lower_op_ConvGradWeight(const graph::OpDef&) {
  return OpLowering{.compute = conv_grad_weight,
                    .family = always(ScheduleFamily::Conv2dGradWeight)};
}
OpLowering lower_op_ConvGradBias(const graph::OpDef&) {
  return OpLowering{.compute = conv_grad_bias, .family = always(ScheduleFamily::Reduce)};
}

}  // namespace nas::lower
