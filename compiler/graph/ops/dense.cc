// Dense linear algebra: Gemm and MatMul (numpy matmul with batch broadcasting), and the
// gradient ops of MatMul, which build the transposes of the last two axes into the product.
#include "compiler/graph/ops/op_helpers.h"

namespace nas::graph {
using namespace ops;

namespace {

// Checks inputs i and j are floats of one dtype.
void expect_same_float(const InferContext& c, size_t i, size_t j) {
  expect_float(c, i);
  expect_float(c, j);
  if (c.input(i).dtype != c.input(j).dtype)
    c.fail("inputs {} and {} have different types {} and {}", i, j, c.input(i).str(),
           c.input(j).str());
}

}  // namespace

// ---- Gemm ------------------------------------------------------------------------------

namespace {

struct GemmDims {
  int64_t m, k, n;
};

// Y = alpha * op(A) op(B) + beta * C; A is [M,K] or [K,M] (transA), B is [K,N] or [N,K].
GemmDims gemm_dims(const InferContext& c) {
  expect_same_float(c, 0, 1);
  const TensorType& a = c.input(0);
  const TensorType& b = c.input(1);
  if (a.rank() != 2) c.fail("A must have rank 2, got {}", a.str());
  if (b.rank() != 2) c.fail("B must have rank 2, got {}", b.str());
  const bool ta = c.attrs().i("transA") != 0, tb = c.attrs().i("transB") != 0;
  const GemmDims d{ta ? a.shape[1] : a.shape[0], ta ? a.shape[0] : a.shape[1],
                   tb ? b.shape[0] : b.shape[1]};
  const int64_t kb = tb ? b.shape[1] : b.shape[0];
  if (d.k != kb)
    c.fail("inner dimensions differ: A {} (transA={}) has K={}, B {} (transB={}) has K={}",
           shape_str(a.shape), ta ? 1 : 0, d.k, shape_str(b.shape), tb ? 1 : 0, kb);
  return d;
}

std::vector<TensorType> gemm_infer(const InferContext& c) {
  const GemmDims d = gemm_dims(c);
  const Shape out{d.m, d.n};
  if (c.has_input(2)) {
    expect_same_float(c, 0, 2);
    const Shape& cs = c.input(2).shape;
    const std::optional<Shape> b = broadcast_shapes(cs, out);
    if (cs.size() > 2 || !b || *b != out)
      c.fail("C {} does not broadcast to the output shape {}", shape_str(cs), shape_str(out));
  }
  return {TensorType{c.input(0).dtype, out}};
}

template <class T>
void gemm_kernel(const KernelContext& c) {
  const Tensor& a = c.in(0);
  const Tensor& b = c.in(1);
  Tensor& y = c.out(0);
  const bool ta = c.attrs().i("transA") != 0, tb = c.attrs().i("transB") != 0;
  const T alpha = static_cast<T>(c.attrs().f("alpha"));
  const T beta = static_cast<T>(c.attrs().f("beta"));
  const int64_t m = y.dim(0), n = y.dim(1), k = ta ? a.dim(0) : a.dim(1);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += pa[ta ? p * m + i : i * k + p] * pb[tb ? j * k + p : p * n + j];
      py[i * n + j] = alpha * sum;
    }
  if (c.has_input(2)) {
    const BroadcastIndex ic(y.shape(), c.in(2).shape());
    const T* pc = c.in(2).data<T>();
    for (int64_t i = 0; i < m * n; ++i) py[i] += beta * pc[ic(i)];
  }
}

// d(alpha op(A) op(B))/dA and /dB, as Gemm nodes; each case is the transpose algebra of
// Y = alpha A' B' with A' = op(A), B' = op(B): dA' = alpha dY B'^T, dB' = alpha A'^T dY.
std::vector<ValueId> gemm_gradient(GradContext& g) {
  const bool ta = g.node.attrs.i("transA") != 0, tb = g.node.attrs.i("transB") != 0;
  const float alpha = g.node.attrs.f("alpha");
  const float beta = g.node.attrs.f("beta");
  auto gemm = [&](ValueId a, ValueId b, bool t_a, bool t_b) {
    return g.add("Gemm", {a, b},
                 {{"alpha", alpha}, {"transA", int64_t{t_a}}, {"transB", int64_t{t_b}}});
  };
  const ValueId dy = g.dy(), a = g.x(0), b = g.x(1);
  std::vector<ValueId> grads(g.node.inputs.size(), kNoValue);
  if (g.wants_grad(0)) {
    // transA=0: dA = dY B'^T.  transA=1: dA = (dY B'^T)^T = B' dY^T.
    if (!ta) grads[0] = tb ? gemm(dy, b, false, false) : gemm(dy, b, false, true);
    else grads[0] = tb ? gemm(b, dy, true, true) : gemm(b, dy, false, true);
  }
  if (g.wants_grad(1)) {
    // transB=0: dB = A'^T dY.  transB=1: dB = (A'^T dY)^T = dY^T A'.
    if (!tb) grads[1] = ta ? gemm(a, dy, false, false) : gemm(a, dy, true, false);
    else grads[1] = ta ? gemm(dy, a, true, true) : gemm(dy, a, true, false);
  }
  if (g.wants_grad(2)) {
    ValueId scaled = dy;
    if (beta != 1.0f) {
      const ValueId bv = g.graph.add_constant(g.graph.fresh_name(g.node.name + ".beta"),
                                              Tensor::scalar_f32(beta));
      scaled = g.add("Mul", {dy, bv});
    }
    grads[2] = g.unbroadcast(scaled, g.type(g.x(2)).shape);
  }
  return grads;
}

}  // namespace

