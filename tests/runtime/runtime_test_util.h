// What the runtime tests share: seeded inputs of a graph and the comparison of a compiled
// model's outputs with the reference executor's.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/graph/tensor.h"
#include "compiler/support/random.h"

namespace nas::runtime::testing {

// Normal noise, seeded.
inline graph::Tensor random_tensor(const graph::TensorType& type, uint64_t seed) {
  graph::Tensor t(type);
  SplitMix64 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(rng.normal());
  return t;
}

// One tensor per graph input, seeds seed, seed + 1, ...
inline std::vector<graph::Tensor> random_inputs(const graph::Graph& g, uint64_t seed) {
  std::vector<graph::Tensor> inputs;
  for (graph::ValueId v : g.inputs()) inputs.push_back(random_tensor(g.type(v), seed++));
  return inputs;
}

// Close to fp32 rounding of sums whose terms are about as large as the output's largest value.
inline void expect_close(const graph::Tensor& got, const graph::Tensor& want,
                         const std::string& what) {
  ASSERT_EQ(got.type(), want.type()) << what;
  double scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(want.at(i)));
  int reported = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double tolerance = 1e-4 * (std::abs(want.at(i)) + scale) + 1e-6;
    if (!(std::abs(got.at(i) - want.at(i)) <= tolerance) && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << got.at(i) << ", the reference "
                    << want.at(i);
  }
}

}  // namespace nas::runtime::testing
