// Stages and a differential runner shared by the schedule tests: every scheduled nest runs
// in the interpreter next to the naive nest (compute.h's lower) on the same random inputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "compiler/loop/compute.h"
#include "compiler/loop/interpret.h"
#include "compiler/loop/schedule.h"
#include "compiler/support/random.h"

namespace nas::loop::testing {

struct Stages {
  std::vector<Tensor> inputs;
  std::vector<Tensor> stages;  // the last one is the result
};

inline Expr i32(int64_t v) { return make_const(Type::i32(), v); }

inline Stages matmul(int64_t M, int64_t K, int64_t N) {
  Tensor A = Tensor::placeholder("A", {M, K}), B = Tensor::placeholder("B", {K, N});
  Axis k = reduce_axis("k", K);
  Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& ij) {
    return sum(A(ij[0], k) * B(k, ij[1]), {k});
  });
  return {{A, B}, {C}};
}

// conv2d NCHW with zero padding (a padding stage), a stride, and bias + ReLU as the
// epilogue of the reduction (or as a separate stage when `separate_epilogue`).
inline Stages conv2d(int64_t N, int64_t C, int64_t H, int64_t W, int64_t F, int64_t R,
                     int64_t pad, int64_t stride, bool separate_epilogue = false) {
  const int64_t HP = H + 2 * pad, WP = W + 2 * pad;
  const int64_t OH = (HP - R) / stride + 1, OW = (WP - R) / stride + 1;
  Tensor in = Tensor::placeholder("in", {N, C, H, W});
  Tensor weight = Tensor::placeholder("weight", {F, C, R, R});
  Tensor bias = Tensor::placeholder("bias", {F});
  Tensor padded = compute(
      "padded", {N, C, HP, WP},
      [&](const std::vector<Var>& v) {
        const Expr h = v[2] - i32(pad), w = v[3] - i32(pad);
        const Expr inside = h >= 0 && h < i32(H) && w >= 0 && w < i32(W);
        const Expr hc = max(min(h, i32(H - 1)), 0), wc = max(min(w, i32(W - 1)), 0);
        return select(inside, in(v[0], v[1], hc, wc), make_zero(Type::f32()));
      },
      {{"n", "c", "h", "w"}, {}});
  Axis ic = reduce_axis("ic", C), kh = reduce_axis("kh", R), kw = reduce_axis("kw", R);
  ComputeOptions options{{"n", "oc", "oh", "ow"}, {}};
  if (!separate_epilogue)
    options.epilogue = [bias](const Expr& reduced, const std::vector<Var>& v) {
      return max(reduced + bias(v[1]), make_zero(Type::f32()));
    };
  Tensor conv = compute(
      "conv", {N, F, OH, OW},
      [&](const std::vector<Var>& v) {
        return sum(padded(v[0], ic, v[2] * i32(stride) + kh.var, v[3] * i32(stride) + kw.var) *
                       weight(v[1], ic, kh, kw),
                   {ic, kh, kw});
      },
      options);
  if (!separate_epilogue) return {{in, weight, bias}, {padded, conv}};
  Tensor out = compute(
      "out", {N, F, OH, OW},
      [&](const std::vector<Var>& v) {
        return max(conv(v[0], v[1], v[2], v[3]) + bias(v[1]), make_zero(Type::f32()));
      },
      {{"n", "oc", "oh", "ow"}, {}});
  return {{in, weight, bias}, {padded, conv, out}};
}

inline Stages depthwise_conv(int64_t C, int64_t H, int64_t W, int64_t R) {
  Tensor in = Tensor::placeholder("in", {1, C, H, W});
  Tensor weight = Tensor::placeholder("weight", {C, 1, R, R});
  Axis kh = reduce_axis("kh", R), kw = reduce_axis("kw", R);
  Tensor out = compute(
      "dw", {1, C, H - R + 1, W - R + 1},
      [&](const std::vector<Var>& v) {
        return sum(in(v[0], v[1], v[2] + kh.var, v[3] + kw.var) * weight(v[1], 0, kh, kw), {kh, kw});
      },
      {{"n", "c", "oh", "ow"}, {}});
  return {{in, weight}, {out}};
}

inline Stages max_pool(int64_t C, int64_t H, int64_t W, int64_t R, int64_t stride) {
  Tensor in = Tensor::placeholder("in", {1, C, H, W});
  Axis kh = reduce_axis("kh", R), kw = reduce_axis("kw", R);
  Tensor out = compute(
      "pool", {1, C, (H - R) / stride + 1, (W - R) / stride + 1},
      [&](const std::vector<Var>& v) {
        return maximum(in(v[0], v[1], v[2] * i32(stride) + kh.var, v[3] * i32(stride) + kw.var),
                       {kh, kw});
      },
      {{"n", "c", "oh", "ow"}, {}});
  return {{in}, {out}};
}

inline Stages elementwise_chain(int64_t M, int64_t N) {
  Tensor A = Tensor::placeholder("A", {M, N});
  Tensor B = compute("B", {M, N}, [&](const std::vector<Var>& v) {
    return A(v[0], v[1]) * 2.0f + 1.0f;
  });
  Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& v) {
    return B(v[0], v[1]) * B(v[0], v[1]) - A(v[0], v[1]);
  });
  return {{A}, {B, C}};
}

// Runs `nest` over random inputs (seeded) and returns the result stage's values.
inline std::vector<float> run(const Stages& s, const Stmt& nest, uint64_t seed) {
  std::vector<std::vector<float>> data;
  for (const Tensor& t : s.inputs) {
    SplitMix64 rng(seed++);
    std::vector<float> v(t.buffer().numel());
    for (float& x : v) x = static_cast<float>(rng.uniform() * 2 - 1);
    data.push_back(std::move(v));
  }
  for (const Tensor& t : s.stages) data.emplace_back(t.buffer().numel(), std::nanf(""));
  Interpreter interp;
  for (size_t i = 0; i < s.inputs.size(); ++i) interp.bind(s.inputs[i].buffer(), data[i]);
  for (size_t i = 0; i < s.stages.size(); ++i) interp.bind(s.stages[i].buffer(), data[s.inputs.size() + i]);
  interp.run(nest);
  return data.back();
}

// The scheduled nest computes `want` (the naive nest's result): exactly, or within a
// relative tolerance when the schedule may reorder a reduction.
inline void expect_result(const Stages& s, const std::vector<float>& want, const Schedule& schedule,
                          bool exact, const std::string& context = "") {
  const std::vector<float> got = run(s, lower(s.stages, schedule), 7);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (exact) {
      ASSERT_EQ(want[i], got[i]) << "element " << i << "\n" << schedule.str() << context;
    } else {
      ASSERT_NEAR(want[i], got[i], 1e-5f * (1 + std::fabs(want[i])))
          << "element " << i << "\n" << schedule.str() << context;
    }
  }
}

inline std::vector<float> naive_result(const Stages& s) { return run(s, lower(s.stages), 7); }

inline void expect_same_result(const Stages& s, const Schedule& schedule, bool exact,
                               const std::string& context = "") {
  expect_result(s, naive_result(s), schedule, exact, context);
}

}  // namespace nas::loop::testing
