// Cases for ops/norm.cc.
#include <fmt/format.h>

#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

// ---- hand cases --------------------------------------------------------------------------

// X [1,2,1,2] = channel 0: 1, 3; channel 1: 2, 6. epsilon 1 so sqrt(var + eps) = 2 and 4.
// channel 0: 2 * (1-1)/2 + 0.5 = 0.5, 2 * (3-1)/2 + 0.5 = 2.5;
// channel 1: 1 * (2-2)/4 - 1 = -1,    1 * (6-2)/4 - 1 = 0.
NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.hand_inference",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormalization",
                {Tensor::f32({1, 2, 1, 2}, {1, 3, 2, 6}), Tensor::f32({2}, {2, 1}),
                 Tensor::f32({2}, {0.5f, -1}), Tensor::f32({2}, {1, 2}),
                 Tensor::f32({2}, {3, 15})},
                {{"epsilon", 1.0f}});
    },
    .expected = {Tensor::f32({1, 2, 1, 2}, {0.5f, 2.5f, -1, 0})},
});

// Training: X [1,1,2,2] = 1, 3, 5, 7: batch mean 4, population variance (9+1+1+9)/4 = 5;
// epsilon 4 so sqrt(var + eps) = 3; scale 3, B 1: y = (x - 4) + 1 = -2, 0, 2, 4.
// running_mean = 0 * 0.9 + 4 * 0.1 = 0.4; running_var = 1 * 0.9 + 5 * 0.1 = 1.4.
// ONNX Runtime release builds reject training_mode 1, hence not run there.
NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.hand_training",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormalization",
                {Tensor::f32({1, 1, 2, 2}, {1, 3, 5, 7}), Tensor::f32({1}, {3}),
                 Tensor::f32({1}, {1}), Tensor::f32({1}, {0}), Tensor::f32({1}, {1})},
                {{"epsilon", 4.0f}, {"training_mode", int64_t{1}}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {-2, 0, 2, 4}), Tensor::f32({1}, {0.4f}),
                 Tensor::f32({1}, {1.4f})},
    .onnx = false,
});

// Inference gradient with the first hand case's X, scale, mean, var and dY = 1:
// inv = 1/2 and 1/4; xhat = 0, 1 in both channels.
//   dX = scale * inv = 1 (channel 0), 0.25 (channel 1); dscale = 0 + 1 = 1; dB = 2;
//   dmean = -scale * inv * dB = -2, -0.5; dvar = -scale * dscale / (2 (var+eps)) = -1/4, -1/32.
NAS_OP_CASE({
    .op = "BatchNormInferenceGrad",
    .name = "BatchNormInferenceGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormInferenceGrad",
                {Tensor::f32({1, 2, 1, 2}, {1, 1, 1, 1}), Tensor::f32({1, 2, 1, 2}, {1, 3, 2, 6}),
                 Tensor::f32({2}, {2, 1}), Tensor::f32({2}, {1, 2}), Tensor::f32({2}, {3, 15})},
                {{"epsilon", 1.0f}});
    },
    .expected = {Tensor::f32({1, 2, 1, 2}, {1, 1, 0.25f, 0.25f}), Tensor::f32({2}, {1, 1}),
                 Tensor::f32({2}, {2, 2}), Tensor::f32({2}, {-2, -0.5f}),
                 Tensor::f32({2}, {-0.25f, -0.03125f})},
    .onnx = false,
});

// Training gradient, X = 1, 3, 5, 7 (mean 4, var 5, eps 4: inv = 1/3, xhat = -1, -1/3, 1/3, 1),
// scale 3, dY = 1, 0, 0, 0: dB = 1, dscale = -1,
// dX = 3 * (1/3) / 4 * (4 dy - 1 + xhat) = 1/4 * (2, -4/3, -2/3, 0) = 0.5, -1/3, -1/6, 0.
NAS_OP_CASE({
    .op = "BatchNormTrainingGrad",
    .name = "BatchNormTrainingGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormTrainingGrad",
                {Tensor::f32({1, 1, 2, 2}, {1, 0, 0, 0}), Tensor::f32({1, 1, 2, 2}, {1, 3, 5, 7}),
                 Tensor::f32({1}, {3})},
                {{"epsilon", 4.0f}});
    },
    .expected = {Tensor::f32({1, 1, 2, 2}, {0.5f, -1.0f / 3, -1.0f / 6, 0}),
                 Tensor::f32({1}, {-1}), Tensor::f32({1}, {1})},
    .onnx = false,
});

// ---- random cases ------------------------------------------------------------------------

// X, scale, B, mean and var (kept positive) of a random [N, C] + `spatial_rank` dims shape.
std::vector<Tensor> batch_norm_inputs(Rng& rng, int64_t min_spatial, int spatial_rank = 2) {
  const int64_t n = random_int(rng, 1, 2) + (spatial_rank == 0 ? 2 : 0), c = random_int(rng, 1, 4);
  Shape x{n, c};
  for (int i = 0; i < spatial_rank; ++i) x.push_back(random_int(rng, min_spatial, 5));
  return {random_tensor(rng, x), random_tensor(rng, {c}), random_tensor(rng, {c}),
          random_tensor(rng, {c}), random_tensor(rng, {c}, 0.5, 1.5)};
}

NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.random_inference",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormalization", batch_norm_inputs(rng, 1),
                {{"epsilon", 0.01f}});
    },
});

// BatchNorm1d: [N, C] and [N, C, L].
NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.random_inference_rank2",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormalization", batch_norm_inputs(rng, 1, 0));
    },
});
NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.random_inference_rank3",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "BatchNormalization", batch_norm_inputs(rng, 1, 1));
    },
});

// Training mode with only Y as a graph output: the running statistics are state and carry
// no gradient. ONNX Runtime release builds reject training_mode 1.
NAS_OP_CASE({
    .op = "BatchNormalization",
    .name = "BatchNormalization.random_training",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      std::vector<Tensor> values = batch_norm_inputs(rng, 2, rng() % 2 ? 2 : 0);
      std::vector<ValueId> ids;
      for (size_t i = 0; i < values.size(); ++i) {
        ids.push_back(g.add_input(fmt::format("x{}", i), values[i].type()));
        in.push_back(values[i]);
      }
      std::vector<ValueId> outs = g.add_node(
          "BatchNormalization", ids, {{"training_mode", int64_t{1}}, {"momentum", 0.8f}}, "node");
      g.add_output(outs[0]);
    },
    .onnx = false,
});

// ---- LayerNormalization --------------------------------------------------------------------

// Rows [1, 3] and [2, 6]: means 2 and 4, variances 1 and 4; epsilon 0, so xhat = -1, 1 in
// both rows. scale 2, 0.5; B 1, -1: y = -1, -0.5 in both.
NAS_OP_CASE({
    .op = "LayerNormalization",
    .name = "LayerNormalization.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "LayerNormalization",
                {Tensor::f32({2, 2}, {1, 3, 2, 6}), Tensor::f32({2}, {2, 0.5f}),
                 Tensor::f32({2}, {1, -1})},
                {{"epsilon", 0.0f}});
    },
    .expected = {Tensor::f32({2, 2}, {-1, -0.5f, -1, -0.5f})},
});

// X [1, 3, 2, 2] (random) normalized over the last axes from `axis`, with and without B:
// ConvNeXt's [N, H, W, C] over C, a transformer's [N, T, C], and over all of X (axis 0).
std::vector<Tensor> layer_norm_inputs(Rng& rng, const Shape& x, int64_t axis, bool bias) {
  const auto from = static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(x.size()) : axis);
  const Shape normalized(x.begin() + static_cast<int64_t>(from), x.end());
  std::vector<Tensor> values = {random_tensor(rng, x), random_tensor(rng, normalized, 0.5, 1.5)};
  if (bias) values.push_back(random_tensor(rng, normalized));
  return values;
}

NAS_OP_CASE({
    .op = "LayerNormalization",
    .name = "LayerNormalization.random_last_axis",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape x{random_int(rng, 1, 2), random_int(rng, 1, 4), random_int(rng, 1, 4),
                    random_int(rng, 2, 20)};
      single_op(g, in, "LayerNormalization", layer_norm_inputs(rng, x, -1, true));
    },
});

NAS_OP_CASE({
    .op = "LayerNormalization",
    .name = "LayerNormalization.random_two_axes_no_bias",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape x{random_int(rng, 1, 3), random_int(rng, 2, 5), random_int(rng, 2, 6)};
      single_op(g, in, "LayerNormalization", layer_norm_inputs(rng, x, 1, false),
                {{"axis", int64_t{1}}, {"epsilon", 1e-3f}});
    },
});

NAS_OP_CASE({
    .op = "LayerNormalization",
    .name = "LayerNormalization.random_axis_0",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape x{random_int(rng, 2, 4), random_int(rng, 2, 5)};
      single_op(g, in, "LayerNormalization", layer_norm_inputs(rng, x, 0, true),
                {{"axis", int64_t{0}}});
    },
});

// The hand case's rows with dY = 1, 0 / 0, 1, scale 2, 0.5 (M = 2, inv_std 1 and 1/2,
// xhat -1, 1). Row 0: g = 2, 0; sum g = 2, sum g*xhat = -2;
//   dX = 1/2 * (2*(2, 0) - 2 - (-1, 1)*(-2)) = 1/2 * (4 - 2 - 2, 0 - 2 + 2) = (0, 0).
// Row 1: g = 0, 0.5; sums 0.5, 0.5; dX = 1/4 * ((0, 1) - 0.5 - (-1, 1)*0.5) = (0, 0).
// dscale = -1 + 1 = 0, 0 + 1 = 1; dB = 1, 1.
NAS_OP_CASE({
    .op = "LayerNormalizationGrad",
    .name = "LayerNormalizationGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "LayerNormalizationGrad",
                {Tensor::f32({2, 2}, {1, 0, 0, 1}), Tensor::f32({2, 2}, {1, 3, 2, 6}),
                 Tensor::f32({2}, {2, 0.5f})},
                {{"epsilon", 0.0f}});
    },
    .expected = {Tensor::f32({2, 2}, {0, 0, 0, 0}), Tensor::f32({2}, {-1, 1}),
                 Tensor::f32({2}, {1, 1})},
    .onnx = false,
});

}  // namespace
}  // namespace nas::testing
