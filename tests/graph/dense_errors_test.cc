// User-facing errors of ops/dense.cc and ops/reduce.cc: one test per message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/autodiff.h"
#include "compiler/graph/graph.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/support/error.h"

namespace nas::graph {
namespace {

using ::testing::HasSubstr;

TensorType f32(Shape shape) { return {DType::F32, std::move(shape)}; }
TensorType i64(Shape shape) { return {DType::I64, std::move(shape)}; }

// Adds one node named "bad" over fresh inputs of the given types; returns the message of
// the UserError it throws (empty if none).
std::string add_error(std::string_view op, std::vector<TensorType> types, Attrs attrs = {}) {
  Graph g;
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < types.size(); ++i)
    inputs.push_back(g.add_input("in" + std::to_string(i), types[i]));
  try {
    g.add_node(op, inputs, attrs, "bad");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(GemmErrors, ARankNot2) {
  EXPECT_THAT(add_error("Gemm", {f32({2, 3, 4}), f32({4, 2})}),
              HasSubstr("node 'bad' (Gemm): A must have rank 2, got f32[2,3,4]"));
}

TEST(GemmErrors, BRankNot2) {
  EXPECT_THAT(add_error("Gemm", {f32({2, 3}), f32({3})}),
              HasSubstr("node 'bad' (Gemm): B must have rank 2, got f32[3]"));
}

TEST(GemmErrors, InnerDimensionsDiffer) {
  EXPECT_THAT(add_error("Gemm", {f32({2, 3}), f32({4, 2})}, {{"transB", int64_t{1}}}),
              HasSubstr("node 'bad' (Gemm): inner dimensions differ: A [2,3] (transA=0) has "
                        "K=3, B [4,2] (transB=1) has K=2"));
}

TEST(GemmErrors, BiasDoesNotBroadcast) {
  EXPECT_THAT(add_error("Gemm", {f32({2, 3}), f32({3, 4}), f32({2})}),
              HasSubstr("node 'bad' (Gemm): C [2] does not broadcast to the output shape [2,4]"));
}

TEST(GemmErrors, BiasRankAbove2) {
  EXPECT_THAT(add_error("Gemm", {f32({2, 3}), f32({3, 4}), f32({1, 2, 4})}),
              HasSubstr("node 'bad' (Gemm): C [1,2,4] does not broadcast"));
}

TEST(GemmErrors, NotFloat) {
  EXPECT_THAT(add_error("Gemm", {i64({2, 3}), f32({3, 4})}),
              HasSubstr("node 'bad' (Gemm): input 0 must be a float tensor, got i64[2,3]"));
}

TEST(MatMulErrors, ScalarOperand) {
  EXPECT_THAT(add_error("MatMul", {f32({}), f32({3, 4})}),
              HasSubstr("node 'bad' (MatMul): operands must have rank >= 1, got [] and [3,4]"));
}

TEST(MatMulErrors, InnerDimensionsDiffer) {
  EXPECT_THAT(add_error("MatMul", {f32({2, 5, 3}), f32({4, 6})}),
              HasSubstr("node 'bad' (MatMul): inner dimensions differ: [2,5,3] has K=3, [4,6] "
                        "has K=4"));
}

TEST(MatMulErrors, BatchDoesNotBroadcast) {
  EXPECT_THAT(add_error("MatMul", {f32({2, 5, 3}), f32({3, 3, 6})}),
              HasSubstr("node 'bad' (MatMul): batch dimensions of [2,5,3] and [3,3,6] do not "
                        "broadcast"));
}

TEST(MatMulErrors, GradDyMismatch) {
  EXPECT_THAT(add_error("MatMulGradA", {f32({2, 5}), f32({3, 4})}, {{"a_shape", Shape{2, 3}}}),
              HasSubstr("node 'bad' (MatMulGradA): dy is [2,5], the MatMul output is [2,4]"));
}

TEST(ReduceMeanErrors, AxisOutOfRange) {
  EXPECT_THAT(add_error("ReduceMean", {f32({2, 3})}, {{"axes", Shape{2}}}),
              HasSubstr("node 'bad' (ReduceMean): axis 2 is out of range for rank 2"));
}

TEST(ReduceMeanErrors, AxisTwice) {
  EXPECT_THAT(add_error("ReduceMean", {f32({2, 3})}, {{"axes", Shape{1, -1}}}),
              HasSubstr("node 'bad' (ReduceMean): axis -1 is listed twice in axes [1,-1]"));
}

TEST(ReduceMeanErrors, GradDyMismatch) {
  EXPECT_THAT(add_error("ReduceMeanGrad", {f32({2, 3})},
                        {{"axes", Shape{1}}, {"input_shape", Shape{2, 3}}}),
              HasSubstr("node 'bad' (ReduceMeanGrad): dy is [2,3], the ReduceMean output is "
                        "[2,1]"));
}

TEST(ReduceMaxErrors, AxisOutOfRange) {
  EXPECT_THAT(add_error("ReduceMax", {f32({2, 3})}, {{"axes", Shape{-3}}}),
              HasSubstr("node 'bad' (ReduceMax): axis -3 is out of range for rank 2"));
}

TEST(ReduceMaxErrors, AxisTwice) {
  EXPECT_THAT(add_error("ReduceMax", {f32({2, 3})}, {{"axes", Shape{0, -2}}}),
              HasSubstr("node 'bad' (ReduceMax): axis -2 is listed twice in axes [0,-2]"));
}

TEST(ReduceMaxErrors, IntegerInput) {
  EXPECT_THAT(add_error("ReduceMax", {i64({2, 3})}),
              HasSubstr("node 'bad' (ReduceMax): input 0 must be a float tensor, got i64[2,3]"));
}

TEST(ReduceMaxErrors, GradDyMismatch) {
  EXPECT_THAT(add_error("ReduceMaxGrad", {f32({2}), f32({2, 3})}, {{"axes", Shape{1}}}),
              HasSubstr("node 'bad' (ReduceMaxGrad): dy is f32[2], the ReduceMax output is "
                        "f32[2,1]"));
}

TEST(SoftmaxErrors, AxisOutOfRange) {
  EXPECT_THAT(add_error("Softmax", {f32({2, 3})}, {{"axis", int64_t{-3}}}),
              HasSubstr("node 'bad' (Softmax): axis -3 is out of range for input f32[2,3]"));
}

TEST(SoftmaxErrors, GradTypesDiffer) {
  EXPECT_THAT(add_error("SoftmaxGrad", {f32({2, 3}), f32({3, 2})}),
              HasSubstr("node 'bad' (SoftmaxGrad): dy f32[2,3] and y f32[3,2] differ in type"));
}

TEST(SoftmaxCrossEntropyErrors, ScoresRank) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropy", {f32({3}), i64({3})}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropy): scores must be [N, C, ...] of rank "
                        ">= 2, got f32[3]"));
}

