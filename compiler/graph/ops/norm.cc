// Batch normalization over [N, C, ...] (NCHW, and BatchNorm1d's [N, C] and [N, C, L]; ONNX
// BatchNormalization, opset 14+ with training_mode) and its gradient ops.
//
// Inference (training_mode 0): y = scale * (x - input_mean) / sqrt(input_var + eps) + B per
// channel; one output.
// Training (training_mode 1): y uses the batch mean and the batch's population variance
// over N, H, W; outputs (Y, running_mean, running_var) with, per ONNX,
//   running = input * momentum + batch * (1 - momentum)
// where running_var uses the population (biased) variance, as the ONNX reference does
// (PyTorch uses the unbiased one for its running estimate).
// The running statistics are state, not part of the loss: their gradients are not
// propagated, and a loss that depends on them is rejected when gradients are built.
#include <algorithm>
#include <cmath>
#include <utility>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/graph/ops/window_geometry.h"

namespace nas::graph {
using namespace ops;

namespace {

// Index arithmetic of a per-channel op on an [N, C, ...] tensor (BatchNorm1d's [N, C] and
// [N, C, L] as well as NCHW).
struct Channels {
  int64_t count, spatial, numel;
  explicit Channels(const Shape& x)
      : count(x[1]), spatial(graph::numel(Shape(x.begin() + 2, x.end()))), numel(graph::numel(x)) {}
  int64_t of(int64_t i) const { return (i / spatial) % count; }
  int64_t per_channel() const { return numel / count; }  // N * H * W
};

// Inputs `first`.. of the node are per-channel vectors [C] of the dtype of X (input
// `x_index`); `names` name them.
void expect_per_channel(const InferContext& c, size_t x_index, size_t first,
                        std::initializer_list<std::string_view> names) {
  const TensorType& x = c.input(x_index);
  const TensorType expected{x.dtype, {x.shape[1]}};
  size_t i = first;
  for (std::string_view name : names) {
    if (c.input(i) != expected)
      c.fail("{} must be {} (one per channel of {}), got {}", name, expected.str(), x.str(),
             c.input(i).str());
    ++i;
  }
}

// Batch mean and population variance per channel.
template <class T>
void batch_stats(const Tensor& x, std::vector<T>& mean, std::vector<T>& var) {
  const Channels ch(x.shape());
  const T* px = x.data<T>();
  mean.assign(ch.count, T(0));
  var.assign(ch.count, T(0));
  for (int64_t i = 0; i < ch.numel; ++i) mean[ch.of(i)] += px[i];
  for (T& m : mean) m /= T(ch.per_channel());
  for (int64_t i = 0; i < ch.numel; ++i) {
    const T d = px[i] - mean[ch.of(i)];
    var[ch.of(i)] += d * d;
  }
  for (T& v : var) v /= T(ch.per_channel());
}

template <class T>
void batch_norm_kernel(const KernelContext& c) {  // (X, scale, B, mean, var) -> Y [, rm, rv]
  const Tensor& x = c.in(0);
  const T* px = x.data<T>();
  const T* scale = c.in(1).data<T>();
  const T* bias = c.in(2).data<T>();
  const T* in_mean = c.in(3).data<T>();
  const T* in_var = c.in(4).data<T>();
  const T eps = T(c.attrs().f("epsilon"));
  const Channels ch(x.shape());
  std::vector<T> mean(in_mean, in_mean + ch.count), var(in_var, in_var + ch.count);
  const bool training = c.attrs().i("training_mode") == 1;
  if (training) batch_stats(x, mean, var);
  T* py = c.out(0).data<T>();
  for (int64_t i = 0; i < ch.numel; ++i) {
    const int64_t k = ch.of(i);
    py[i] = scale[k] * (px[i] - mean[k]) / std::sqrt(var[k] + eps) + bias[k];
  }
  if (training) {
    const T momentum = T(c.attrs().f("momentum"));
    T* running_mean = c.out(1).data<T>();
    T* running_var = c.out(2).data<T>();
    for (int64_t k = 0; k < ch.count; ++k) {
      running_mean[k] = in_mean[k] * momentum + mean[k] * (T(1) - momentum);
      running_var[k] = in_var[k] * momentum + var[k] * (T(1) - momentum);
    }
  }
}

// Inference mode, with inv = 1 / sqrt(var + eps) and xhat = (x - mean) * inv:
//   dX = dy * scale * inv, dscale = sum dy * xhat, dB = sum dy,
//   dmean = -scale * inv * dB, dvar = -scale * dscale / (2 * (var + eps)).
template <class T>
void batch_norm_inference_grad_kernel(const KernelContext& c) {  // (dY, X, scale, mean, var)
  const T* pdy = c.in(0).data<T>();
  const T* px = c.in(1).data<T>();
  const T* scale = c.in(2).data<T>();
  const T* mean = c.in(3).data<T>();
  const T* var = c.in(4).data<T>();
  const T eps = T(c.attrs().f("epsilon"));
  const Channels ch(c.in(1).shape());
  T* dx = c.out(0).data<T>();
  T* dscale = c.out(1).data<T>();
  T* db = c.out(2).data<T>();
  T* dmean = c.out(3).data<T>();
  T* dvar = c.out(4).data<T>();
  std::fill(dscale, dscale + ch.count, T(0));
  std::fill(db, db + ch.count, T(0));
  for (int64_t i = 0; i < ch.numel; ++i) {
    const int64_t k = ch.of(i);
    const T inv = T(1) / std::sqrt(var[k] + eps);
    dx[i] = pdy[i] * scale[k] * inv;
    dscale[k] += pdy[i] * (px[i] - mean[k]) * inv;
    db[k] += pdy[i];
  }
  for (int64_t k = 0; k < ch.count; ++k) {
    dmean[k] = -scale[k] / std::sqrt(var[k] + eps) * db[k];
    dvar[k] = -scale[k] * dscale[k] / (T(2) * (var[k] + eps));
  }
}

// Training mode, through the batch statistics (M = N*H*W elements per channel):
//   dB = sum dy, dscale = sum dy * xhat, dX = scale * inv / M * (M * dy - dB - xhat * dscale).
template <class T>
void batch_norm_training_grad_kernel(const KernelContext& c) {  // (dY, X, scale)
  const T* pdy = c.in(0).data<T>();
  const T* px = c.in(1).data<T>();
  const T* scale = c.in(2).data<T>();
  const T eps = T(c.attrs().f("epsilon"));
  const Channels ch(c.in(1).shape());
  std::vector<T> mean, var;
  batch_stats(c.in(1), mean, var);
  T* dx = c.out(0).data<T>();
  T* dscale = c.out(1).data<T>();
  T* db = c.out(2).data<T>();
  std::fill(dscale, dscale + ch.count, T(0));
  std::fill(db, db + ch.count, T(0));
  auto xhat = [&](int64_t i) {
    const int64_t k = ch.of(i);
    return (px[i] - mean[k]) / std::sqrt(var[k] + eps);
  };
  for (int64_t i = 0; i < ch.numel; ++i) {
    dscale[ch.of(i)] += pdy[i] * xhat(i);
    db[ch.of(i)] += pdy[i];
  }
  const T m = T(ch.per_channel());
  for (int64_t i = 0; i < ch.numel; ++i) {
    const int64_t k = ch.of(i);
    dx[i] = scale[k] / (std::sqrt(var[k] + eps) * m) * (m * pdy[i] - db[k] - xhat(i) * dscale[k]);
  }
}

AttrSpec epsilon_attr() { return {"epsilon", AttrKind::Float, 1e-5f}; }

// Fails unless input i is a float tensor [N, C, ...] of rank >= 2; `what` names it.
void expect_batch_channels(const InferContext& c, size_t i, std::string_view what) {
  const TensorType& t = c.input(i);
  if (!is_float(t.dtype) || t.rank() < 2)
    c.fail("{} must be a float tensor [N, C, ...] of rank >= 2, got {}", what, t.str());
}

void expect_epsilon(const InferContext& c) {
  if (!(c.attrs().f("epsilon") >= 0.0f))
    c.fail("epsilon must be >= 0, got {}", c.attrs().f("epsilon"));
}

// The gradient ops' dY (input 0) must match X (input 1).
void expect_dy_like_x(const InferContext& c) {
  expect_batch_channels(c, 0, "dY");
  expect_batch_channels(c, 1, "X");
  if (c.input(0) != c.input(1))
    c.fail("dY must have X's type {}, got {}", c.input(1).str(), c.input(0).str());
}

}  // namespace

OpDef make_op_BatchNormalization() {
  return OpDef{
      .name = "BatchNormalization",
      .doc = "per-channel normalization of NCHW X; training_mode 1 uses batch statistics",
      .min_inputs = 5,
      .max_inputs = 5,
      .num_outputs = 3,
      .min_outputs = 1,
      .attrs = {epsilon_attr(),
                {"momentum", AttrKind::Float, 0.9f},
                {"training_mode", AttrKind::Int, int64_t{0}}},
      // A per-channel affine map at inference; training mode is the same op.
      .fusion = FusionClass::Broadcast,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_batch_channels(c, 0, "X");
        expect_per_channel(c, 0, 1, {"scale", "B", "input_mean", "input_var"});
        expect_epsilon(c);
        const int64_t training_mode = c.attrs().i("training_mode");
        if (training_mode != 0 && training_mode != 1)
          c.fail("training_mode must be 0 or 1, got {}", training_mode);
        const TensorType& x = c.input(0);
        if (training_mode == 0) return {x};
        const TensorType stat{x.dtype, {x.shape[1]}};
        return {x, stat, stat};
      },
      .kernel = NAS_FLOAT_KERNEL(batch_norm_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        for (size_t o = 1; o < g.output_grads.size(); ++o)
          if (g.dy(o) != kNoValue)
            user_error("node '{}' (BatchNormalization): the loss depends on output {} ({}), "
                       "a running statistic; gradients through running statistics are not "
                       "supported (they are state)",
                       g.node.name, o, o == 1 ? "running_mean" : "running_var");
        const Attrs attrs{{"epsilon", g.node.attrs.f("epsilon")}};
        if (g.node.attrs.i("training_mode") == 0) {
          return g.add_node("BatchNormInferenceGrad",
                            {g.dy(), g.x(0), g.x(1), g.x(3), g.x(4)}, attrs);
        }
        // Y does not read input_mean / input_var in training mode: no gradient for them.
        std::vector<ValueId> d = g.add_node("BatchNormTrainingGrad", {g.dy(), g.x(0), g.x(1)},
                                            attrs);
        return {d[0], d[1], d[2], kNoValue, kNoValue};
      },
      // Per element: 2 at inference (a multiply-add once scale/shift are folded per
      // channel); training adds 4 for the batch statistics (mean: 1; variance: 3).
      .flops = [](const InferContext& c) {
        return c.input(0).numel() * (c.attrs().i("training_mode") == 1 ? 6 : 2);
      },
      .onnx = {.op_type = "BatchNormalization", .since_opset = 14},
  };
}

