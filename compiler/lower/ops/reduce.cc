// Lowerings of ReduceMean, ReduceMax, Softmax and the SoftmaxCrossEntropy loss (compiler/
// graph/ops/reduce.cc), and of their gradient ops ReduceMeanGrad (a broadcast), ReduceMaxGrad
// (the maximum and its first position as stages, then an elementwise expression),
// SoftmaxGrad (a sum along the axis as a stage, then an elementwise expression) and
// SoftmaxCrossEntropyGrad.
#include <functional>

#include <fmt/format.h>

#include "compiler/lower/compute_util.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;
using loop::Var;

namespace {

// Which axes of an input of shape `xs` a ReduceMean or ReduceMax reduces, and over how many
// elements.
struct ReducedAxes {
  std::vector<bool> reduced;
  bool keepdims = false;
  int64_t count = 1;
};
ReducedAxes reduced_axes(const graph::Attrs& attrs, const Shape& xs) {
  const std::vector<int64_t>& axes = attrs.ints("axes");
  ReducedAxes m{std::vector<bool>(xs.size(), axes.empty()), attrs.i("keepdims") != 0};
  for (int64_t axis : axes) m.reduced[static_cast<size_t>(normalized_axis(axis, xs.size()))] = true;
  for (size_t d = 0; d < xs.size(); ++d)
    if (m.reduced[d]) m.count *= xs[d];
  return m;
}

// The input element a reduction reads at output indices v (of the output's rank: with
// keepdims, the reduced axes' indices are there and unused): a reduction axis per reduced
// dimension, added to `axes`.
std::vector<Expr> reduction_input(const ReducedAxes& m, const Shape& xs, const Indices& v,
                                  ReductionAxes& axes) {
  std::vector<Expr> idx;
  size_t out = 0;
  for (size_t d = 0; d < xs.size(); ++d) {
    if (m.reduced[d]) {
      idx.push_back(axes.add(fmt::format("r{}", d), xs[d]));
      if (m.keepdims) ++out;
    } else {
      idx.push_back(v[out++]);
    }
  }
  return idx;
}

// x combined over the node's reduced axes by `combine` (loop::sum, loop::maximum), then
// the op's `finish` of the result (empty: none).
NodeCompute reduction_over_axes(const ComputeContext& c,
                                loop::Reduction (*combine)(Expr, std::vector<loop::Axis>),
                                std::function<Expr(const Expr&, const Indices&)> finish) {
  const Shape xs = c.input_shape(0);
  const ReducedAxes m = reduced_axes(c.attrs(), xs);
  const Accessor x = c.in(0);
  ReducingCompute r;
  r.shape = c.output_shape();
  r.axis_names = numbered("i", r.shape.size());
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const std::vector<Expr> idx = reduction_input(m, xs, v, axes);
    return combine(x(idx), axes.list());
  };
  r.finish = std::move(finish);
  return NodeCompute{.reducing = std::move(r)};
}

NodeCompute reduce_mean(const ComputeContext& c) {
  const int64_t count = reduced_axes(c.attrs(), c.input_shape(0)).count;
  return reduction_over_axes(c, loop::sum, [count](const Expr& sum, const Indices&) {
    return sum / f32(static_cast<double>(count));
  });
}

// The maximum over the reduced axes (-inf for an empty group, as the reference gives).
NodeCompute reduce_max(const ComputeContext& c) {
  return reduction_over_axes(c, loop::maximum, {});
}

// The row-major number of element idx of x within its reduced group.
Expr number_in_group(const ReducedAxes& m, const Shape& xs, const std::vector<Expr>& idx) {
  Expr number;
  for (size_t d = 0; d < xs.size(); ++d) {
    if (!m.reduced[d] || xs[d] == 1) continue;
    number = number.defined() ? times(number, xs[d]) + idx[d] : idx[d];
  }
  return number.defined() ? number : i32(0);
}

