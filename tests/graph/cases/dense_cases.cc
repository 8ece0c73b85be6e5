// Cases for ops/dense.cc and ops/reduce.cc.
#include <fmt/format.h>

#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

// A = [[1,2],[3,4]] and B = [[5,6],[7,8]] in the Gemm and MatMul hand cases.
Tensor mat_a() { return Tensor::f32({2, 2}, {1, 2, 3, 4}); }
Tensor mat_b() { return Tensor::f32({2, 2}, {5, 6, 7, 8}); }

// Random i64 labels in [0, classes).
Tensor random_labels(Rng& rng, Shape shape, int64_t classes) {
  Tensor t(DType::I64, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = random_int(rng, 0, classes - 1);
  return t;
}

// ---- Gemm ------------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Gemm",
    .name = "Gemm.hand_bias_row",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gemm", {mat_a(), mat_b(), Tensor::f32({2}, {10, 20})});
    },
    // AB = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19,22],[43,50]]; + [10,20] per row.
    .expected = {Tensor::f32({2, 2}, {29, 42, 53, 70})},
});

NAS_OP_CASE({
    .op = "Gemm",
    .name = "Gemm.hand_trans_both_alpha_beta",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gemm", {mat_a(), mat_b(), Tensor::f32({2, 1}, {1, 2})},
                {{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.0f}});
    },
    // A^T B^T = [[1,3],[2,4]] [[5,7],[6,8]] = [[23,31],[34,46]]; * 0.5 = [[11.5,15.5],[17,23]];
    // + 2 * [[1],[2]] = [[13.5,17.5],[21,27]].
    .expected = {Tensor::f32({2, 2}, {13.5f, 17.5f, 21, 27})},
});

NAS_OP_CASE({
    .op = "Gemm",
    .name = "Gemm.hand_transA_no_bias",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gemm", {mat_a(), mat_b()}, {{"transA", int64_t{1}}});
    },
    // A^T B = [[1,3],[2,4]] [[5,6],[7,8]] = [[5+21, 6+24], [10+28, 12+32]].
    .expected = {Tensor::f32({2, 2}, {26, 30, 38, 44})},
});

NAS_OP_CASE({
    .op = "Gemm",
    .name = "Gemm.hand_transB_scalar_bias",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gemm", {mat_a(), mat_b(), Tensor::f32({}, {1})},
                {{"transB", int64_t{1}}, {"beta", -1.0f}});
    },
    // A B^T = [[1,2],[3,4]] [[5,7],[6,8]] = [[17,23],[39,53]]; - 1.
    .expected = {Tensor::f32({2, 2}, {16, 22, 38, 52})},
});

// Every transA/transB combination, each with its own bias shape (and one without bias).
const bool gemm_random_cases = [] {
  const std::vector<std::string> bias_kinds = {"none", "scalar", "row", "column", "full",
                                               "1xN"};
  for (int ta = 0; ta <= 1; ++ta)
    for (int tb = 0; tb <= 1; ++tb)
      for (int variant = 0; variant < 2; ++variant) {
        const std::string bias = bias_kinds[(ta * 2 + tb + variant * 4) % bias_kinds.size()];
        register_op_case({
            .op = "Gemm",
            .name = fmt::format("Gemm.random_tA{}_tB{}_bias_{}", ta, tb, bias),
            .build = [=](Rng& rng, Graph& g, std::vector<Tensor>& in) {
              const int64_t m = random_int(rng, 1, 5), k = random_int(rng, 1, 6),
                            n = random_int(rng, 1, 5);
              std::vector<Tensor> values{random_tensor(rng, ta ? Shape{k, m} : Shape{m, k}),
                                         random_tensor(rng, tb ? Shape{n, k} : Shape{k, n})};
              if (bias == "scalar") values.push_back(random_tensor(rng, {}));
              if (bias == "row") values.push_back(random_tensor(rng, {n}));
              if (bias == "1xN") values.push_back(random_tensor(rng, {1, n}));
              if (bias == "column") values.push_back(random_tensor(rng, {m, 1}));
              if (bias == "full") values.push_back(random_tensor(rng, {m, n}));
              single_op(g, in, "Gemm", std::move(values),
                        {{"transA", int64_t{ta}},
                         {"transB", int64_t{tb}},
                         {"alpha", variant ? 0.75f : 1.0f},
                         {"beta", variant ? -1.5f : 1.0f}});
            },
        });
      }
  return true;
}();

