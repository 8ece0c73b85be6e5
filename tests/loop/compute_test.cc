// Compute definitions and their naive lowering, run by the interpreter against plain C++.
#include "compiler/loop/compute.h"

#include <gtest/gtest.h>

#include "compiler/loop/interpret.h"
#include "compiler/loop/printer.h"
#include "compiler/loop/simplify.h"
#include "compiler/support/error.h"
#include "compiler/support/random.h"

namespace nas::loop {
namespace {

std::vector<float> random_values(int64_t n, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform() * 2 - 1);
  return v;
}

TEST(LoopCompute, MatmulLowersToTheNaiveNest) {
  Tensor A = Tensor::placeholder("A", {2, 4}), B = Tensor::placeholder("B", {4, 3});
  Axis k = reduce_axis("k", 4);
  Tensor C = compute("C", {2, 3}, [&](const std::vector<Var>& ij) {
    return sum(A(ij[0], k) * B(k, ij[1]), {k});
  });
  EXPECT_EQ(print(lower({C})),
            "for (i0, 0, 2) {\n"
            "  for (i1, 0, 3) {\n"
            "    C[i0*3 + i1] = 0.0f\n"
            "    for (k, 0, 4) {\n"
            "      C[i0*3 + i1] = C[i0*3 + i1] + A[i0*4 + k]*B[k*3 + i1]\n"
            "    }\n"
            "  }\n"
            "}\n");
}

TEST(LoopCompute, MatmulMatchesAReference) {
  const int64_t M = 5, K = 7, N = 3;
  Tensor A = Tensor::placeholder("A", {M, K}), B = Tensor::placeholder("B", {K, N});
  Axis k = reduce_axis("k", K);
  Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& ij) {
    return sum(A(ij[0], k) * B(k, ij[1]), {k});
  });
  std::vector<float> a = random_values(M * K, 1), b = random_values(K * N, 2), c(M * N);
  Interpreter interp;
  interp.bind(A.buffer(), a);
  interp.bind(B.buffer(), b);
  interp.bind(C.buffer(), c);
  interp.run(lower({C}));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float expected = 0;
      for (int64_t r = 0; r < K; ++r) expected = expected + a[i * K + r] * b[r * N + j];
      EXPECT_EQ(c[i * N + j], expected) << i << "," << j;
    }
}

// conv2d NCHW, stride 1, zero padding through a padded stage, then a bias and ReLU stage.
TEST(LoopCompute, Conv2dWithPaddingBiasAndReluMatchesAReference) {
  const int64_t N = 2, C = 3, H = 5, W = 4, F = 4, R = 3, S = 3, P = 1;
  const int64_t HP = H + 2 * P, WP = W + 2 * P, OH = HP - R + 1, OW = WP - S + 1;
  Tensor in = Tensor::placeholder("in", {N, C, H, W});
  Tensor weight = Tensor::placeholder("weight", {F, C, R, S});
  Tensor bias = Tensor::placeholder("bias", {F});
  Tensor padded = compute("padded", {N, C, HP, WP}, [&](const std::vector<Var>& v) {
    const Expr h = v[2] - static_cast<int>(P), w = v[3] - static_cast<int>(P);
    const Expr inside = h >= 0 && h < static_cast<int>(H) && w >= 0 && w < static_cast<int>(W);
    // Clamped, because select evaluates both values.
    const Expr hc = max(min(h, static_cast<int>(H - 1)), 0), wc = max(min(w, static_cast<int>(W - 1)), 0);
    return select(inside, in(v[0], v[1], hc, wc), make_zero(Type::f32()));
  });
  Axis rc = reduce_axis("rc", C), rr = reduce_axis("rr", R), rs = reduce_axis("rs", S);
  Tensor conv = compute("conv", {N, F, OH, OW}, [&](const std::vector<Var>& v) {
    return sum(padded(v[0], rc, v[2] + rr.var, v[3] + rs.var) * weight(v[1], rc, rr, rs),
               {rc, rr, rs});
  });
  Tensor out = compute("out", {N, F, OH, OW}, [&](const std::vector<Var>& v) {
    return max(conv(v[0], v[1], v[2], v[3]) + bias(v[1]), make_zero(Type::f32()));
  });

  std::vector<float> x = random_values(N * C * H * W, 3), wt = random_values(F * C * R * S, 4),
                     b = random_values(F, 5);
  std::vector<float> pad_data(N * C * HP * WP), conv_data(N * F * OH * OW), y(N * F * OH * OW);
  const Stmt nest = lower({padded, conv, out});
  for (const Stmt& program : {nest, simplify(nest)}) {
    Interpreter interp;
    interp.bind(in.buffer(), x);
    interp.bind(weight.buffer(), wt);
    interp.bind(bias.buffer(), b);
    interp.bind(padded.buffer(), pad_data);
    interp.bind(conv.buffer(), conv_data);
    interp.bind(out.buffer(), y);
    interp.run(program);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t f = 0; f < F; ++f)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            float acc = 0;
            for (int64_t c = 0; c < C; ++c)
              for (int64_t r = 0; r < R; ++r)
                for (int64_t s = 0; s < S; ++s) {
                  const int64_t h = oh + r - P, w = ow + s - P;
                  const float v = (h >= 0 && h < H && w >= 0 && w < W) ? x[((n * C + c) * H + h) * W + w] : 0.0f;
                  acc = acc + v * wt[((f * C + c) * R + r) * S + s];
                }
            const float expected = std::max(acc + b[f], 0.0f);
            ASSERT_EQ(y[((n * F + f) * OH + oh) * OW + ow], expected) << n << f << oh << ow;
          }
  }
}

