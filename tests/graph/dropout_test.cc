// Dropout's training-mode mask: its statistics, its exact scale, and its dependence on the
// seed alone.
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/graph/reference_executor.h"

namespace nas::graph {
namespace {

constexpr int64_t kCount = 10000;

// Dropout(ratio 0.5, training) of kCount elements all equal to 1.5.
Tensor dropout_of_constant(int64_t seed) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {kCount}});
  g.add_output(g.add("Dropout", {x},
                     {{"ratio", 0.5f}, {"training_mode", int64_t{1}}, {"seed", seed}}));
  return run_reference(g, {Tensor::f32({kCount}, std::vector<float>(kCount, 1.5f))})[0];
}

TEST(Dropout, TrainingZeroesAboutRatioAndScalesTheRestExactly) {
  const Tensor y = dropout_of_constant(42);
  int64_t zeroed = 0;
  for (int64_t i = 0; i < kCount; ++i) {
    const float v = y.data<float>()[i];
    if (v == 0.0f) {
      ++zeroed;
    } else {
      ASSERT_EQ(v, 3.0f) << "element " << i << " kept but not scaled by 1 / (1 - 0.5) = 2";
    }
  }
  EXPECT_GE(zeroed, kCount * 4 / 10);
  EXPECT_LE(zeroed, kCount * 6 / 10);
}

TEST(Dropout, MaskDependsOnlyOnSeed) {
  EXPECT_EQ(dropout_of_constant(7), dropout_of_constant(7));
  EXPECT_NE(dropout_of_constant(7), dropout_of_constant(8));
}

}  // namespace
}  // namespace nas::graph