// ---- MatMul ----------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "MatMul",
    .name = "MatMul.hand_broadcast_batch",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MatMul", {Tensor::f32({2, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0}), mat_b()});
    },
    // Batch 0: A B = [[19,22],[43,50]]; batch 1: [[0,1],[1,0]] B swaps B's rows.
    .expected = {Tensor::f32({2, 2, 2}, {19, 22, 43, 50, 7, 8, 5, 6})},
});

NAS_OP_CASE({
    .op = "MatMul",
    .name = "MatMul.hand_vector_times_batch",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MatMul",
                {Tensor::f32({3}, {1, 2, 3}),
                 Tensor::f32({2, 3, 2}, {1, 0, 0, 1, 1, 1, 2, 0, 0, 0, 0, 1})});
    },
    // [1,2,3] [[1,0],[0,1],[1,1]] = [4,5]; [1,2,3] [[2,0],[0,0],[0,1]] = [2,3]. The vector's
    // M axis is dropped: [2,2], not [2,1,2].
    .expected = {Tensor::f32({2, 2}, {4, 5, 2, 3})},
});

struct MatMulShapes {
  std::string what;
  std::function<std::pair<Shape, Shape>(int64_t m, int64_t k, int64_t n)> shapes;
};

const bool matmul_random_cases = [] {
  const std::vector<MatMulShapes> configs = {
      {"2d", [](int64_t m, int64_t k, int64_t n) { return std::pair{Shape{m, k}, Shape{k, n}}; }},
      {"batch_times_matrix",
       [](int64_t m, int64_t k, int64_t n) { return std::pair{Shape{2, 3, m, k}, Shape{k, n}}; }},
      {"matrix_times_batch",
       [](int64_t m, int64_t k, int64_t n) { return std::pair{Shape{m, k}, Shape{2, k, n}}; }},
      {"both_batches_broadcast",
       [](int64_t m, int64_t k, int64_t n) {
         return std::pair{Shape{3, 1, m, k}, Shape{2, k, n}};
       }},
      {"vector_times_batch",
       [](int64_t, int64_t k, int64_t n) { return std::pair{Shape{k}, Shape{2, k, n}}; }},
      {"batch_times_vector",
       [](int64_t m, int64_t k, int64_t) { return std::pair{Shape{2, m, k}, Shape{k}}; }},
      {"vector_dot", [](int64_t, int64_t k, int64_t) { return std::pair{Shape{k}, Shape{k}}; }},
  };
  for (const MatMulShapes& config : configs)
    register_op_case({
        .op = "MatMul",
        .name = "MatMul.random_" + config.what,
        .build = [config](Rng& rng, Graph& g, std::vector<Tensor>& in) {
          const int64_t m = random_int(rng, 1, 4), k = random_int(rng, 1, 5),
                        n = random_int(rng, 1, 4);
          auto [a, b] = config.shapes(m, k, n);
          single_op(g, in, "MatMul", {random_tensor(rng, a), random_tensor(rng, b)});
        },
    });
  return true;
}();

NAS_OP_CASE({
    .op = "MatMulGradA",
    .name = "MatMulGradA.hand_batch_sum",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MatMulGradA",
                {Tensor::f32({2, 2, 2}, {1, 0, 0, 1, 1, 1, 1, 1}),
                 Tensor::f32({2, 2, 2}, {5, 6, 7, 8, 5, 6, 7, 8})},
                {{"a_shape", Shape{2, 2}}});
    },
    // B is batch [B, B] and A [2,2] broadcasts against it.
    // dy0 B^T = B^T = [[5,7],[6,8]]; dy1 B^T = ones B^T = [[11,15],[11,15]]; summed over batch.
    .expected = {Tensor::f32({2, 2}, {16, 22, 17, 23})},
    .onnx = false,
});