TEST(LoopCompute, EpilogueIsStoredAfterTheReductionOverNamedAxes) {
  Tensor A = Tensor::placeholder("A", {2, 3}), bias = Tensor::placeholder("bias", {2});
  Axis k = reduce_axis("k", 3);
  Tensor C = compute(
      "C", {2}, [&](const std::vector<Var>& i) { return sum(A(i[0], k), {k}); },
      {.axis_names = {"row"},
       .epilogue = [&](const Expr& acc, const std::vector<Var>& i) {
         return max(acc + bias(i[0]), 0.0f);
       }});
  EXPECT_EQ(print(lower({C})),
            "for (row, 0, 2) {\n"
            "  C[row] = 0.0f\n"
            "  for (k, 0, 3) {\n"
            "    C[row] = C[row] + A[row*3 + k]\n"
            "  }\n"
            "  C[row] = max(C[row] + bias[row], 0.0f)\n"
            "}\n");
  std::vector<float> a = {1, 2, 3, -4, -5, 6}, b = {0.5f, 1}, c(2);
  Interpreter interp;
  interp.bind(A.buffer(), a);
  interp.bind(bias.buffer(), b);
  interp.bind(C.buffer(), c);
  interp.run(lower({C}));
  EXPECT_EQ(c[0], 6.5f);  // 1 + 2 + 3 + 0.5
  EXPECT_EQ(c[1], 0.0f);  // max(-4 - 5 + 6 + 1, 0)
}

TEST(LoopCompute, MaxReductionStartsFromMinusInfinity) {
  Tensor in = Tensor::placeholder("in", {2, 3});
  Axis j = reduce_axis("j", 3);
  Tensor m = compute("m", {2}, [&](const std::vector<Var>& i) { return maximum(in(i[0], j), {j}); });
  EXPECT_EQ(print(lower({m})),
            "for (i0, 0, 2) {\n"
            "  m[i0] = -inf\n"
            "  for (j, 0, 3) {\n"
            "    m[i0] = max(m[i0], in[i0*3 + j])\n"
            "  }\n"
            "}\n");
  std::vector<float> x = {-5, -7, -6, 1, 3, 2}, y(2);
  Interpreter interp;
  interp.bind(in.buffer(), x);
  interp.bind(m.buffer(), y);
  interp.run(lower({m}));
  EXPECT_EQ(y, (std::vector<float>{-5, 3}));
}

TEST(LoopCompute, StagesMustComeAfterWhatTheyRead) {
  Tensor in = Tensor::placeholder("in", {4});
  Tensor a = compute("a", {4}, [&](const std::vector<Var>& i) { return in(i[0]) * 2.0f; });
  Tensor b = compute("b", {4}, [&](const std::vector<Var>& i) { return a(i[0]) + 1.0f; });
  EXPECT_NO_THROW(lower({a, b}));
  EXPECT_THROW(lower({b, a}), InternalError);
  EXPECT_THROW(lower({in}), InternalError);
  EXPECT_THROW(in(1, 2), InternalError);
}

}  // namespace
}  // namespace nas::loop