// dX = ReduceMaxGrad(dY, X). The reference routes each group's dY to its first maximal
// element in row-major order. Two stages of X's shape with the reduced axes of size 1: the
// group's maximum, then the first number in the group (number_in_group, as an f32, exact
// up to 2^24: refused beyond) of an element equal to it, a minimum (count when none). Each
// dX element is then dY where its own number is that first one, 0 elsewhere. (As in
// MaxPoolGrad, a NaN input is not matched as the reference's comparisons would: NaN is
// never equal to the maximum.)
NodeCompute reduce_max_grad(const ComputeContext& c) {
  const Shape xs = c.input_shape(1);
  const ReducedAxes m = reduced_axes(c.attrs(), xs);
  Shape kept = xs;
  for (size_t d = 0; d < xs.size(); ++d)
    if (m.reduced[d]) kept[d] = 1;
  const Accessor dy = c.in(0), x = c.in(1);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const loop::ComputeOptions options{.axis_names = numbered("i", xs.size())};
  // The stages have keepdims' shape: they read x as a keepdims result would.
  const ReducedAxes kept_m{m.reduced, true, m.count};
  const loop::Tensor max_stage = loop::compute(
      c.namer(base + "_max"), kept,
      [&](const std::vector<Var>& v) {
        ReductionAxes axes;
        const std::vector<Expr> idx = reduction_input(kept_m, xs, exprs(v), axes);
        return loop::maximum(x(idx), axes.list());
      },
      options);
  const loop::Tensor first_stage = loop::compute(
      c.namer(base + "_first"), kept,
      [&](const std::vector<Var>& v) {
        ReductionAxes axes;
        const std::vector<Expr> idx = reduction_input(kept_m, xs, exprs(v), axes);
        const Expr number = loop::cast(loop::Type::f32(), number_in_group(m, xs, idx));
        return loop::minimum(
            select(eq(x(idx), max_stage(exprs(v))), number, f32(static_cast<double>(m.count))),
            axes.list());
      },
      options);
  NodeCompute result;
  result.stages = {max_stage, first_stage};
  result.outputs = {[=](const Indices& idx) {
    std::vector<Expr> at_kept, at_dy;
    for (size_t d = 0; d < xs.size(); ++d) {
      at_kept.push_back(m.reduced[d] ? i32(0) : idx[d]);
      if (!m.reduced[d] || m.keepdims) at_dy.push_back(at_kept.back());
    }
    const Expr number = loop::cast(loop::Type::f32(), number_in_group(m, xs, idx));
    return select(eq(first_stage(at_kept), number), dy(at_dy), f32(0));
  }};
  return result;
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
  const ReducedAxes m = reduced_axes(c.attrs(), xs);
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

// SoftmaxCrossEntropy and its gradient over scores [N, C] with i64 labels [N], as the
// reference computes them: per sample the maximum, the sum of exp(x - max) (stages [N]),
// then log_prob = x - max - log(sum). The label's score is picked by a sum over the classes
// that adds zeros elsewhere (exact), so no load depends on the data.
struct CrossEntropyStages {
  loop::Tensor max, sum;
  Expr log_prob(const Accessor& x, const Expr& i, const Expr& k) const {
    return x({i, k}) - max({i}) - log(sum({i}));
  }
};

CrossEntropyStages cross_entropy_stages(const ComputeContext& c, size_t scores,
                                        const std::string& base) {
  const Shape xs = c.input_shape(scores);
  const Accessor x = c.in(scores);
  const loop::ComputeOptions options{.axis_names = {"i"}};
  const loop::Tensor max_stage = loop::compute(
      c.namer(base + "_max"), {xs[0]},
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[1]);
        return loop::maximum(x({v[0], k.var}), {k});
      },
      options);
  const loop::Tensor sum_stage = loop::compute(
      c.namer(base + "_sum"), {xs[0]},
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[1]);
        return loop::sum(exp(x({v[0], k.var}) - max_stage({v[0]})), {k});
      },
      options);
  return {max_stage, sum_stage};
}

// Whether class k is sample i's label.
Expr is_label(const Accessor& labels, const Expr& i, const Expr& k) {
  return eq(loop::cast(loop::Type::i32(), labels({i})), k);
}

// loss = sum over samples of -log_prob[i, label[i]] ("sum"), divided by N ("mean"); the
// optional second output is log_prob itself.
NodeCompute cross_entropy(const ComputeContext& c) {
  const Shape xs = c.input_shape(0);
  const Accessor x = c.in(0), labels = c.in(1);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const CrossEntropyStages parts = cross_entropy_stages(c, 0, base);
  const loop::Tensor picked = loop::compute(
      c.namer(base + "_picked"), {xs[0]},
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[1]);
        return loop::sum(select(is_label(labels, v[0], k.var), parts.log_prob(x, v[0], k.var),
                                f32(0)),
                         {k});
      },
      {.axis_names = {"i"}});
  const loop::Tensor total = loop::compute(
      c.namer(base + "_total"), {1},
      [&](const std::vector<Var>&) {
        const loop::Axis i = loop::reduce_axis("i", xs[0]);
        return loop::sum(-picked({i.var}), {i});
      },
      {.axis_names = {"o"}});
  const bool mean = c.attrs().s("reduction") == "mean";
  const auto count = static_cast<double>(xs[0]);
  NodeCompute result;
  result.stages = {parts.max, parts.sum, picked, total};
  result.outputs.push_back([=](const Indices&) {
    return mean ? total({i32(0)}) / f32(count) : total({i32(0)});
  });
  if (c.node.outputs.size() > 1)
    result.outputs.push_back(
        [=](const Indices& idx) { return parts.log_prob(x, idx[0], idx[1]); });
  return result;
}

