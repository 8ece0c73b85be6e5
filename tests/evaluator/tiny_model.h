// A tiny trainable CNN and a learnable synthetic data set for evaluator tests.
#pragma once

#include <cmath>
#include <random>

#include "compiler/graph/graph.h"
#include "evaluator/data/synthetic.h"

namespace nas::evaluator {

// conv3x3 1->8 stride 2, BN, ReLU, flatten, dense -> classes, on 1x8x8 inputs.
inline graph::Graph tiny_model(int64_t classes, uint64_t seed) {
  using namespace graph;
  std::mt19937_64 rng(seed);
  auto uniform = [&](Shape shape, double bound) {
    Tensor t(DType::F32, std::move(shape));
    std::uniform_real_distribution<double> d(-bound, bound);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(d(rng));
    return t;
  };
  auto filled = [](int64_t n, float v) { return Tensor::f32({n}, std::vector<float>(n, v)); };
  Graph g("tiny");
  ValueId x = g.add_input("x", {DType::F32, {1, 1, 8, 8}});
  x = g.add("Conv", {x, g.add_constant("conv.w", uniform({8, 1, 3, 3}, 1.0 / 3)),
                     g.add_constant("conv.b", uniform({8}, 1.0 / 3))},
            {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}}, "conv");
  x = g.add("BatchNormalization",
            {x, g.add_constant("bn.scale", filled(8, 1)), g.add_constant("bn.bias", filled(8, 0)),
             g.add_constant("bn.mean", filled(8, 0)), g.add_constant("bn.var", filled(8, 1))},
            {}, "bn");
  x = g.add("Flatten", {g.add("Relu", {x}, {}, "relu")}, {}, "flat");
  x = g.add("Gemm", {x, g.add_constant("fc.w", uniform({classes, 128}, 1.0 / std::sqrt(128.0))),
                     g.add_constant("fc.b", uniform({classes}, 0.05))},
            {{"transB", int64_t{1}}}, "fc");
  g.add_output(x);
  return g;
}

inline Dataset synthetic(int64_t n, uint64_t seed) {
  return make_synthetic({.n = n, .classes = 4, .channels = 1, .height = 8, .width = 8,
                         .seed = seed, .noise = 0.5f});
}

}  // namespace nas::evaluator
