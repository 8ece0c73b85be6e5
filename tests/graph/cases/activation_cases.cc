// Cases for ops/activation.cc.
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

Shape random_shape(Rng& rng) {
  return {random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 1, 7)};
}

// Divisors in [0.5, 1.5] with a random sign, so 1/b stays tame.
Tensor random_divisor(Rng& rng, Shape shape) {
  Tensor t = random_tensor(rng, std::move(shape), 0.5, 1.5);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (random_int(rng, 0, 1) == 1) t.data<float>()[i] = -t.data<float>()[i];
  return t;
}

// ---- Clip ------------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {Tensor::f32({5}, {-3.0f, -1.0f, 0.5f, 2.0f, 5.0f})},
                {{"min", -1.0f}, {"max", 2.0f}});
    },
    .expected = {Tensor::f32({5}, {-1.0f, -1.0f, 0.5f, 2.0f, 2.0f})},
});

NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.hand_relu6",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {Tensor::f32({4}, {-2.0f, 3.5f, 6.0f, 7.25f})},
                {{"min", 0.0f}, {"max", 6.0f}});
    },
    .expected = {Tensor::f32({4}, {0.0f, 3.5f, 6.0f, 6.0f})},
});

// Without bounds Clip changes nothing, even for huge values.
NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.hand_no_bounds",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {Tensor::f32({3}, {-1e30f, 0.25f, 1e30f})});
    },
    .expected = {Tensor::f32({3}, {-1e30f, 0.25f, 1e30f})},
    .tolerance = 0.0,
});

// min > max: ONNX sets every element to max.
NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.hand_min_above_max",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {Tensor::f32({3}, {-5.0f, 1.5f, 5.0f})},
                {{"min", 2.0f}, {"max", 1.0f}});
    },
    .expected = {Tensor::f32({3}, {1.0f, 1.0f, 1.0f})},
});

NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {random_tensor_away_from(rng, random_shape(rng), {-0.5, 0.3})},
                {{"min", -0.5f}, {"max", 0.3f}});
    },
});

NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.random_relu6",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip",
                {random_tensor_away_from(rng, random_shape(rng), {0.0, 6.0}, 1e-3, -2.0, 8.0)},
                {{"min", 0.0f}, {"max", 6.0f}});
    },
});

NAS_OP_CASE({
    .op = "Clip",
    .name = "Clip.random_min_only",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Clip", {random_tensor_away_from(rng, random_shape(rng), {0.1})},
                {{"min", 0.1f}});
    },
});

NAS_OP_CASE({
    .op = "ClipGrad",
    .name = "ClipGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ClipGrad",
                {Tensor::f32({5}, {1, 2, 3, 4, 5}), Tensor::f32({5}, {-3.0f, -1.0f, 0.5f, 2.0f, 1.9f})},
                {{"min", -1.0f}, {"max", 2.0f}});
    },
    // Only strictly inside (-1, 2) passes dy: elements 2 and 4.
    .expected = {Tensor::f32({5}, {0, 0, 3, 0, 5})},
    .onnx = false,
});

// ---- HardSigmoid -----------------------------------------------------------------------

// 0.2 * x + 0.5 for x = -3, -1, 0, 1, 3: -0.1 -> 0, 0.3, 0.5, 0.7, 1.1 -> 1.
NAS_OP_CASE({
    .op = "HardSigmoid",
    .name = "HardSigmoid.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSigmoid", {Tensor::f32({5}, {-3, -1, 0, 1, 3})});
    },
    .expected = {Tensor::f32({5}, {0.0f, 0.3f, 0.5f, 0.7f, 1.0f})},
});

// 0.5 * x + 0.25 for x = -1, 0, 1: -0.25 -> 0, 0.25, 0.75.
NAS_OP_CASE({
    .op = "HardSigmoid",
    .name = "HardSigmoid.hand_attrs",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSigmoid", {Tensor::f32({3}, {-1, 0, 1})},
                {{"alpha", 0.5f}, {"beta", 0.25f}});
    },
    .expected = {Tensor::f32({3}, {0.0f, 0.25f, 0.75f})},
});