NAS_OP_CASE({
    .op = "MatMulGradB",
    .name = "MatMulGradB.hand_batch_sum",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "MatMulGradB",
                {Tensor::f32({2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1}),
                 Tensor::f32({2, 2, 2}, {1, 0, 0, 1, 1, 0, 0, 1})},
                {{"b_shape", Shape{2, 2}}});
    },
    // A0^T I + A1^T I = [[1,3],[2,4]] + [[1,0],[0,1]].
    .expected = {Tensor::f32({2, 2}, {2, 3, 2, 5})},
    .onnx = false,
});

// ---- ReduceMean ------------------------------------------------------------------------

Tensor one_to_six() { return Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6}); }

NAS_OP_CASE({
    .op = "ReduceMean",
    .name = "ReduceMean.hand_axis1_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMean", {one_to_six()}, {{"axes", Shape{1}}});
    },
    .expected = {Tensor::f32({2, 1}, {2, 5})},  // (1+2+3)/3, (4+5+6)/3
});

NAS_OP_CASE({
    .op = "ReduceMean",
    .name = "ReduceMean.hand_axis1_no_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMean", {one_to_six()},
                {{"axes", Shape{1}}, {"keepdims", int64_t{0}}});
    },
    .expected = {Tensor::f32({2}, {2, 5})},
});

NAS_OP_CASE({
    .op = "ReduceMean",
    .name = "ReduceMean.hand_negative_axis",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMean", {one_to_six()}, {{"axes", Shape{-2}}});
    },
    .expected = {Tensor::f32({1, 3}, {2.5f, 3.5f, 4.5f})},  // column means
});

NAS_OP_CASE({
    .op = "ReduceMean",
    .name = "ReduceMean.hand_all_axes",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMean", {one_to_six()});
    },
    .expected = {Tensor::f32({1, 1}, {3.5f})},  // 21 / 6
});

NAS_OP_CASE({
    .op = "ReduceMean",
    .name = "ReduceMean.hand_all_axes_no_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMean", {one_to_six()}, {{"keepdims", int64_t{0}}});
    },
    .expected = {Tensor::f32({}, {3.5f})},
});

const bool reduce_mean_random_cases = [] {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> axes = {
      {"axis1", {1}}, {"axes_0_2", {0, 2}}, {"axis_neg1", {-1}}, {"all", {}},
      {"axes_neg3_1", {-3, 1}}};
  for (const auto& [what, ax] : axes)
    for (int64_t keepdims = 0; keepdims <= 1; ++keepdims)
      register_op_case({
          .op = "ReduceMean",
          .name = fmt::format("ReduceMean.random_{}_keepdims{}", what, keepdims),
          .build = [ax, keepdims](Rng& rng, Graph& g, std::vector<Tensor>& in) {
            const Shape s{random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 1, 6)};
            single_op(g, in, "ReduceMean", {random_tensor(rng, s)},
                      {{"axes", ax}, {"keepdims", keepdims}});
          },
      });
  return true;
}();

NAS_OP_CASE({
    .op = "ReduceMeanGrad",
    .name = "ReduceMeanGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMeanGrad", {Tensor::f32({2}, {3, 6})},
                {{"axes", Shape{-1}}, {"keepdims", int64_t{0}}, {"input_shape", Shape{2, 3}}});
    },
    .expected = {Tensor::f32({2, 3}, {1, 1, 1, 2, 2, 2})},  // dy / 3 broadcast along axis 1
    .onnx = false,
});

// ---- ReduceMax -------------------------------------------------------------------------

// [[1,5,3],[4,2,6]], used by the ReduceMax hand cases.
Tensor max_x() { return Tensor::f32({2, 3}, {1, 5, 3, 4, 2, 6}); }

NAS_OP_CASE({
    .op = "ReduceMax",
    .name = "ReduceMax.hand_axis1_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMax", {max_x()}, {{"axes", Shape{1}}});
    },
    .expected = {Tensor::f32({2, 1}, {5, 6})},
});

