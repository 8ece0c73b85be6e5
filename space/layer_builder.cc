#include "space/layer_builder.h"

#include <algorithm>
#include <cmath>

#include "compiler/support/error.h"

namespace nas::space {

using graph::Shape;
using graph::Tensor;
using graph::ValueId;

Activation activation_from_label(const std::string& label) {
  if (label == "relu") return Activation::Relu;
  NAS_CHECK(label == "hswish", "unknown activation {}", label);
  return Activation::HardSwish;
}

void LayerBuilder::count_parameters(const std::string& name, const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape)  // saturating: past the limit is past the limit
    n = d == 0 || n == 0 ? 0 : n <= kMaxParameters / d ? n * d : kMaxParameters + 1;
  parameters_ += n;
  if (parameters_ > kMaxParameters)
    user_error("'{}' {} brings the network past {} parameters (1 GiB of weights); is a width "
               "or an expansion a typo?",
               name, graph::shape_str(shape), kMaxParameters);
}

ValueId LayerBuilder::uniform(const std::string& name, Shape shape, double bound) {
  count_parameters(name, shape);
  Tensor t(graph::DType::F32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = static_cast<float>((2.0 * rng_.uniform() - 1.0) * bound);
  return g_.add_constant(name, std::move(t));
}

ValueId LayerBuilder::filled(const std::string& name, Shape shape, float value) {
  count_parameters(name, shape);
  Tensor t(graph::DType::F32, std::move(shape));
  std::fill(t.data<float>(), t.data<float>() + t.numel(), value);
  return g_.add_constant(name, std::move(t));
}

ValueId LayerBuilder::conv(const std::string& name, ValueId x, int64_t out, int64_t kernel,
                           int64_t stride, int64_t group, bool bias) {
  const int64_t in = channels(x);
  const int64_t fan_in = in / group * kernel * kernel;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  const ValueId w = uniform(name + ".weight", {out, in / group, kernel, kernel}, bound);
  const ValueId b = bias ? uniform(name + ".bias", {out}, bound) : graph::kNoValue;
  const int64_t pad = kernel / 2;
  return g_.add("Conv", {x, w, b},
                {{"kernel_shape", Shape{kernel, kernel}},
                 {"pads", Shape{pad, pad, pad, pad}},
                 {"strides", Shape{stride, stride}},
                 {"group", group}},
                name);
}

ValueId LayerBuilder::batch_norm(const std::string& name, ValueId x) {
  const int64_t c = channels(x);
  const ValueId scale = filled(name + ".scale", {c}, 1.0f);
  const ValueId shift = filled(name + ".bias", {c}, 0.0f);
  const ValueId mean = filled(name + ".running_mean", {c}, 0.0f);
  const ValueId var = filled(name + ".running_var", {c}, 1.0f);
  return g_.add("BatchNormalization", {x, scale, shift, mean, var}, {}, name);
}

ValueId LayerBuilder::activation(const std::string& name, ValueId x, Activation act) {
  return g_.add(act == Activation::Relu ? "Relu" : "HardSwish", {x}, {}, name);
}

ValueId LayerBuilder::dense(const std::string& name, ValueId x, int64_t out) {
  const int64_t in = g_.type(x).shape.at(1);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  const ValueId w = uniform(name + ".weight", {out, in}, bound);
  const ValueId b = uniform(name + ".bias", {out}, bound);
  return g_.add("Gemm", {x, w, b}, {{"transB", int64_t{1}}}, name);
}

}  // namespace nas::space
