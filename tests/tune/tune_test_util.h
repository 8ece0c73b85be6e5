// What the tuner tests share: a small network with a kernel of each op family the schedule
// spaces cover, and options that compile it for the host.
#pragma once

#include "compiler/compile.h"
#include "compiler/graph/graph.h"
#include "compiler/target/target.h"
#include "tests/runtime/runtime_test_util.h"

namespace nas::tune::testing {

using namespace graph;

// conv 3x3 (blocked) + Relu, depthwise 3x3, max pool, conv 1x1 to 20 channels, global
// average pool, dense, softmax.
inline Graph zoo() {
  using runtime::testing::random_tensor;
  Graph g("zoo");
  const ValueId x = g.add_input("x", {DType::F32, {1, 16, 10, 10}});
  ValueId y = g.add("Conv",
                    {x, g.add_constant("w1", random_tensor({DType::F32, {32, 16, 3, 3}}, 1)),
                     g.add_constant("b1", random_tensor({DType::F32, {32}}, 2))},
                    {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  y = g.add("Relu", {y}, {}, "relu");
  // A WinogradConv: F(2x2, 3x3), 25 tiles of 2 at 10x10 (passes/winograd.h).
  y = g.add("Conv", {y, g.add_constant("w_wino", random_tensor({DType::F32, {32, 32, 3, 3}}, 6))},
            {{"pads", Shape{1, 1, 1, 1}}}, "winograd");
  y = g.add("Conv", {y, g.add_constant("w2", random_tensor({DType::F32, {32, 1, 3, 3}}, 3))},
            {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{32}}}, "depthwise");
  y = g.add("MaxPool", {y}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}}, "maxpool");
  y = g.add("Conv", {y, g.add_constant("w3", random_tensor({DType::F32, {20, 32, 1, 1}}, 4))},
            {}, "pointwise");
  y = g.add("GlobalAveragePool", {y}, {}, "pool");
  y = g.add("Flatten", {y}, {}, "flat");
  y = g.add("Gemm", {y, g.add_constant("fc", random_tensor({DType::F32, {10, 20}}, 5))},
            {{"transB", int64_t{1}}}, "dense");
  g.add_output(g.add("Softmax", {y}, {}, "softmax"));
  return g;
}

inline compiler::CompileOptions host_options(int threads) {
  compiler::CompileOptions o;
  o.target = target::host_target();
  o.target.threads = threads;
  return o;
}

// A short protocol: the tests check what is measured, not how fast.
inline runtime::TimingProtocol quick_protocol() {
  return {.warmup = 1, .min_repeats = 3, .min_seconds = 0.001, .max_seconds = 0.1, .rounds = 1,
          .pin = false, .max_spread = 0, .calibrate = false};
}

}  // namespace nas::tune::testing