NAS_OP_CASE({
    .op = "ReduceMax",
    .name = "ReduceMax.hand_negative_axis_no_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMax", {max_x()}, {{"axes", Shape{-2}}, {"keepdims", int64_t{0}}});
    },
    .expected = {Tensor::f32({3}, {4, 5, 6})},  // column maxima
});

NAS_OP_CASE({
    .op = "ReduceMax",
    .name = "ReduceMax.hand_all_axes",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMax", {max_x()});
    },
    .expected = {Tensor::f32({1, 1}, {6})},
});

// All negative: the maximum is not clipped at 0.
NAS_OP_CASE({
    .op = "ReduceMax",
    .name = "ReduceMax.hand_all_axes_no_keepdims_negative",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMax", {Tensor::f32({3}, {-3, -1, -2})}, {{"keepdims", int64_t{0}}});
    },
    .expected = {Tensor::f32({}, {-1})},
});

// Values kept apart, so central differences never straddle a change of maximum.
const bool reduce_max_random_cases = [] {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> axes = {
      {"axis1", {1}}, {"axes_0_2", {0, 2}}, {"axis_neg1", {-1}}, {"all", {}}};
  for (const auto& [what, ax] : axes)
    for (int64_t keepdims = 0; keepdims <= 1; ++keepdims)
      register_op_case({
          .op = "ReduceMax",
          .name = fmt::format("ReduceMax.random_{}_keepdims{}", what, keepdims),
          .build = [ax, keepdims](Rng& rng, Graph& g, std::vector<Tensor>& in) {
            const Shape s{random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 1, 6)};
            single_op(g, in, "ReduceMax", {random_tensor_away_from(rng, s, {}, 0.1)},
                      {{"axes", ax}, {"keepdims", keepdims}});
          },
      });
  return true;
}();

// Ties go to the first maximum in row-major order: along axis 1 of [[2,7,7],[5,5,1]], the
// 7 at (0,1) and the 5 at (1,0) take dy.
NAS_OP_CASE({
    .op = "ReduceMaxGrad",
    .name = "ReduceMaxGrad.hand_ties",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMaxGrad",
                {Tensor::f32({2, 1}, {10, 20}), Tensor::f32({2, 3}, {2, 7, 7, 5, 5, 1})},
                {{"axes", Shape{1}}});
    },
    .expected = {Tensor::f32({2, 3}, {0, 10, 0, 20, 0, 0})},
    .onnx = false,
});

// Along axis 0 of [[2,7,1],[2,3,1]] without keepdims: columns 0 and 2 tie, row 0 takes dy.
NAS_OP_CASE({
    .op = "ReduceMaxGrad",
    .name = "ReduceMaxGrad.hand_ties_axis0_no_keepdims",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMaxGrad",
                {Tensor::f32({3}, {10, 20, 30}), Tensor::f32({2, 3}, {2, 7, 1, 2, 3, 1})},
                {{"axes", Shape{0}}, {"keepdims", int64_t{0}}});
    },
    .expected = {Tensor::f32({2, 3}, {10, 20, 30, 0, 0, 0})},
    .onnx = false,
});

// Over all axes of a [2,2,2] block whose maximum 4 appears at (0,1,1) and (1,0,0).
NAS_OP_CASE({
    .op = "ReduceMaxGrad",
    .name = "ReduceMaxGrad.hand_ties_all_axes",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceMaxGrad",
                {Tensor::f32({1, 1, 1}, {5}), Tensor::f32({2, 2, 2}, {1, 0, 3, 4, 4, 2, 0, 1})});
    },
    .expected = {Tensor::f32({2, 2, 2}, {0, 0, 0, 5, 0, 0, 0, 0})},
    .onnx = false,
});

// ---- Softmax ---------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Softmax",
    .name = "Softmax.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Softmax", {Tensor::f32({3}, {1, 2, 3})});
    },
    // exp([-2,-1,0]) = [0.135335, 0.367879, 1], sum 1.503215.
    .expected = {Tensor::f32({3}, {0.090031f, 0.244728f, 0.665241f})},
    .tolerance = 1e-6,
});

