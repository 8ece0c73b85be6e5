// Lowerings of the elementwise ops of compiler/graph/ops/elementwise.cc.
#include <fmt/format.h>

#include "compiler/lower/compute_util.h"

namespace nas::lower {

using loop::Expr;

OpLowering lower_op_Add(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a + b; });
}

OpLowering lower_op_Mul(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a * b; });
}

OpLowering lower_op_Relu(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn {
    return [](const Expr& x) { return select(x > 0.0, x, f32(0)); };
  });
}

// ReduceSumTo sums x over the axes where the target shape broadcasts: the leading axes the
// target lacks and those where it has extent 1 and x does not. The reference adds x's
// elements in row-major order into zeros, so each output element is 0 + the elements of
// its summed axes in order, outer to inner: a sum over those axes in x's order.
namespace {

// Whether ReduceSumTo sums nothing: every summed axis has extent 1 (the same element
// count), input shape equal to the target's included.
bool sums_nothing(const graph::Graph& graph, const graph::Node& node) {
  return graph.type(node.inputs[0]).numel() == graph.type(node.outputs[0]).numel();
}

NodeCompute reduce_sum_to(const ComputeContext& c) {
  const graph::Shape xs = c.input_shape(0), ys = c.output_shape();
  const size_t lead = xs.size() - ys.size();
  const Accessor x = c.in(0);
  // x's indices for the output indices v, with `summed` for each summed axis.
  auto x_indices = [=](const Indices& v, const std::function<Expr(size_t)>& summed) {
    std::vector<Expr> idx;
    for (size_t d = 0; d < xs.size(); ++d) {
      if (d < lead || (ys[d - lead] == 1 && xs[d] != 1))
        idx.push_back(summed(d));
      else
        idx.push_back(v[d - lead]);
    }
    return idx;
  };
  if (sums_nothing(c.graph, c.node)) {
    // An identity, but 0 + x as the reference computes it (-0 becomes +0).
    return NodeCompute{.outputs = {[=](const Indices& v) {
      return f32(0) + x(x_indices(v, [](size_t) { return i32(0); }));
    }}};
  }
  ReducingCompute r;
  r.shape = ys;
  r.axis_names = numbered("i", ys.size());
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const std::vector<Expr> idx =
        x_indices(v, [&](size_t d) { return axes.add(fmt::format("r{}", d), xs[d]); });
    return loop::sum(x(idx), axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

}  // namespace

OpLowering lower_op_ReduceSumTo(const graph::OpDef&) {
  return OpLowering{
      .compute = reduce_sum_to,
      .family = [](const graph::Graph& graph, const graph::Node& node) {
        return sums_nothing(graph, node) ? ScheduleFamily::Injective : ScheduleFamily::Reduce;
      },
  };
}

OpLowering lower_op_ReluGrad(const graph::OpDef&) {
  return binary_op([](const Expr& dy, const Expr& x) { return select(x > 0.0, dy, f32(0)); });
}

}  // namespace nas::lower
