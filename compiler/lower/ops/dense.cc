// Lowerings of Gemm and MatMul (compiler/graph/ops/dense.cc): a sum over k per output
// element; Gemm's alpha, beta and C in the reduction's epilogue.
#include "compiler/lower/compute_util.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;

namespace {

NodeCompute gemm(const ComputeContext& c) {
  const Shape as = c.input_shape(0), ys = c.output_shape();
  const bool ta = c.attrs().i("transA") != 0, tb = c.attrs().i("transB") != 0;
  const float alpha = c.attrs().f("alpha"), beta = c.attrs().f("beta");
  const int64_t k_extent = ta ? as[0] : as[1];
  const Accessor a = c.in(0), b = c.in(1);
  ReducingCompute r;
  r.shape = ys;
  r.axis_names = {"i", "j"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr k = axes.add("k", k_extent);
    const Expr av = ta ? a({k, v[0]}) : a({v[0], k});
    const Expr bv = tb ? b({v[1], k}) : b({k, v[1]});
    return loop::sum(av * bv, axes.list());
  };
  const bool has_c = c.has_input(2);
  if (alpha != 1.0f || has_c) {
    const Accessor cin = has_c ? c.in(2) : Accessor();
    const Shape cs = has_c ? c.input_shape(2) : Shape{};
    r.finish = [=](const Expr& reduced, const Indices& v) {
      Expr y = alpha == 1.0f ? reduced : f32(alpha) * reduced;
      if (has_c) {
        const Expr cv = cin(broadcast_indices(v, ys, cs));
        y = y + (beta == 1.0f ? cv : f32(beta) * cv);
      }
      return y;
    };
  }
  return NodeCompute{.reducing = std::move(r)};
}

// numpy matmul: batch axes broadcast, a rank-1 A is a row and a rank-1 B a column whose
// axis the result drops.
NodeCompute matmul(const ComputeContext& c) {
  const Shape as = c.input_shape(0), bs = c.input_shape(1), ys = c.output_shape();
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  const Shape a_batch = a_vec ? Shape{} : Shape(as.begin(), as.end() - 2);
  const Shape b_batch = b_vec ? Shape{} : Shape(bs.begin(), bs.end() - 2);
  const size_t batch_rank = ys.size() - (a_vec ? 0 : 1) - (b_vec ? 0 : 1);
  const Shape batch(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(batch_rank));
  const int64_t k_extent = as.back();
  const Accessor a = c.in(0), b = c.in(1);
  ReducingCompute r;
  r.shape = ys;
  r.axis_names = numbered("b", batch_rank);
  if (!a_vec) r.axis_names.push_back("i");
  if (!b_vec) r.axis_names.push_back("j");
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr k = axes.add("k", k_extent);
    const std::vector<Expr> batch_idx(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(batch_rank));
    std::vector<Expr> a_idx{k}, b_idx{k};
    if (!a_vec) {
      a_idx = broadcast_indices(batch_idx, batch, a_batch);
      a_idx.insert(a_idx.end(), {v[batch_rank], k});
    }
    if (!b_vec) {
      b_idx = broadcast_indices(batch_idx, batch, b_batch);
      b_idx.insert(b_idx.end(), {k, v[batch_rank + (a_vec ? 0 : 1)]});
    }
    return loop::sum(a(a_idx) * b(b_idx), axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

}  // namespace

OpLowering lower_op_Gemm(const graph::OpDef&) {
  return OpLowering{
      .compute = gemm,
      .family = always(ScheduleFamily::Dense),
      // A transposed B is read a vector of its rows (output columns) at a time.
      .packed_rows = [](const graph::Node& node) -> std::optional<size_t> {
        if (node.attrs.i("transB") != 0) return 1;
        return std::nullopt;
      },
  };
}

OpLowering lower_op_MatMul(const graph::OpDef&) {
  return OpLowering{.compute = matmul, .family = always(ScheduleFamily::Dense)};
}

OpLowering lower_op_MatMulGradA(const graph::OpDef& op) { return gradient_op_not_lowered(op); }
OpLowering lower_op_MatMulGradB(const graph::OpDef& op) { return gradient_op_not_lowered(op); }

}  // namespace nas::lower