TEST(SoftmaxCrossEntropyErrors, LabelsNotI64) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropy", {f32({2, 3}), f32({2})}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropy): labels must be i64, got f32[2]"));
}

TEST(SoftmaxCrossEntropyErrors, LabelsShape) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropy", {f32({2, 3}), i64({3})}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropy): labels must be [2] for scores [2,3], "
                        "got [3]"));
}

TEST(SoftmaxCrossEntropyErrors, WeightsShape) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropy", {f32({2, 3}), i64({2}), f32({2})}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropy): weights must be f32[3] (one per "
                        "class), got f32[2]"));
}

TEST(SoftmaxCrossEntropyErrors, UnknownReduction) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropy", {f32({2, 3}), i64({2})},
                        {{"reduction", std::string("max")}}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropy): reduction must be \"mean\", \"sum\" "
                        "or \"none\", got \"max\""));
}

TEST(SoftmaxCrossEntropyErrors, GradDlossShape) {
  EXPECT_THAT(add_error("SoftmaxCrossEntropyGrad", {f32({2}), f32({2, 3}), i64({2})}),
              HasSubstr("node 'bad' (SoftmaxCrossEntropyGrad): dloss must be f32[], got f32[2]"));
}

TEST(SoftmaxCrossEntropyErrors, LabelOutOfRange) {
  Graph g;
  const ValueId s = g.add_input("s", f32({2, 3}));
  const ValueId l = g.add_input("l", i64({2}));
  g.add_output(g.add_node("SoftmaxCrossEntropy", {s, l}, {}, "bad")[0]);
  try {
    run_reference(g, {Tensor(f32({2, 3})), Tensor::i64({2}, {0, 3})});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'bad' (SoftmaxCrossEntropy): label 3 at index 1 is "
                                    "outside [0, 3)"));
  }
}

TEST(SoftmaxCrossEntropyErrors, WeightsGradientUnsupported) {
  Graph g;
  const ValueId s = g.add_input("s", f32({2, 3}));
  const ValueId l = g.add_input("l", i64({2}));
  const ValueId w = g.add_input("w", f32({3}));
  const ValueId loss = g.add_node("SoftmaxCrossEntropy", {s, l, w}, {}, "bad")[0];
  try {
    append_gradients(g, loss, {s, w});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'bad' (SoftmaxCrossEntropy): the gradient with respect "
                                    "to the class weights (input 2) is not supported"));
  }
}

}  // namespace
}  // namespace nas::graph