// Kinks where 0.2 x + 0.5 is 0 or 1: x = -2.5, 2.5.
NAS_OP_CASE({
    .op = "HardSigmoid",
    .name = "HardSigmoid.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSigmoid",
                {random_tensor_away_from(rng, random_shape(rng), {-2.5, 2.5}, 1e-3, -4.0, 4.0)});
    },
});

// Kinks where 0.3 x + 0.4 is 0 or 1: x = -4/3, 2.
NAS_OP_CASE({
    .op = "HardSigmoid",
    .name = "HardSigmoid.random_attrs",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSigmoid",
                {random_tensor_away_from(rng, random_shape(rng), {-4.0 / 3.0, 2.0}, 1e-3, -3.0, 3.0)},
                {{"alpha", 0.3f}, {"beta", 0.4f}});
    },
});

// x = -3, 0, 2, 3: 0.2 x + 0.5 = -0.1, 0.5, 0.9, 1.1; inside (0, 1) the gradient is 0.2 * 10.
NAS_OP_CASE({
    .op = "HardSigmoidGrad",
    .name = "HardSigmoidGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSigmoidGrad",
                {Tensor::f32({4}, {10, 10, 10, 10}), Tensor::f32({4}, {-3, 0, 2, 3})});
    },
    .expected = {Tensor::f32({4}, {0, 2, 2, 0})},
    .onnx = false,
});

// ---- HardSwish -------------------------------------------------------------------------

// x * clamp(x / 6 + 0.5, 0, 1): -1.5 * 0.25 = -0.375, 1.5 * 0.75 = 1.125; |x| >= 3 saturates.
NAS_OP_CASE({
    .op = "HardSwish",
    .name = "HardSwish.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSwish", {Tensor::f32({7}, {-4, -3, -1.5f, 0, 1.5f, 3, 4})});
    },
    .expected = {Tensor::f32({7}, {0, 0, -0.375f, 0, 1.125f, 3, 4})},
});

NAS_OP_CASE({
    .op = "HardSwish",
    .name = "HardSwish.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSwish",
                {random_tensor_away_from(rng, random_shape(rng), {-3.0, 3.0}, 1e-3, -4.0, 4.0)});
    },
});

// Slope x / 3 + 0.5 inside (-3, 3): 0.5 at 0, 1 at 1.5; 0 below -3, 1 above 3.
NAS_OP_CASE({
    .op = "HardSwishGrad",
    .name = "HardSwishGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "HardSwishGrad",
                {Tensor::f32({4}, {1, 1, 1, 2}), Tensor::f32({4}, {-4, 0, 1.5f, 4})});
    },
    .expected = {Tensor::f32({4}, {0, 0.5f, 1, 2})},
    .onnx = false,
});

// ---- Sigmoid ---------------------------------------------------------------------------

// sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75; +-100 saturate without overflow.
NAS_OP_CASE({
    .op = "Sigmoid",
    .name = "Sigmoid.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Sigmoid", {Tensor::f32({4}, {0.0f, 1.0986123f, -100.0f, 100.0f})});
    },
    .expected = {Tensor::f32({4}, {0.5f, 0.75f, 0.0f, 1.0f})},
});

NAS_OP_CASE({
    .op = "Sigmoid",
    .name = "Sigmoid.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Sigmoid", {random_tensor(rng, random_shape(rng), -4.0, 4.0)});
    },
});

// dy * y * (1 - y): 2 * 0.5 * 0.5 = 0.5, 1 * 0.25 * 0.75 = 0.1875.
NAS_OP_CASE({
    .op = "SigmoidGrad",
    .name = "SigmoidGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "SigmoidGrad", {Tensor::f32({2}, {2, 1}), Tensor::f32({2}, {0.5f, 0.25f})});
    },
    .expected = {Tensor::f32({2}, {0.5f, 0.1875f})},
    .onnx = false,
});

// ---- Tanh ------------------------------------------------------------------------------

// tanh(atanh(0.5)) = 0.5, odd; 0.1 on the polynomial's side of 0.625; +-100 saturate.
NAS_OP_CASE({
    .op = "Tanh",
    .name = "Tanh.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Tanh",
                {Tensor::f32({5}, {0.0f, 0.54930614f, -0.54930614f, -100.0f, 100.0f})});
    },
    .expected = {Tensor::f32({5}, {0.0f, 0.5f, -0.5f, -1.0f, 1.0f})},
});