OpDef make_op_Gemm() {
  return OpDef{
      .name = "Gemm",
      .doc = "alpha * op(A) op(B) + beta * C for matrices; op transposes when transA/transB",
      .min_inputs = 2,
      .max_inputs = 3,
      .attrs = {{"alpha", AttrKind::Float, 1.0f},
                {"beta", AttrKind::Float, 1.0f},
                {"transA", AttrKind::Int, int64_t{0}},
                {"transB", AttrKind::Int, int64_t{0}}},
      .fusion = FusionClass::FusableOutput,
      .infer = gemm_infer,
      .kernel = NAS_FLOAT_KERNEL(gemm_kernel),
      .gradient = gemm_gradient,
      .flops = [](const InferContext& c) {
        const GemmDims d = gemm_dims(c);
        return 2 * d.m * d.n * d.k;
      },
      .onnx = {.op_type = "Gemm", .since_opset = 11},
  };
}

// ---- MatMul ----------------------------------------------------------------------------

namespace {

// numpy matmul geometry. A rank-1 A is [1,K] with the M axis dropped from the result, a
// rank-1 B is [K,1] with the N axis dropped. Batch axes (all but the last two) broadcast.
struct MatMulDims {
  Shape batch;            // broadcast batch shape
  Shape a_batch, b_batch; // each operand's own batch shape (empty for rank 1 and 2)
  int64_t m = 1, k = 1, n = 1;
  Shape out;              // the result's shape
  int64_t batch_count() const { return numel(batch); }
};

std::optional<MatMulDims> matmul_dims(const Shape& a, const Shape& b, std::string* why) {
  if (a.empty() || b.empty()) {
    *why = fmt::format("operands must have rank >= 1, got {} and {}", shape_str(a), shape_str(b));
    return std::nullopt;
  }
  MatMulDims d;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  d.m = a_vec ? 1 : a[a.size() - 2];
  const int64_t ka = a.back();
  const int64_t kb = b_vec ? b[0] : b[b.size() - 2];
  d.n = b_vec ? 1 : b.back();
  if (ka != kb) {
    *why = fmt::format("inner dimensions differ: {} has K={}, {} has K={}", shape_str(a), ka,
                       shape_str(b), kb);
    return std::nullopt;
  }
  d.k = ka;
  if (!a_vec) d.a_batch.assign(a.begin(), a.end() - 2);
  if (!b_vec) d.b_batch.assign(b.begin(), b.end() - 2);
  const std::optional<Shape> batch = broadcast_shapes(d.a_batch, d.b_batch);
  if (!batch) {
    *why = fmt::format("batch dimensions of {} and {} do not broadcast", shape_str(a),
                       shape_str(b));
    return std::nullopt;
  }
  d.batch = *batch;
  d.out = d.batch;
  if (!a_vec) d.out.push_back(d.m);
  if (!b_vec) d.out.push_back(d.n);
  return d;
}

MatMulDims matmul_dims_or_fail(const InferContext& c, const Shape& a, const Shape& b) {
  std::string why;
  std::optional<MatMulDims> d = matmul_dims(a, b, &why);
  if (!d) c.fail_message(why);
  return *d;
}

// Runs body(a_offset, b_offset, y_offset) for each batch element, with element offsets of
// the [M,K] block of A, the [K,N] block of B and the [M,N] block of Y.
template <class F>
void for_each_batch(const MatMulDims& d, F body) {
  const BroadcastIndex ia(d.batch, d.a_batch), ib(d.batch, d.b_batch);
  for (int64_t bi = 0; bi < d.batch_count(); ++bi)
    body(ia(bi) * d.m * d.k, ib(bi) * d.k * d.n, bi * d.m * d.n);
}

template <class T>
void matmul_kernel(const KernelContext& c) {
  std::string why;
  const MatMulDims d = *matmul_dims(c.in(0).shape(), c.in(1).shape(), &why);
  const T* pa = c.in(0).data<T>();
  const T* pb = c.in(1).data<T>();
  T* py = c.out(0).data<T>();
  for_each_batch(d, [&](int64_t oa, int64_t ob, int64_t oy) {
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t j = 0; j < d.n; ++j) {
        T sum = 0;
        for (int64_t p = 0; p < d.k; ++p) sum += pa[oa + i * d.k + p] * pb[ob + p * d.n + j];
        py[oy + i * d.n + j] = sum;
      }
  });
}

