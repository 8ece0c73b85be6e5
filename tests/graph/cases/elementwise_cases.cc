// Cases for ops/elementwise.cc.
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

NAS_OP_CASE({
    .op = "Relu",
    .name = "Relu.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Relu", {Tensor::f32({2, 2}, {-1.5f, 0.0f, 2.0f, -0.0f})});
    },
    .expected = {Tensor::f32({2, 2}, {0.0f, 0.0f, 2.0f, 0.0f})},
});

NAS_OP_CASE({
    .op = "Relu",
    .name = "Relu.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      Shape s{random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 1, 7)};
      single_op(g, in, "Relu", {random_tensor_away_from(rng, s, {0.0})});
    },
});

NAS_OP_CASE({
    .op = "ReluGrad",
    .name = "ReluGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReluGrad",
                {Tensor::f32({3}, {10.0f, 20.0f, 30.0f}), Tensor::f32({3}, {-1.0f, 0.5f, 2.0f})});
    },
    .expected = {Tensor::f32({3}, {0.0f, 20.0f, 30.0f})},
    .onnx = false,
});

NAS_OP_CASE({
    .op = "Add",
    .name = "Add.hand_broadcast",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Add",
                {Tensor::f32({2, 1}, {1.0f, 2.0f}), Tensor::f32({3}, {10.0f, 20.0f, 30.0f})});
    },
    .expected = {Tensor::f32({2, 3}, {11.0f, 21.0f, 31.0f, 12.0f, 22.0f, 32.0f})},
});

NAS_OP_CASE({
    .op = "Add",
    .name = "Add.random_broadcast",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t c = random_int(rng, 1, 4), h = random_int(rng, 1, 5);
      single_op(g, in, "Add", {random_tensor(rng, {2, c, h, 3}), random_tensor(rng, {c, 1, 1})});
    },
});

NAS_OP_CASE({
    .op = "Mul",
    .name = "Mul.hand_broadcast",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Mul", {Tensor::f32({2, 2}, {1, 2, 3, 4}), Tensor::f32({}, {-2})});
    },
    .expected = {Tensor::f32({2, 2}, {-2, -4, -6, -8})},
});

NAS_OP_CASE({
    .op = "Mul",
    .name = "Mul.random_broadcast",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t n = random_int(rng, 1, 6);
      single_op(g, in, "Mul", {random_tensor(rng, {3, 1}), random_tensor(rng, {2, 3, n})});
    },
});

NAS_OP_CASE({
    .op = "ReduceSumTo",
    .name = "ReduceSumTo.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ReduceSumTo", {Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {{"shape", Shape{3}}});
    },
    .expected = {Tensor::f32({3}, {5, 7, 9})},
    .onnx = false,
});

NAS_OP_CASE({
    .op = "ReduceSumTo",
    .name = "ReduceSumTo.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t n = random_int(rng, 1, 4);
      single_op(g, in, "ReduceSumTo", {random_tensor(rng, {2, n, 3})}, {{"shape", Shape{n, 1}}});
    },
    .onnx = false,
});

}  // namespace
}  // namespace nas::testing
