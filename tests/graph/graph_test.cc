// The graph builder, printer, verifier, reference executor and autodiff, on the ops of
// ops/elementwise.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/autodiff.h"
#include "compiler/graph/graph.h"
#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/test_util.h"

namespace nas::graph {
namespace {

using ::testing::HasSubstr;
using nas::testing::user_error_message;

Graph small_graph() {
  Graph g("small");
  ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  ValueId b = g.add_constant("b", Tensor::f32({3}, {1, 2, 3}));
  ValueId r = g.add("Relu", {x}, {}, "relu");
  ValueId y = g.add("Add", {r, b}, {}, "add");
  g.add_output(y);
  return g;
}

TEST(GraphPrinter, PrintsStableText) {
  EXPECT_EQ(print_graph(small_graph()),
            "graph small(%x: f32[2,3]) {\n"
            "  const %b: f32[3]\n"
            "  %relu: f32[2,3] = Relu(%x)  # relu\n"
            "  %add: f32[2,3] = Add(%relu, %b)  # add\n"
            "  return %add\n"
            "}\n");
}

TEST(GraphPrinter, PrintsAttributesInNameOrder) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  g.add_output(g.add("ReduceSumTo", {x}, {{"shape", Shape{1, 3}}}, "sum"));
  EXPECT_THAT(print_graph(g), HasSubstr("%sum: f32[1,3] = ReduceSumTo(%x) {shape=[1,3]}  # sum"));
}

TEST(GraphBuilder, InfersBroadcastTypes) {
  Graph g;
  ValueId a = g.add_input("a", {DType::F32, {4, 1, 3}});
  ValueId b = g.add_input("b", {DType::F32, {5, 1}});
  EXPECT_EQ(g.type(g.add("Mul", {a, b})), (TensorType{DType::F32, {4, 5, 3}}));
}

TEST(GraphBuilder, RejectsUnknownOp) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1}});
  EXPECT_EQ(user_error_message([&] { g.add("Frobnicate", {x}, {}, "n1"); }),
            "node 'n1': unknown op 'Frobnicate'");
}

TEST(GraphBuilder, RejectsUnknownAttribute) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1}});
  EXPECT_EQ(user_error_message([&] { g.add("Relu", {x}, {{"alpha", 0.5f}}, "r"); }),
            "node 'r' (Relu): unknown attribute 'alpha' (supported: none)");
}

TEST(GraphBuilder, RejectsWrongAttributeKindAndMissingRequired) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2}});
  EXPECT_EQ(user_error_message([&] { g.add("ReduceSumTo", {x}, {{"shape", int64_t{2}}}, "s"); }),
            "node 's' (ReduceSumTo): attribute 'shape' is int, expected ints");
  EXPECT_EQ(user_error_message([&] { g.add("ReduceSumTo", {x}, {}, "t"); }),
            "node 't' (ReduceSumTo): required attribute 'shape' is missing");
}

TEST(GraphBuilder, RejectsWrongInputCountAndShapes) {
  Graph g;
  ValueId a = g.add_input("a", {DType::F32, {2, 3}});
  ValueId b = g.add_input("b", {DType::F32, {4}});
  EXPECT_EQ(user_error_message([&] { g.add("Add", {a}, {}, "one"); }),
            "node 'one' (Add): got 1 input, expected 2");
  EXPECT_EQ(user_error_message([&] { g.add("Add", {a, b}, {}, "bad"); }),
            "node 'bad' (Add): shapes [2,3] and [4] do not broadcast");
}

TEST(GraphBuilder, RejectsDuplicateNames) {
  Graph g("m");
  g.add_input("x", {DType::F32, {1}});
  EXPECT_EQ(user_error_message([&] { g.add_input("x", {DType::F32, {1}}); }),
            "graph 'm': value name 'x' is defined twice");
}

TEST(GraphBuilder, CountsParametersAndFlops) {
  Graph g = small_graph();
  EXPECT_EQ(g.parameter_count(), 3);
  EXPECT_EQ(g.flops(), 6 + 6);  // Relu and Add over 2x3 elements
}

TEST(Verifier, AcceptsBuiltGraph) { EXPECT_TRUE(verify_graph(small_graph()).empty()); }

