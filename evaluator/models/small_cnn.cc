#include "evaluator/models/small_cnn.h"

#include <cmath>
#include <random>

namespace nas::evaluator {

using namespace graph;

namespace {

class Builder {
 public:
  Builder(Graph& g, uint64_t seed) : g_(g), rng_(seed) {}

  Tensor uniform(Shape shape, double bound) {
    Tensor t(DType::F32, std::move(shape));
    std::uniform_real_distribution<double> dist(-bound, bound);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(dist(rng_));
    return t;
  }
  Tensor filled(Shape shape, float value) {
    Tensor t(DType::F32, std::move(shape));
    std::fill(t.data<float>(), t.data<float>() + t.numel(), value);
    return t;
  }

  ValueId conv_bn_relu(const std::string& name, ValueId x, int64_t c_in, int64_t c_out,
                       int64_t stride) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(c_in * 9));
    ValueId w = g_.add_constant(name + ".weight", uniform({c_out, c_in, 3, 3}, bound));
    ValueId b = g_.add_constant(name + ".bias", uniform({c_out}, bound));
    ValueId y = g_.add("Conv", {x, w, b},
                       {{"kernel_shape", Shape{3, 3}},
                        {"pads", Shape{1, 1, 1, 1}},
                        {"strides", Shape{stride, stride}}},
                       name);
    ValueId scale = g_.add_constant(name + ".bn.scale", filled({c_out}, 1.0f));
    ValueId shift = g_.add_constant(name + ".bn.bias", filled({c_out}, 0.0f));
    ValueId mean = g_.add_constant(name + ".bn.running_mean", filled({c_out}, 0.0f));
    ValueId var = g_.add_constant(name + ".bn.running_var", filled({c_out}, 1.0f));
    y = g_.add("BatchNormalization", {y, scale, shift, mean, var}, {}, name + ".bn");
    return g_.add("Relu", {y}, {}, name + ".relu");
  }

  ValueId dense(const std::string& name, ValueId x, int64_t c_in, int64_t c_out) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(c_in));
    ValueId w = g_.add_constant(name + ".weight", uniform({c_out, c_in}, bound));
    ValueId b = g_.add_constant(name + ".bias", uniform({c_out}, bound));
    return g_.add("Gemm", {x, w, b}, {{"transB", int64_t{1}}}, name);
  }

 private:
  Graph& g_;
  std::mt19937_64 rng_;
};

}  // namespace

Graph small_cnn(uint64_t seed, int64_t batch) {
  Graph g("small_cnn");
  Builder b(g, seed);
  ValueId x = g.add_input("image", {DType::F32, {batch, 1, 28, 28}});
  x = b.conv_bn_relu("conv1", x, 1, 16, 1);
  x = b.conv_bn_relu("conv2", x, 16, 32, 2);
  x = b.conv_bn_relu("conv3", x, 32, 64, 2);
  x = g.add("GlobalAveragePool", {x}, {}, "pool");
  x = g.add("Flatten", {x}, {{"axis", int64_t{1}}}, "flatten");
  g.add_output(b.dense("fc", x, 64, 10));
  g.rename(g.outputs()[0], "logits");
  return g;
}

}  // namespace nas::evaluator
