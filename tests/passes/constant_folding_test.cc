// fold_constants: chains of constant nodes become constants with the same results, nodes
// that read a graph input stay, and golden text.
#include "compiler/passes/constant_folding.h"

#include <gtest/gtest.h>

#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/passes/pass_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;

// y = x + relu(reshape((a + b) * a)), where everything right of `x +` is constant, and an
// unused input `z` that must survive.
Graph constant_chain() {
  Graph g("constant_chain");
  ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  g.add_input("z", {DType::F32, {1}});
  ValueId a = g.add_constant("a", Tensor::f32({6}, {1, -2, 3, -4, 5, -6}));
  ValueId b = g.add_constant("b", Tensor::f32({6}, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}));
  ValueId sum = g.add("Add", {a, b}, {}, "sum");
  ValueId product = g.add("Mul", {sum, a}, {}, "product");
  ValueId shaped = g.add("Reshape", {product}, {{"shape", Shape{2, 3}}}, "shaped");
  ValueId relu = g.add("Relu", {shaped}, {}, "relu");
  g.add_output(g.add("Add", {x, relu}, {}, "y"));
  return g;
}

TEST(ConstantFolding, FoldsAChainInOneCallAndKeepsTheResults) {
  Graph g = constant_chain();
  Graph folded = fold_constants(g);
  ASSERT_TRUE(verify_graph(folded).empty());
  ASSERT_EQ(folded.nodes().size(), 1u);
  EXPECT_EQ(folded.nodes()[0].name, "y");
  const ValueId relu = *folded.find("relu");
  ASSERT_TRUE(folded.is_constant(relu));
  EXPECT_EQ(folded.constant(relu), Tensor::f32({2, 3}, {1.5f, 3, 10.5f, 14, 27.5f, 33}));
  EXPECT_EQ(folded.constants().size(), 1u);  // a, b and the intermediates are dead
  EXPECT_EQ(folded.inputs().size(), 2u);     // the unused input stays: it is the interface
  const std::vector<Tensor> inputs = testing::random_inputs(g, 1);
  EXPECT_EQ(run_reference(folded, inputs)[0], run_reference(g, inputs)[0]);
}

TEST(ConstantFolding, LeavesAGraphWithoutConstantNodesUnchanged) {
  Graph g = testing::mobilenet_block(1);
  EXPECT_EQ(print_graph(fold_constants(g)), print_graph(g));
}

TEST(ConstantFolding, FoldsAConstantGraphOutput) {
  Graph g("constant_output");
  g.add_input("x", {DType::F32, {2}});
  ValueId a = g.add_constant("a", Tensor::f32({2}, {-1, 2}));
  g.add_output(g.add("Relu", {a}, {}, "r"));
  Graph folded = fold_constants(g);
  EXPECT_TRUE(folded.nodes().empty());
  ASSERT_EQ(folded.outputs().size(), 1u);
  EXPECT_EQ(folded.value(folded.outputs()[0]).name, "r");
  EXPECT_EQ(folded.constant(folded.outputs()[0]), Tensor::f32({2}, {0, 2}));
}

TEST(ConstantFolding, Golden) {
  Graph g = constant_chain();
  testing::expect_golden("constant_folding.txt",
                         testing::before_after(g, "constant_folding", fold_constants(g)));
}

}  // namespace
}  // namespace nas::passes