OpDef make_op_BatchNormInferenceGrad() {
  return OpDef{
      .name = "BatchNormInferenceGrad",
      .doc = "(dX, dscale, dB, dmean, dvar) of inference-mode BatchNormalization; inputs "
             "(dY, X, scale, mean, var)",
      .min_inputs = 5,
      .max_inputs = 5,
      .num_outputs = 5,
      .min_outputs = 5,
      .attrs = {epsilon_attr()},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_dy_like_x(c);
        expect_per_channel(c, 1, 2, {"scale", "mean", "var"});
        const TensorType& x = c.input(1);
        const TensorType stat{x.dtype, {x.shape[1]}};
        return {x, stat, stat, stat, stat};
      },
      .kernel = NAS_FLOAT_KERNEL(batch_norm_inference_grad_kernel),
      .gradient_of = "BatchNormalization",
      // Per element: dX (2) and the dscale / dB sums (4).
      .flops = [](const InferContext& c) { return 6 * c.input(1).numel(); },
  };
}

OpDef make_op_BatchNormTrainingGrad() {
  return OpDef{
      .name = "BatchNormTrainingGrad",
      .doc = "(dX, dscale, dB) of training-mode BatchNormalization through the batch "
             "statistics; inputs (dY, X, scale)",
      .min_inputs = 3,
      .max_inputs = 3,
      .num_outputs = 3,
      .min_outputs = 3,
      .attrs = {epsilon_attr()},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_dy_like_x(c);
        expect_per_channel(c, 1, 2, {"scale"});
        const TensorType& x = c.input(1);
        const TensorType stat{x.dtype, {x.shape[1]}};
        return {x, stat, stat};
      },
      .kernel = NAS_FLOAT_KERNEL(batch_norm_training_grad_kernel),
      .gradient_of = "BatchNormalization",
      // Per element: batch statistics (4), xhat (2), the sums (3), dX (4).
      .flops = [](const InferContext& c) { return 13 * c.input(1).numel(); },
  };
}