NAS_OP_CASE({
    .op = "Tanh",
    .name = "Tanh.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Tanh", {random_tensor(rng, random_shape(rng), -3.0, 3.0)});
    },
});

// dy * (1 - y^2): 2 * 0.75 = 1.5, 1 * 0.75 = 0.75.
NAS_OP_CASE({
    .op = "TanhGrad",
    .name = "TanhGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "TanhGrad", {Tensor::f32({2}, {2, 1}), Tensor::f32({2}, {0.5f, -0.5f})});
    },
    .expected = {Tensor::f32({2}, {1.5f, 0.75f})},
    .onnx = false,
});

// ---- Erf -------------------------------------------------------------------------------

// erf(0.5) = 0.5204999, odd; 2 past the polynomial's 0.921875; +-5 round to +-1.
NAS_OP_CASE({
    .op = "Erf",
    .name = "Erf.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Erf", {Tensor::f32({6}, {0.0f, 0.5f, -0.5f, 2.0f, -5.0f, 5.0f})});
    },
    .expected = {Tensor::f32({6}, {0.0f, 0.52049988f, -0.52049988f, 0.99532227f, -1.0f, 1.0f})},
});

NAS_OP_CASE({
    .op = "Erf",
    .name = "Erf.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Erf", {random_tensor(rng, random_shape(rng), -3.0, 3.0)});
    },
});

// dy * 2 / sqrt(pi) * exp(-x^2): at x = 0, 2 * 1.1283792; at x = 1, 1.1283792 / e.
NAS_OP_CASE({
    .op = "ErfGrad",
    .name = "ErfGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ErfGrad", {Tensor::f32({2}, {2, 1}), Tensor::f32({2}, {0.0f, 1.0f})});
    },
    .expected = {Tensor::f32({2}, {2.2567583f, 0.41510750f})},
    .onnx = false,
});

// ---- Sub, Div --------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Sub",
    .name = "Sub.hand_broadcast",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Sub",
                {Tensor::f32({2, 1}, {1.0f, 2.0f}), Tensor::f32({3}, {10.0f, 20.0f, 30.0f})});
    },
    .expected = {Tensor::f32({2, 3}, {-9.0f, -19.0f, -29.0f, -8.0f, -18.0f, -28.0f})},
});

NAS_OP_CASE({
    .op = "Sub",
    .name = "Sub.random_broadcast",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t c = random_int(rng, 1, 4), h = random_int(rng, 1, 5);
      single_op(g, in, "Sub", {random_tensor(rng, {2, c, h, 3}), random_tensor(rng, {c, 1, 1})});
    },
});

NAS_OP_CASE({
    .op = "Sub",
    .name = "Sub.random_broadcast_first",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t n = random_int(rng, 1, 6);
      single_op(g, in, "Sub", {random_tensor(rng, {3, 1}), random_tensor(rng, {2, 3, n})});
    },
});

// [6, -3, 1] / [2, 4, -0.5] = [3, -0.75, -2]; second row divided by 2, 4, -0.5 too.
NAS_OP_CASE({
    .op = "Div",
    .name = "Div.hand_broadcast",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Div",
                {Tensor::f32({2, 3}, {6, -3, 1, 1, 2, 3}), Tensor::f32({3}, {2, 4, -0.5f})});
    },
    .expected = {Tensor::f32({2, 3}, {3, -0.75f, -2, 0.5f, 0.5f, -6})},
});

NAS_OP_CASE({
    .op = "Div",
    .name = "Div.random_broadcast",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t c = random_int(rng, 1, 4), h = random_int(rng, 1, 5);
      single_op(g, in, "Div", {random_tensor(rng, {2, c, h, 3}), random_divisor(rng, {c, 1, 1})});
    },
});

NAS_OP_CASE({
    .op = "Div",
    .name = "Div.random_broadcast_first",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t n = random_int(rng, 1, 6);
      single_op(g, in, "Div", {random_tensor(rng, {3, 1}), random_divisor(rng, {2, 3, n})});
    },
});