NAS_OP_CASE({
    .op = "Softmax",
    .name = "Softmax.hand_axis0_large_values",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // Large values: a naive exp overflows; subtracting the max keeps it exact.
      single_op(g, in, "Softmax", {Tensor::f32({2, 2}, {1000, 5, 1000, 7})},
                {{"axis", int64_t{0}}});
    },
    // Column 0: equal values -> 1/2 each. Column 1: [5,7] -> [1/(1+e^2), e^2/(1+e^2)].
    .expected = {Tensor::f32({2, 2}, {0.5f, 0.119203f, 0.5f, 0.880797f})},
});

const bool softmax_random_cases = [] {
  for (int64_t axis : {-1, 0, 1, -3})
    register_op_case({
        .op = "Softmax",
        .name = fmt::format("Softmax.random_axis{}", axis < 0 ? fmt::format("_neg{}", -axis)
                                                             : std::to_string(axis)),
        .build = [axis](Rng& rng, Graph& g, std::vector<Tensor>& in) {
          const Shape s{random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 2, 6)};
          single_op(g, in, "Softmax", {random_tensor(rng, s, -3, 3)}, {{"axis", axis}});
        },
    });
  return true;
}();

NAS_OP_CASE({
    .op = "SoftmaxGrad",
    .name = "SoftmaxGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxGrad",
                {Tensor::f32({3}, {1, 2, 3}), Tensor::f32({3}, {0.2f, 0.3f, 0.5f})});
    },
    // sum(dy*y) = 0.2 + 0.6 + 1.5 = 2.3; y * (dy - 2.3) = [0.2*-1.3, 0.3*-0.3, 0.5*0.7].
    .expected = {Tensor::f32({3}, {-0.26f, -0.09f, 0.35f})},
    .onnx = false,
});

// ---- SoftmaxCrossEntropy ---------------------------------------------------------------
//
// Hand cases: scores [[1,2,3],[0,0,0]], labels [2,0].
// Row 0: log_softmax = [1,2,3] - 3 - log(e^-2 + e^-1 + 1) = [-2.407606, -1.407606, -0.407606].
// Row 1: log_softmax = -log 3 = -1.098612 each.
// Per-sample losses -log_prob[label]: [0.407606, 1.098612].

Tensor ce_scores() { return Tensor::f32({2, 3}, {1, 2, 3, 0, 0, 0}); }
Tensor ce_log_prob() {
  return Tensor::f32({2, 3}, {-2.4076059644f, -1.4076059644f, -0.4076059644f, -1.0986122887f,
                              -1.0986122887f, -1.0986122887f});
}

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_mean",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropy", {ce_scores(), Tensor::i64({2}, {2, 0})});
    },
    // (0.407606 + 1.098612) / 2
    .expected = {Tensor::f32({}, {0.7531091266f}), ce_log_prob()},
});

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_sum",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropy", {ce_scores(), Tensor::i64({2}, {2, 0})},
                {{"reduction", std::string("sum")}});
    },
    .expected = {Tensor::f32({}, {1.5062182531f}), ce_log_prob()},
});

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_none",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropy", {ce_scores(), Tensor::i64({2}, {2, 0})},
                {{"reduction", std::string("none")}});
    },
    .expected = {Tensor::f32({2}, {0.4076059644f, 1.0986122887f}), ce_log_prob()},
});

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_weighted_mean",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropy",
                {ce_scores(), Tensor::i64({2}, {2, 0}), Tensor::f32({3}, {1, 2, 3})});
    },
    // (w[2] * 0.407606 + w[0] * 1.098612) / (w[2] + w[0]) = (1.222818 + 1.098612) / 4.
    .expected = {Tensor::f32({}, {0.5803575455f}), ce_log_prob()},
});

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_ignore_index",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // The ignored label need not be a valid class.
      single_op(g, in, "SoftmaxCrossEntropy", {ce_scores(), Tensor::i64({2}, {2, -100})},
                {{"ignore_index", int64_t{-100}}});
    },
    // Only sample 0 counts: 0.407606 / 1.
    .expected = {Tensor::f32({}, {0.4076059644f}), ce_log_prob()},
});

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropy",
    .name = "SoftmaxCrossEntropy.hand_ignore_index_none_weighted",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropy",
                {ce_scores(), Tensor::i64({2}, {2, 0}), Tensor::f32({3}, {1, 2, 3})},
                {{"reduction", std::string("none")}, {"ignore_index", int64_t{0}}});
    },
    // Sample 0: 3 * 0.407606; sample 1 has the ignored label 0.
    .expected = {Tensor::f32({2}, {1.2228178932f, 0}), ce_log_prob()},
});

