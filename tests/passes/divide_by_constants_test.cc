// divide_by_constants: which divisions become multiplications by reciprocals, and that the
// rewritten graph computes what the source computes (within an ulp or two).
#include "compiler/passes/divide_by_constants.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "compiler/graph/op_registry.h"
#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/passes/pass_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;

// GELU as torch exports it, x * 0.5 * (1 + erf(x / divisor)), on x [2, 8].
Graph gelu(const Tensor& divisor) {
  Graph g("gelu");
  const ValueId x = g.add_input("x", {DType::F32, {2, 8}});
  const ValueId d = g.add_constant("divisor", divisor);
  const ValueId e = g.add("Erf", {g.add("Div", {x, d}, {}, "div")}, {}, "erf");
  const ValueId one = g.add_constant("one", Tensor::scalar_f32(1.0f));
  const ValueId half = g.add_constant("half", Tensor::scalar_f32(0.5f));
  g.add_output(g.add("Mul", {g.add("Mul", {x, g.add("Add", {e, one})}), half}, {}, "y"));
  return g;
}

int count_ops(const Graph& g, OpId id) {
  int n = 0;
  for (const Node& node : g.nodes()) n += node.op->id == id;
  return n;
}

TEST(DivideByConstants, MultipliesByTheReciprocalAndKeepsTheResults) {
  for (const Tensor& divisor :
       {Tensor::scalar_f32(std::sqrt(2.0f)), Tensor::f32({8}, {1, 2, 3, -4, 0.5f, 7, 1e-3f, 9})}) {
    const Graph g = gelu(divisor);
    const Graph rewritten = divide_by_constants(g);
    ASSERT_TRUE(verify_graph(rewritten).empty());
    EXPECT_EQ(count_ops(rewritten, OpId::Div), 0);
    EXPECT_EQ(count_ops(rewritten, OpId::Mul), 3);
    const ValueId r = rewritten.nodes()[0].inputs[1];
    ASSERT_TRUE(rewritten.is_constant(r));
    const Tensor& reciprocal = rewritten.constant(r);
    ASSERT_EQ(reciprocal.numel(), divisor.numel());
    for (int64_t i = 0; i < divisor.numel(); ++i)
      EXPECT_EQ(reciprocal.data<float>()[i], 1.0f / divisor.data<float>()[i]);
    EXPECT_EQ(rewritten.nodes()[0].name, "div");  // the node keeps its name
    for (uint64_t seed : {1, 2, 3}) {
      const std::vector<Tensor> inputs = testing::random_inputs(g, seed);
      const Tensor want = run_reference(g, inputs)[0], got = run_reference(rewritten, inputs)[0];
      for (int64_t i = 0; i < want.numel(); ++i)
        EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i],
                    4e-7 * (1 + std::abs(want.data<float>()[i])));
    }
  }
}

TEST(DivideByConstants, LeavesDivisorsWithoutAFiniteReciprocal) {
  const float inf = std::numeric_limits<float>::infinity();
  // A zero, an infinity, a divisor whose reciprocal overflows (1 / 1e-39 > FLT_MAX).
  for (float bad : {0.0f, inf, 1e-39f}) {
    const Graph g = gelu(Tensor::f32({8}, {1, 2, 3, 4, 5, 6, 7, bad}));
    EXPECT_EQ(print_graph(divide_by_constants(g)), print_graph(g)) << bad;
  }
  // A divisor that is no constant.
  Graph g("div");
  const ValueId x = g.add_input("x", {DType::F32, {4}});
  g.add_output(g.add("Div", {x, g.add_input("d", {DType::F32, {4}})}, {}, "div"));
  EXPECT_EQ(print_graph(divide_by_constants(g)), print_graph(g));
}

}  // namespace
}  // namespace nas::passes