// ---- Identity --------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Identity",
    .name = "Identity.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Identity", {Tensor::f32({2, 2}, {1.5f, -2.0f, 0.0f, 3.25f})});
    },
    .expected = {Tensor::f32({2, 2}, {1.5f, -2.0f, 0.0f, 3.25f})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Identity",
    .name = "Identity.hand_i64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Identity", {Tensor::i64({3}, {-7, 0, int64_t{1} << 40})});
    },
    .expected = {Tensor::i64({3}, {-7, 0, int64_t{1} << 40})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Identity",
    .name = "Identity.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Identity", {random_tensor(rng, random_shape(rng))});
    },
});

// ---- Dropout ---------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Dropout",
    .name = "Dropout.hand_inference",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Dropout", {Tensor::f32({4}, {1.0f, -2.0f, 3.5f, 0.0f})},
                {{"ratio", 0.9f}});
    },
    .expected = {Tensor::f32({4}, {1.0f, -2.0f, 3.5f, 0.0f})},
    .tolerance = 0.0,
});

// ratio 0 in training mode keeps everything with scale 1 / (1 - 0) = 1.
NAS_OP_CASE({
    .op = "Dropout",
    .name = "Dropout.hand_training_ratio0",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Dropout", {Tensor::f32({4}, {1.0f, -2.0f, 3.5f, 0.0f})},
                {{"ratio", 0.0f}, {"training_mode", int64_t{1}}, {"seed", int64_t{5}}});
    },
    .expected = {Tensor::f32({4}, {1.0f, -2.0f, 3.5f, 0.0f})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Dropout",
    .name = "Dropout.random_inference",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Dropout", {random_tensor(rng, random_shape(rng))});
    },
});

// The mask is a fixed function of (seed, index), so finite differences see the same mask.
// Not exported: ONNX Runtime draws a different mask.
NAS_OP_CASE({
    .op = "Dropout",
    .name = "Dropout.random_training",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Dropout", {random_tensor(rng, random_shape(rng))},
                {{"ratio", 0.3f}, {"training_mode", int64_t{1}}, {"seed", int64_t{11}}});
    },
    .onnx = false,
});

NAS_OP_CASE({
    .op = "DropoutGrad",
    .name = "DropoutGrad.hand_ratio0",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "DropoutGrad", {Tensor::f32({3}, {1.0f, -2.0f, 0.5f})},
                {{"ratio", 0.0f}, {"training_mode", int64_t{1}}, {"seed", int64_t{3}}});
    },
    .expected = {Tensor::f32({3}, {1.0f, -2.0f, 0.5f})},
    .tolerance = 0.0,
    .onnx = false,
});

// ---- Cast ------------------------------------------------------------------------------

// Truncation toward zero: -2.7 -> -2, -0.5 -> 0, 2.7 -> 2.
NAS_OP_CASE({
    .op = "Cast",
    .name = "Cast.hand_f32_to_i64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Cast", {Tensor::f32({6}, {-2.7f, -0.5f, 0.5f, 2.7f, -3.0f, 1e6f})},
                {{"to", int64_t{7}}});
    },
    .expected = {Tensor::i64({6}, {-2, 0, 0, 2, -3, 1000000})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Cast",
    .name = "Cast.hand_i64_to_f32",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Cast", {Tensor::i64({3}, {-3, 0, 7})}, {{"to", int64_t{1}}});
    },
    .expected = {Tensor::f32({3}, {-3.0f, 0.0f, 7.0f})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Cast",
    .name = "Cast.hand_f32_to_f64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Cast", {Tensor::f32({2}, {0.25f, -1.5f})}, {{"to", int64_t{11}}});
    },
    .expected = {Tensor::f64({2}, {0.25, -1.5})},
    .tolerance = 0.0,
});

NAS_OP_CASE({
    .op = "Cast",
    .name = "Cast.random_same_type",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Cast", {random_tensor(rng, random_shape(rng))}, {{"to", int64_t{1}}});
    },
});

// f32 -> f64 -> f32, so both gradient directions run while the loss stays f32.
NAS_OP_CASE({
    .op = "Cast",
    .name = "Cast.random_f64_round_trip",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      Tensor x = random_tensor(rng, random_shape(rng));
      const ValueId xv = g.add_input("x0", x.type());
      in.push_back(std::move(x));
      const ValueId wide = g.add("Cast", {xv}, {{"to", int64_t{11}}}, "widen");
      g.add_output(g.add("Cast", {wide}, {{"to", int64_t{1}}}, "node"));
    },
});

}  // namespace
}  // namespace nas::testing