struct CrossEntropyConfig {
  std::string what;
  std::string reduction = "mean";
  bool weights = false;          // class weights, a constant (not differentiated)
  bool ignore = false;           // some labels are ignore_index
  bool spatial = false;          // scores [N,C,D], labels [N,D]
  int outputs = 3;               // bit 0: loss is a graph output; bit 1: log_prob
};

const bool cross_entropy_random_cases = [] {
  const std::vector<CrossEntropyConfig> configs = {
      {.what = "mean"},
      {.what = "sum_weighted", .reduction = "sum", .weights = true},
      {.what = "none", .reduction = "none"},
      {.what = "mean_weighted_ignore", .weights = true, .ignore = true},
      {.what = "none_ignore_spatial", .reduction = "none", .ignore = true, .spatial = true},
      {.what = "mean_spatial_weighted", .weights = true, .spatial = true},
      {.what = "mean_loss_only", .outputs = 1},
      {.what = "log_prob_only", .reduction = "sum", .outputs = 2},
  };
  for (const CrossEntropyConfig& config : configs)
    register_op_case({
        .op = "SoftmaxCrossEntropy",
        .name = "SoftmaxCrossEntropy.random_" + config.what,
        .build = [config](Rng& rng, Graph& g, std::vector<Tensor>& in) {
          const int64_t n = random_int(rng, 1, 5), classes = random_int(rng, 2, 6),
                        d = random_int(rng, 1, 3);
          const int64_t ignore_index = 1;
          Shape scores_shape{n, classes}, labels_shape{n};
          if (config.spatial) {
            scores_shape.push_back(d);
            labels_shape.push_back(d);
          }
          Tensor scores = random_tensor(rng, scores_shape, -2, 2);
          Tensor labels = random_labels(rng, labels_shape, classes);
          const ValueId s = g.add_input("scores", scores.type());
          const ValueId l = g.add_input("labels", labels.type());
          std::vector<ValueId> inputs{s, l};
          Attrs attrs{{"reduction", config.reduction}};
          if (config.weights)
            inputs.push_back(g.add_constant("weights", random_tensor(rng, {classes}, 0.5, 2)));
          if (config.ignore) {
            attrs.set("ignore_index", ignore_index);
            // Sample 0 keeps a counted label, so "mean" never divides by zero.
            int64_t* pl = labels.data<int64_t>();
            if (pl[0] == ignore_index) pl[0] = 0;
          }
          in.push_back(std::move(scores));
          in.push_back(std::move(labels));
          std::vector<ValueId> outs = g.add_node("SoftmaxCrossEntropy", inputs, attrs, "node");
          if (config.outputs & 1) g.add_output(outs[0]);
          if (config.outputs & 2) g.add_output(outs[1]);
        },
    });
  return true;
}();

NAS_OP_CASE({
    .op = "SoftmaxCrossEntropyGrad",
    .name = "SoftmaxCrossEntropyGrad.hand_mean",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SoftmaxCrossEntropyGrad",
                {Tensor::f32({}, {1}), ce_scores(), Tensor::i64({2}, {2, 0})});
    },
    // (softmax - onehot(label)) / 2 per row. Row 0: softmax [0.090031, 0.244728, 0.665241];
    // row 1: 1/3 each.
    .expected = {Tensor::f32({2, 3}, {0.0450152866f, 0.1223642355f, -0.1673795221f,
                                      -1.0f / 3, 1.0f / 6, 1.0f / 6})},
    .onnx = false,
});

}  // namespace
}  // namespace nas::testing