// ---- LayerNormalization ----------------------------------------------------------------
// ONNX LayerNormalization (opset 17): X normalized over its axes from `axis` on (the
// normalized shape), per row of the axes before, then scaled and shifted per element of the
// normalized shape: y = (x - mean) * inv_std * scale + B, inv_std = 1 / sqrt(var + eps),
// with the population variance. Output Y only (not the optional Mean and InvStdDev).

namespace {

// X as [rows, cols]: cols = the normalized shape's size.
struct Rows {
  int64_t rows, cols;
  Rows(const Shape& x, int64_t axis) : rows(1), cols(1) {
    for (size_t d = 0; d < x.size(); ++d) (static_cast<int64_t>(d) < axis ? rows : cols) *= x[d];
  }
};

int64_t layer_norm_axis(const Node& node, size_t rank) {
  const int64_t axis = node.attrs.i("axis");
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

// Mean and inv_std of row r, as both the forward and the gradient kernel compute them.
template <class T>
std::pair<T, T> row_stats(const T* x, int64_t cols, T eps) {
  T mean = T(0), var = T(0);
  for (int64_t j = 0; j < cols; ++j) mean += x[j];
  mean /= T(cols);
  for (int64_t j = 0; j < cols; ++j) var += (x[j] - mean) * (x[j] - mean);
  var /= T(cols);
  return {mean, T(1) / std::sqrt(var + eps)};
}

template <class T>
void layer_norm_kernel(const KernelContext& c) {  // (X, scale[, B]) -> Y
  const Tensor& x = c.in(0);
  const Rows shape(x.shape(), layer_norm_axis(c.node, x.shape().size()));
  const T* scale = c.in(1).data<T>();
  const T* bias = c.has_input(2) ? c.in(2).data<T>() : nullptr;
  const T eps = T(c.attrs().f("epsilon"));
  T* py = c.out(0).data<T>();
  for (int64_t r = 0; r < shape.rows; ++r) {
    const T* row = x.data<T>() + r * shape.cols;
    const auto [mean, inv_std] = row_stats(row, shape.cols, eps);
    for (int64_t j = 0; j < shape.cols; ++j) {
      const T y = (row[j] - mean) * inv_std * scale[j];
      py[r * shape.cols + j] = bias ? y + bias[j] : y;
    }
  }
}

// Per row, with xhat = (x - mean) * inv_std and g = dy * scale (M = cols):
//   dX = inv_std / M * (M * g - sum g - xhat * sum g * xhat);
// per element of the normalized shape, over the rows: dscale = sum dy * xhat, dB = sum dy.
template <class T>
void layer_norm_grad_kernel(const KernelContext& c) {  // (dY, X, scale) -> dX, dscale, dB
  const T* pdy = c.in(0).data<T>();
  const Tensor& x = c.in(1);
  const Rows shape(x.shape(), layer_norm_axis(c.node, x.shape().size()));
  const T* scale = c.in(2).data<T>();
  const T eps = T(c.attrs().f("epsilon"));
  T* dx = c.out(0).data<T>();
  T* dscale = c.out(1).data<T>();
  T* db = c.out(2).data<T>();
  std::fill(dscale, dscale + shape.cols, T(0));
  std::fill(db, db + shape.cols, T(0));
  const T m = T(shape.cols);
  for (int64_t r = 0; r < shape.rows; ++r) {
    const T* row = x.data<T>() + r * shape.cols;
    const T* dy = pdy + r * shape.cols;
    const auto [mean, inv_std] = row_stats(row, shape.cols, eps);
    T sum_g = T(0), sum_gx = T(0);
    for (int64_t j = 0; j < shape.cols; ++j) {
      const T xhat = (row[j] - mean) * inv_std;
      sum_g += dy[j] * scale[j];
      sum_gx += dy[j] * scale[j] * xhat;
      dscale[j] += dy[j] * xhat;
      db[j] += dy[j];
    }
    for (int64_t j = 0; j < shape.cols; ++j) {
      const T xhat = (row[j] - mean) * inv_std;
      dx[r * shape.cols + j] = inv_std / m * (m * dy[j] * scale[j] - sum_g - xhat * sum_gx);
    }
  }
}

// X float of rank >= 1 (input `x_index`), a valid axis, epsilon >= 0, and the inputs from
// `first` on (`names`) of the normalized shape X.shape[axis:]. Returns that shape's type.
TensorType expect_layer_norm(const InferContext& c, size_t x_index, size_t first,
                             std::initializer_list<std::string_view> names) {
  const TensorType& x = c.input(x_index);
  if (!is_float(x.dtype) || x.rank() < 1) c.fail("X must be a float tensor, got {}", x.str());
  const auto rank = static_cast<int64_t>(x.rank());
  const int64_t axis = c.attrs().i("axis");
  if (axis < -rank || axis >= rank)
    c.fail("axis {} is out of range for X {} (rank {})", axis, x.str(), rank);
  expect_epsilon(c);
  const TensorType normalized{x.dtype, Shape(x.shape.begin() + layer_norm_axis(c.node, x.rank()),
                                             x.shape.end())};
  size_t i = first;
  for (std::string_view name : names) {
    if (c.has_input(i) && c.input(i) != normalized)
      c.fail("{} must be {} (X's shape from axis {} on), got {}", name, normalized.str(), axis,
             c.input(i).str());
    ++i;
  }
  return normalized;
}

std::vector<AttrSpec> layer_norm_attrs() {
  return {{"axis", AttrKind::Int, int64_t{-1}}, epsilon_attr()};
}

}  // namespace

OpDef make_op_LayerNormalization() {
  return OpDef{
      .name = "LayerNormalization",
      .doc = "X normalized over its axes from `axis` on, then scaled and shifted: "
             "(x - mean) / sqrt(var + epsilon) * scale + B",
      .min_inputs = 2,
      .max_inputs = 3,
      .attrs = [] {
        std::vector<AttrSpec> a = layer_norm_attrs();
        a.push_back({"stash_type", AttrKind::Int, int64_t{1}});
        return a;
      }(),
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_layer_norm(c, 0, 1, {"scale", "B"});
        if (c.attrs().i("stash_type") != 1)
          c.fail("stash_type must be 1 (statistics in float), got {}", c.attrs().i("stash_type"));
        return {c.input(0)};
      },
      .kernel = NAS_FLOAT_KERNEL(layer_norm_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        const Attrs attrs{{"axis", g.node.attrs.i("axis")}, {"epsilon", g.node.attrs.f("epsilon")}};
        std::vector<ValueId> d =
            g.add_node("LayerNormalizationGrad", {g.dy(), g.x(0), g.x(1)}, attrs);
        if (g.node.inputs.size() < 3) d.pop_back();  // no B
        else if (g.x(2) == kNoValue) d[2] = kNoValue;
        return d;
      },
      // Per element: the mean (1), the variance (3), normalize, scale and shift (4).
      .flops = [](const InferContext& c) { return 8 * c.input(0).numel(); },
      .onnx = {.op_type = "LayerNormalization", .since_opset = 17},
  };
}

OpDef make_op_LayerNormalizationGrad() {
  return OpDef{
      .name = "LayerNormalizationGrad",
      .doc = "(dX, dscale, dB) of LayerNormalization; inputs (dY, X, scale)",
      .min_inputs = 3,
      .max_inputs = 3,
      .num_outputs = 3,
      .min_outputs = 3,
      .attrs = layer_norm_attrs(),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType normalized = expect_layer_norm(c, 1, 2, {"scale"});
        if (c.input(0) != c.input(1))
          c.fail("dY must have X's type {}, got {}", c.input(1).str(), c.input(0).str());
        return {c.input(1), normalized, normalized};
      },
      .kernel = NAS_FLOAT_KERNEL(layer_norm_grad_kernel),
      .gradient_of = "LayerNormalization",
      // Per element: the statistics (4), xhat (2), the four sums (6), dX (5).
      .flops = [](const InferContext& c) { return 17 * c.input(1).numel(); },
  };
}

}  // namespace nas::graph