// dscores[i, k] = coef * (exp(log_prob[i, k]) - (k == label[i])), coef = dloss ("sum") or
// dloss / N ("mean").
NodeCompute cross_entropy_grad(const ComputeContext& c) {
  const Shape xs = c.input_shape(1);
  const Accessor dloss = c.in(0), x = c.in(1), labels = c.in(2);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const CrossEntropyStages parts = cross_entropy_stages(c, 1, base);
  const bool mean = c.attrs().s("reduction") == "mean";
  const auto count = static_cast<double>(xs[0]);
  NodeCompute result;
  result.stages = {parts.max, parts.sum};
  result.outputs = {[=](const Indices& idx) {
    const Expr coef = mean ? dloss({}) / f32(count) : dloss({});
    const Expr one_hot = select(is_label(labels, idx[0], idx[1]), f32(1), f32(0));
    return coef * (exp(parts.log_prob(x, idx[0], idx[1])) - one_hot);
  }};
  return result;
}

// What the lowerings above leave to the reference: other shapes, class weights, ignored
// labels, per-sample losses. `scores` is the scores' input.
std::function<std::optional<std::string>(const graph::Graph&, const graph::Node&)>
cross_entropy_refuses(size_t scores) {
  return [scores](const graph::Graph& graph,
                  const graph::Node& node) -> std::optional<std::string> {
    if (graph.type(node.inputs[scores]).rank() != 2)
      return "scores of rank other than 2 ([N, C]) are computed by the reference kernel only";
    if (node.inputs.size() > scores + 2 && node.inputs[scores + 2] != graph::kNoValue)
      return "class weights are computed by the reference kernel only";
    if (node.attrs.i("ignore_index") != std::numeric_limits<int64_t>::min())
      return "ignore_index is computed by the reference kernel only";
    if (node.attrs.s("reduction") == "none")
      return "reduction \"none\" is computed by the reference kernel only";
    return std::nullopt;
  };
}

}  // namespace

OpLowering lower_op_ReduceMean(const graph::OpDef&) {
  return OpLowering{.compute = reduce_mean, .family = always(ScheduleFamily::Reduce)};
}

OpLowering lower_op_ReduceMax(const graph::OpDef&) {
  return OpLowering{.compute = reduce_max, .family = always(ScheduleFamily::Reduce)};
}

OpLowering lower_op_Softmax(const graph::OpDef&) {
  return OpLowering{.compute = softmax, .family = always(ScheduleFamily::Softmax)};
}

// Stages, then elementwise outputs, as Softmax. Scores of rank 2 only: the reference
// computes [N, C, d...].
OpLowering lower_op_SoftmaxCrossEntropy(const graph::OpDef&) {
  return OpLowering{.compute = cross_entropy,
                    .refuses = cross_entropy_refuses(0),
                    .family = always(ScheduleFamily::Softmax),
                    .i64_inputs = {1}};
}

// A broadcast of dY (fusion class Broadcast): Injective.
OpLowering lower_op_ReduceMeanGrad(const graph::OpDef&) {
  return OpLowering{.compute = reduce_mean_grad, .family = always(ScheduleFamily::Injective)};
}
// Stages, then an elementwise expression, as SoftmaxGrad; of family Reduce, whose default
// schedule is the generic one (parallel over each stage's outer loop): correct, not fast.
OpLowering lower_op_ReduceMaxGrad(const graph::OpDef&) {
  return OpLowering{
      .compute = reduce_max_grad,
      .refuses = [](const graph::Graph& graph,
                    const graph::Node& node) -> std::optional<std::string> {
        constexpr int64_t kExactInF32 = int64_t{1} << 24;
        if (reduced_axes(node.attrs, graph.type(node.inputs[1]).shape).count > kExactInF32)
          return "groups of more than 2^24 elements are computed by the reference kernel only";
        return std::nullopt;
      },
      .family = always(ScheduleFamily::Reduce)};
}
// Shaped as Softmax (a reduction along the axis as a stage, then an elementwise expression),
// so of Softmax's family, whose default schedule is the generic one of Reduce (parallel
// over each stage's outer loop): correct, not fast. Its fusion class (Reduction) stays.
OpLowering lower_op_SoftmaxGrad(const graph::OpDef&) {
  return OpLowering{.compute = softmax_grad, .family = always(ScheduleFamily::Softmax)};
}
OpLowering lower_op_SoftmaxCrossEntropyGrad(const graph::OpDef&) {
  return OpLowering{.compute = cross_entropy_grad,
                    .refuses = cross_entropy_refuses(1),
                    .family = always(ScheduleFamily::Softmax),
                    .i64_inputs = {2}};
}

}  // namespace nas::lower