// MatMulGradA(dy, B) with attr a_shape: dA = dY B^T, summed over broadcast batch axes.
template <class T>
void matmul_grad_a_kernel(const KernelContext& c) {
  std::string why;
  const MatMulDims d = *matmul_dims(c.attrs().ints("a_shape"), c.in(1).shape(), &why);
  const T* pdy = c.in(0).data<T>();
  const T* pb = c.in(1).data<T>();
  Tensor& da = c.out(0);
  T* pda = da.data<T>();
  std::fill(pda, pda + da.numel(), T(0));
  for_each_batch(d, [&](int64_t oa, int64_t ob, int64_t oy) {
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t p = 0; p < d.k; ++p) {
        T sum = 0;
        for (int64_t j = 0; j < d.n; ++j) sum += pdy[oy + i * d.n + j] * pb[ob + p * d.n + j];
        pda[oa + i * d.k + p] += sum;
      }
  });
}

// MatMulGradB(A, dy) with attr b_shape: dB = A^T dY, summed over broadcast batch axes.
template <class T>
void matmul_grad_b_kernel(const KernelContext& c) {
  std::string why;
  const MatMulDims d = *matmul_dims(c.in(0).shape(), c.attrs().ints("b_shape"), &why);
  const T* pa = c.in(0).data<T>();
  const T* pdy = c.in(1).data<T>();
  Tensor& db = c.out(0);
  T* pdb = db.data<T>();
  std::fill(pdb, pdb + db.numel(), T(0));
  for_each_batch(d, [&](int64_t oa, int64_t ob, int64_t oy) {
    for (int64_t p = 0; p < d.k; ++p)
      for (int64_t j = 0; j < d.n; ++j) {
        T sum = 0;
        for (int64_t i = 0; i < d.m; ++i) sum += pa[oa + i * d.k + p] * pdy[oy + i * d.n + j];
        pdb[ob + p * d.n + j] += sum;
      }
  });
}

// The gradient op's dy must be what MatMul(a_shape, b_shape) gives.
void expect_matmul_dy(const InferContext& c, const MatMulDims& d, size_t dy_index) {
  if (c.input(dy_index).shape != d.out)
    c.fail("dy is {}, the MatMul output is {}", shape_str(c.input(dy_index).shape),
           shape_str(d.out));
}

int64_t matmul_flops(const MatMulDims& d) { return 2 * d.batch_count() * d.m * d.n * d.k; }

}  // namespace

OpDef make_op_MatMul() {
  return OpDef{
      .name = "MatMul",
      .doc = "numpy matmul: batched matrix product with broadcast batch axes, rank-1 operands",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::FusableOutput,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_same_float(c, 0, 1);
        return {TensorType{c.input(0).dtype,
                           matmul_dims_or_fail(c, c.input(0).shape, c.input(1).shape).out}};
      },
      .kernel = NAS_FLOAT_KERNEL(matmul_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> grads(2, kNoValue);
        const Shape& a = g.type(g.x(0)).shape;
        const Shape& b = g.type(g.x(1)).shape;
        if (g.wants_grad(0)) grads[0] = g.add("MatMulGradA", {g.dy(), g.x(1)}, {{"a_shape", a}});
        if (g.wants_grad(1)) grads[1] = g.add("MatMulGradB", {g.x(0), g.dy()}, {{"b_shape", b}});
        return grads;
      },
      .flops = [](const InferContext& c) {
        return matmul_flops(matmul_dims_or_fail(c, c.input(0).shape, c.input(1).shape));
      },
      .onnx = {.op_type = "MatMul", .since_opset = 9},
  };
}

OpDef make_op_MatMulGradA() {
  return OpDef{
      .name = "MatMulGradA",
      .doc = "gradient of MatMul wrt A: dy B^T summed to a_shape; inputs (dy, B)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = {{"a_shape", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_same_float(c, 0, 1);
        const Shape& a = c.attrs().ints("a_shape");
        expect_matmul_dy(c, matmul_dims_or_fail(c, a, c.input(1).shape), 0);
        return {TensorType{c.input(0).dtype, a}};
      },
      .kernel = NAS_FLOAT_KERNEL(matmul_grad_a_kernel),
      .gradient_of = "MatMul",
      .flops = [](const InferContext& c) {
        return matmul_flops(matmul_dims_or_fail(c, c.attrs().ints("a_shape"), c.input(1).shape));
      },
  };
}

OpDef make_op_MatMulGradB() {
  return OpDef{
      .name = "MatMulGradB",
      .doc = "gradient of MatMul wrt B: A^T dy summed to b_shape; inputs (A, dy)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = {{"b_shape", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_same_float(c, 0, 1);
        const Shape& b = c.attrs().ints("b_shape");
        expect_matmul_dy(c, matmul_dims_or_fail(c, c.input(0).shape, b), 1);
        return {TensorType{c.input(0).dtype, b}};
      },
      .kernel = NAS_FLOAT_KERNEL(matmul_grad_b_kernel),
      .gradient_of = "MatMul",
      .flops = [](const InferContext& c) {
        return matmul_flops(matmul_dims_or_fail(c, c.input(0).shape, c.attrs().ints("b_shape")));
      },
  };
}

}  // namespace nas::graph