TEST(Verifier, ReportsUseBeforeDefinition) {
  Graph g = small_graph();
  // Make relu read the add's output, which is defined after it: a cycle.
  g.mutable_node(0).inputs[0] = g.nodes()[1].outputs[0];
  std::vector<std::string> problems = verify_graph(g);
  ASSERT_FALSE(problems.empty());
  EXPECT_THAT(problems[0], HasSubstr("node 'relu' (Relu): input %add is used before it is defined"));
}

TEST(Verifier, ReportsWrongTypeAndMissingOutputs) {
  Graph g = small_graph();
  g.mutable_value(g.nodes()[0].outputs[0]).type.shape = {3, 2};
  g.set_outputs({});
  std::vector<std::string> problems = verify_graph(g);
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr(
                            "node 'relu' (Relu): output %relu is typed f32[3,2], expected f32[2,3]")));
  EXPECT_THAT(problems, ::testing::Contains("graph has no outputs"));
}

TEST(Verifier, ReportsAttributesWithoutDefaults) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2}});
  g.add_output(g.add("ReduceSumTo", {x}, {{"shape", Shape{1}}}, "s"));
  g.mutable_node(0).attrs.erase("shape");
  EXPECT_THAT(verify_graph(g),
              ::testing::Contains(HasSubstr("required attribute 'shape' is missing")));
}

TEST(ReferenceExecutor, RunsAndChecksInputs) {
  Graph g = small_graph();
  std::vector<Tensor> out = run_reference(g, {Tensor::f32({2, 3}, {-1, 0, 1, 2, -3, 4})});
  EXPECT_EQ(out[0], Tensor::f32({2, 3}, {1, 2, 4, 3, 2, 7}));
  EXPECT_EQ(user_error_message([&] { run_reference(g, {Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0})}); }),
            "input 'x': expected f32[2,3], got f32[3,2]");
  EXPECT_EQ(user_error_message([&] { run_reference(g, {}); }),
            "graph 'small' takes 1 input(s), got 0");
}

TEST(ReferenceExecutor, KeepsIntermediatesOnlyWhenAsked) {
  Graph g = small_graph();
  Tensor x = Tensor::f32({2, 3}, {-1, 0, 1, 2, -3, 4});
  ReferenceExecutor lean(g);
  lean.run({x});
  EXPECT_EQ(lean.values().count(g.nodes()[0].outputs[0]), 0u);
  ReferenceExecutor all(g, {.keep_all = true});
  all.run({x});
  EXPECT_EQ(all.values().at(g.nodes()[0].outputs[0]), Tensor::f32({2, 3}, {0, 0, 1, 2, 0, 4}));
}

TEST(ReferenceExecutor, RunsInDoublePrecision) {
  Graph g = small_graph();
  std::vector<Tensor> out =
      run_reference(g, {Tensor::f64({2, 3}, {-1, 0, 1e-12, 2, -3, 4})}, {.float_type = DType::F64});
  ASSERT_EQ(out[0].dtype(), DType::F64);
  EXPECT_EQ(out[0].data<double>()[2], 3.0 + 1e-12);
}

TEST(Autodiff, SumsGradientsOfReusedValues) {
  // loss = sum(x * x): d/dx = 2x, from two uses of x.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {3}});
  ValueId loss = g.add("ReduceSumTo", {g.add("Mul", {x, x})}, {{"shape", Shape{}}});
  std::vector<ValueId> grads = append_gradients(g, loss, {x});
  g.set_outputs({grads[0]});
  EXPECT_EQ(run_reference(g, {Tensor::f32({3}, {1, -2, 0.5f})})[0], Tensor::f32({3}, {2, -4, 1}));
}

TEST(Autodiff, GivesZerosForUnusedValuesAndRejectsNonScalarLoss) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2}});
  ValueId unused = g.add_input("u", {DType::F32, {2, 2}});
  ValueId y = g.add("Relu", {x}, {}, "y");
  ValueId loss = g.add("ReduceSumTo", {y}, {{"shape", Shape{}}});
  std::vector<ValueId> grads = append_gradients(g, loss, {unused});
  EXPECT_TRUE(g.is_constant(grads[0]));
  EXPECT_EQ(g.constant(grads[0]), Tensor(DType::F32, {2, 2}));
  EXPECT_EQ(user_error_message([&] { append_gradients(g, y, {x}); }),
            "loss %y must be a single float, it is f32[2]");
}

}  // namespace
}  // namespace nas::graph
