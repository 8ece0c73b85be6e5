// Lowerings of ReduceMean and Softmax (compiler/graph/ops/reduce.cc), and of their
// gradient ops ReduceMeanGrad (a broadcast) and SoftmaxGrad (a sum along the axis as a
// stage, then an elementwise expression).
#include <fmt/format.h>

#include "compiler/lower/compute_util.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;
using loop::Var;

namespace {

// Which axes of an input of shape `xs` a ReduceMean averages, and over how many elements.
struct MeanAxes {
  std::vector<bool> reduced;
  bool keepdims = false;
  int64_t count = 1;
};
MeanAxes mean_axes(const graph::Attrs& attrs, const Shape& xs) {
  const std::vector<int64_t>& axes = attrs.ints("axes");
  MeanAxes m{std::vector<bool>(xs.size(), axes.empty()), attrs.i("keepdims") != 0};
  for (int64_t axis : axes) m.reduced[static_cast<size_t>(normalized_axis(axis, xs.size()))] = true;
  for (size_t d = 0; d < xs.size(); ++d)
    if (m.reduced[d]) m.count *= xs[d];
  return m;
}

NodeCompute reduce_mean(const ComputeContext& c) {
  const Shape xs = c.input_shape(0);
  const MeanAxes m = mean_axes(c.attrs(), xs);
  const std::vector<bool>& reduced = m.reduced;
  const bool keepdims = m.keepdims;
  const int64_t count = m.count;
  const Accessor x = c.in(0);
  ReducingCompute r;
  r.shape = c.output_shape();
  r.axis_names = numbered("i", r.shape.size());
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    std::vector<Expr> idx;
    size_t out = 0;
    for (size_t d = 0; d < xs.size(); ++d) {
      if (reduced[d]) {
        idx.push_back(axes.add(fmt::format("r{}", d), xs[d]));
        if (keepdims) ++out;
      } else {
        idx.push_back(v[out++]);
      }
    }
    return loop::sum(x(idx), axes.list());
  };
  r.finish = [count](const Expr& sum, const Indices&) {
    return sum / f32(static_cast<double>(count));
  };
  return NodeCompute{.reducing = std::move(r)};
}

// Two reductions along the axis, kept with a size-1 axis (the maximum, then the sum of
// exp(x - max)), and the quotient per element, as the reference computes it.
NodeCompute softmax(const ComputeContext& c) {
  const Shape xs = c.input_shape(0);
  const auto axis = static_cast<size_t>(normalized_axis(c.attrs().i("axis"), xs.size()));
  Shape kept = xs;
  kept[axis] = 1;
  const Accessor x = c.in(0);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const loop::ComputeOptions options{.axis_names = numbered("i", xs.size())};
  auto along_axis = [=](const std::vector<Var>& v, const Expr& k) {
    std::vector<Expr> idx = exprs(v);
    idx[axis] = k;
    return idx;
  };
  const loop::Tensor max_stage = loop::compute(
      c.namer(base + "_max"), kept,
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[axis]);
        return loop::maximum(x(along_axis(v, k.var)), {k});
      },
      options);
  const loop::Tensor sum_stage = loop::compute(
      c.namer(base + "_sum"), kept,
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[axis]);
        return loop::sum(exp(x(along_axis(v, k.var)) - max_stage(exprs(v))), {k});
      },
      options);
  NodeCompute result;
  result.stages = {max_stage, sum_stage};
  result.outputs = {[=](const std::vector<Expr>& idx) {
    std::vector<Expr> at_kept = idx;
    at_kept[axis] = i32(0);
    return exp(x(idx) - max_stage(at_kept)) / sum_stage(at_kept);
  }};
  return result;
}

// dX = ReduceMeanGrad(dY): dY at the element's reduced position (reduced axes at 0 with
// keepdims, dropped without) divided by the count of reduced elements, as the reference
// writes it: a broadcast.
NodeCompute reduce_mean_grad(const ComputeContext& c) {
  const Shape xs = c.output_shape();
  const MeanAxes m = mean_axes(c.attrs(), xs);
  const std::vector<bool>& reduced = m.reduced;
  const bool keepdims = m.keepdims;
  const int64_t count = m.count;
  const Accessor dy = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& v) {
    std::vector<Expr> idx;
    for (size_t d = 0; d < xs.size(); ++d) {
      if (!reduced[d]) idx.push_back(v[d]);
      else if (keepdims) idx.push_back(i32(0));
    }
    return dy(idx) / f32(static_cast<double>(count));
  }}};
}

// dX = SoftmaxGrad(dY, Y) = Y * (dY - sum(dY * Y, axis)): the sum along the axis as a stage
// kept with a size-1 axis (the reference's order of terms), then the expression per element.
NodeCompute softmax_grad(const ComputeContext& c) {
  const Shape xs = c.input_shape(0);
  const auto axis = static_cast<size_t>(normalized_axis(c.attrs().i("axis"), xs.size()));
  Shape kept = xs;
  kept[axis] = 1;
  const Accessor dy = c.in(0), y = c.in(1);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const loop::ComputeOptions options{.axis_names = numbered("i", xs.size())};
  const loop::Tensor dot_stage = loop::compute(
      c.namer(base + "_dot"), kept,
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[axis]);
        std::vector<Expr> idx = exprs(v);
        idx[axis] = k.var;
        return loop::sum(dy(idx) * y(idx), {k});
      },
      options);
  NodeCompute result;
  result.stages = {dot_stage};
  result.outputs = {[=](const std::vector<Expr>& idx) {
    std::vector<Expr> at_kept = idx;
    at_kept[axis] = i32(0);
    return y(idx) * (dy(idx) - dot_stage(at_kept));
  }};
  return result;
}

// The loss and its gradient read their labels as i64.
OpLowering reads_i64_labels(const graph::OpDef& op) {
  return not_lowered(op.name + " reads its labels as i64, and compiled kernels compute on f32 "
                               "values only (lower_group refuses other types)");
}

}  // namespace

OpLowering lower_op_ReduceMean(const graph::OpDef&) {
  return OpLowering{.compute = reduce_mean, .family = always(ScheduleFamily::Reduce)};
}

OpLowering lower_op_Softmax(const graph::OpDef&) {
  return OpLowering{.compute = softmax, .family = always(ScheduleFamily::Softmax)};
}

OpLowering lower_op_SoftmaxCrossEntropy(const graph::OpDef& op) { return reads_i64_labels(op); }

// A broadcast of dY (fusion class Broadcast): Injective.
OpLowering lower_op_ReduceMeanGrad(const graph::OpDef&) {
  return OpLowering{.compute = reduce_mean_grad, .family = always(ScheduleFamily::Injective)};
}
// Shaped as Softmax (a reduction along the axis as a stage, then an elementwise expression),
// so of Softmax's family, whose default schedule is the generic one of Reduce (parallel
// over each stage's outer loop): correct, not fast. Its fusion class (Reduction) stays.
OpLowering lower_op_SoftmaxGrad(const graph::OpDef&) {
  return OpLowering{.compute = softmax_grad, .family = always(ScheduleFamily::Softmax)};
}
OpLowering lower_op_SoftmaxCrossEntropyGrad(const graph::OpDef& op) {
  return reads_i64_labels(op);
}

}  // namespace nas::lower
