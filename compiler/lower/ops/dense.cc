// Lowerings of Gemm and MatMul (compiler/graph/ops/dense.cc): a sum over k per output
// element; Gemm's alpha, beta and C in the reduction's epilogue. MatMul's gradients: a sum
// per element of dA (dB) over the batch items broadcast onto it and the output's columns
// (rows).
#include <fmt/format.h>

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

// The operands of a MatMul gradient, as the reference's matmul_dims sees them: A [.., M, K]
// (or [K]), B [.., K, N] (or [K]), dY [batch.., M?, N?].
struct MatMulOperands {
  Shape a, b, batch, a_batch, b_batch;
  bool a_vec = false, b_vec = false;
  int64_t m = 1, k = 1, n = 1;

  MatMulOperands(const Shape& as, const Shape& bs, const Shape& ys) : a(as), b(bs) {
    a_vec = as.size() == 1;
    b_vec = bs.size() == 1;
    m = a_vec ? 1 : as[as.size() - 2];
    k = as.back();
    n = b_vec ? 1 : bs.back();
    if (!a_vec) a_batch.assign(as.begin(), as.end() - 2);
    if (!b_vec) b_batch.assign(bs.begin(), bs.end() - 2);
    const size_t batch_rank = ys.size() - (a_vec ? 0 : 1) - (b_vec ? 0 : 1);
    batch.assign(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(batch_rank));
  }
  Indices a_at(const Indices& bi, const Expr& i, const Expr& p) const {
    if (a_vec) return {p};
    Indices idx = broadcast_indices(bi, batch, a_batch);
    idx.insert(idx.end(), {i, p});
    return idx;
  }
  Indices b_at(const Indices& bi, const Expr& p, const Expr& j) const {
    if (b_vec) return {p};
    Indices idx = broadcast_indices(bi, batch, b_batch);
    idx.insert(idx.end(), {p, j});
    return idx;
  }
  Indices dy_at(const Indices& bi, const Expr& i, const Expr& j) const {
    Indices idx = bi;
    if (!a_vec) idx.push_back(i);
    if (!b_vec) idx.push_back(j);
    return idx;
  }
  // The broadcast batch indices for an element of an operand with batch shape `own` (its
  // indices `v`): an axis the operand has at the batch's extent is its own index, any other
  // (absent, or 1 where the batch is larger: summed by the reference) a reduction axis.
  Indices batch_at(const Indices& v, const Shape& own, ReductionAxes& axes) const {
    Indices bi;
    const size_t offset = batch.size() - own.size();
    for (size_t d = 0; d < batch.size(); ++d) {
      if (d >= offset && own[d - offset] == batch[d])
        bi.push_back(v[d - offset]);
      else
        bi.push_back(axes.add(fmt::format("r{}", d), batch[d]));
    }
    return bi;
  }
};

// dA = MatMulGradA(dY, B), dA of shape a_shape: per element (.., i, p), the sum over the
// batch items broadcast onto it (batch order), then over j, of dY[.., i, j] * B[.., p, j].
// The reference sums j into a partial sum per batch item and adds it to dA: the same terms
// in the same order, associated as one sum.
NodeCompute matmul_grad_a(const ComputeContext& c) {
  const MatMulOperands d(c.attrs().ints("a_shape"), c.input_shape(1), c.input_shape(0));
  const Accessor dy = c.in(0), b = c.in(1);
  ReducingCompute r;
  r.shape = d.a;
  r.axis_names = numbered("b", d.a_batch.size());
  if (!d.a_vec) r.axis_names.push_back("i");
  r.axis_names.push_back("k");
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Indices bi = d.batch_at(v, d.a_batch, axes);
    const Expr j = axes.add("j", d.n);
    const Expr i = d.a_vec ? i32(0) : v[v.size() - 2], p = v.back();
    return loop::sum(dy(d.dy_at(bi, i, j)) * b(d.b_at(bi, p, j)), axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

// dB = MatMulGradB(A, dY), dB of shape b_shape: per element (.., p, j), the sum over the
// batch items broadcast onto it, then over i, of A[.., i, p] * dY[.., i, j] (the reference's
// terms in its order, associated as one sum).
NodeCompute matmul_grad_b(const ComputeContext& c) {
  const MatMulOperands d(c.input_shape(0), c.attrs().ints("b_shape"), c.input_shape(1));
  const Accessor a = c.in(0), dy = c.in(1);
  ReducingCompute r;
  r.shape = d.b;
  r.axis_names = numbered("b", d.b_batch.size());
  r.axis_names.push_back("k");
  if (!d.b_vec) r.axis_names.push_back("j");
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Indices bi = d.batch_at(v, d.b_batch, axes);
    const Expr i = axes.add("i", d.m);
    const Expr p = d.b_vec ? v.back() : v[v.size() - 2];
    const Expr j = d.b_vec ? i32(0) : v.back();
    return loop::sum(a(d.a_at(bi, i, p)) * dy(d.dy_at(bi, i, j)), axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

}  // namespace

OpLowering lower_op_Gemm(const graph::OpDef&) {
  return OpLowering{
      .compute = gemm,
      .family = always(ScheduleFamily::Dense),
      // A transposed B is read a vector of its rows (output columns) at a time.
      .packed_input = [](const graph::Node& node) -> std::optional<PackedInput> {
        if (node.attrs.i("transB") != 0) return PackedInput{1};
        return std::nullopt;
      },
  };
}

// B [.., K, N] is read a vector of columns at a time: packed [N / x, .., K, x], each
// k's vectors of a column block are then adjacent to the next k's, not N floats apart
// ([49, 768] x [768, 3072] at 44% of the FMA peak unpacked).
OpLowering lower_op_MatMul(const graph::OpDef&) {
  return OpLowering{
      .compute = matmul,
      .family = always(ScheduleFamily::Dense),
      .packed_input = [](const graph::Node&) -> std::optional<PackedInput> {
        return PackedInput{1, -1};
      },
  };
}

// The gradients are reductions of family Dense: the dense schedule vectorizes the last output
// axis (dA's k: B read with a stride; dB's j: dY read contiguously) with the reduction loops
// (broadcast batch axes, then j or i) inside it, and holds for any loop names and extents
// (a guarded tail, a rank-1 result).
OpLowering lower_op_MatMulGradA(const graph::OpDef&) {
  return OpLowering{.compute = matmul_grad_a, .family = always(ScheduleFamily::Dense)};
}
OpLowering lower_op_MatMulGradB(const graph::OpDef&) {
  return OpLowering{.compute = matmul_grad_b, .family = always(ScheduleFamily::Dense)};
}

}  // namespace nas::lower
