// fold_batch_norm: numerically equal to the reference executor on random conv shapes
// (groups, depthwise, with and without bias), the cases it must leave alone, and golden text.
#include "compiler/passes/fold_batch_norm.h"

#include <gtest/gtest.h>

#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/passes/pass_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using testing::random_tensor;

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node& node : g.nodes()) n += node.op_name() == op;
  return n;
}

struct ConvShape {
  int64_t batch, c_in, c_out, group, kernel, stride, size;
  bool bias;
};

// x -> Conv -> BatchNormalization -> Relu, with random weights and statistics.
Graph conv_bn_relu(const ConvShape& s, SplitMix64& rng) {
  Graph g("conv_bn");
  ValueId x = g.add_input("x", {DType::F32, {s.batch, s.c_in, s.size, s.size}});
  std::vector<ValueId> conv_inputs{
      x, g.add_constant("w", random_tensor({s.c_out, s.c_in / s.group, s.kernel, s.kernel}, rng))};
  if (s.bias) conv_inputs.push_back(g.add_constant("b", random_tensor({s.c_out}, rng)));
  const int64_t pad = s.kernel / 2;
  ValueId y = g.add("Conv", conv_inputs,
                    {{"group", s.group},
                     {"pads", Shape{pad, pad, pad, pad}},
                     {"strides", Shape{s.stride, s.stride}}},
                    "conv");
  ValueId scale = g.add_constant("scale", random_tensor({s.c_out}, rng, 0.2, 2.0));
  ValueId shift = g.add_constant("shift", random_tensor({s.c_out}, rng));
  ValueId mean = g.add_constant("mean", random_tensor({s.c_out}, rng));
  ValueId var = g.add_constant("var", random_tensor({s.c_out}, rng, 0.01, 3.0));
  y = g.add("BatchNormalization", {y, scale, shift, mean, var}, {{"epsilon", 1e-3f}}, "bn");
  g.add_output(g.add("Relu", {y}, {}, "relu"));
  return g;
}

ConvShape random_shape(SplitMix64& rng) {
  ConvShape s;
  s.batch = 1 + static_cast<int64_t>(rng.below(2));
  s.c_in = 1 + static_cast<int64_t>(rng.below(6));
  switch (rng.below(3)) {
    case 0: s.group = 1; break;
    case 1: s.group = s.c_in; break;  // depthwise
    default: s.group = s.c_in % 2 == 0 ? 2 : 1;
  }
  s.c_out = s.group * (1 + static_cast<int64_t>(rng.below(3)));
  s.kernel = rng.below(2) ? 3 : 1;
  s.stride = 1 + static_cast<int64_t>(rng.below(2));
  s.size = 3 + static_cast<int64_t>(rng.below(5));
  s.bias = rng.below(2) == 1;
  return s;
}

TEST(FoldBatchNorm, MatchesTheReferenceOnRandomConvShapes) {
  SplitMix64 rng(7);
  bool saw_depthwise = false, saw_grouped = false, saw_no_bias = false;
  for (int trial = 0; trial < 40; ++trial) {
    const ConvShape s = random_shape(rng);
    saw_depthwise |= s.group > 1 && s.group == s.c_in;
    saw_grouped |= s.group > 1 && s.group < s.c_in;
    saw_no_bias |= !s.bias;
    Graph g = conv_bn_relu(s, rng);
    Graph folded = fold_batch_norm(g);
    SCOPED_TRACE(print_graph(g));
    ASSERT_TRUE(verify_graph(folded).empty());
    EXPECT_EQ(count_ops(folded, "BatchNormalization"), 0);
    EXPECT_EQ(count_ops(folded, "Conv"), 1);
    const std::vector<Tensor> inputs = testing::random_inputs(g, 100 + trial);
    EXPECT_LT(testing::max_relative_error(run_reference(folded, inputs)[0],
                                          run_reference(g, inputs)[0]),
              1e-5);
  }
  EXPECT_TRUE(saw_depthwise && saw_grouped && saw_no_bias);
}

TEST(FoldBatchNorm, FoldsEveryBatchNormOfAMobileNetBlock) {
  Graph g = testing::mobilenet_block(3);
  Graph folded = fold_batch_norm(g);
  EXPECT_EQ(count_ops(folded, "BatchNormalization"), 0);
  const std::vector<Tensor> inputs = testing::random_inputs(g, 5);
  EXPECT_LT(testing::max_relative_error(run_reference(folded, inputs)[0],
                                        run_reference(g, inputs)[0]),
            1e-5);
}

TEST(FoldBatchNorm, LeavesAConvWithAnotherUserAlone) {
  SplitMix64 rng(1);
  Graph g = conv_bn_relu({1, 2, 2, 1, 3, 1, 4, true}, rng);
  // A second reader of the conv's output would see the folded values.
  g.add_output(g.add("Sigmoid", {*g.find("conv")}, {}, "other"));
  EXPECT_EQ(print_graph(fold_batch_norm(g)), print_graph(g));
}

TEST(FoldBatchNorm, LeavesAConvWhoseOutputIsAGraphOutputAlone) {
  SplitMix64 rng(1);
  Graph g = conv_bn_relu({1, 2, 2, 1, 3, 1, 4, true}, rng);
  g.add_output(*g.find("conv"));
  EXPECT_EQ(print_graph(fold_batch_norm(g)), print_graph(g));
}

TEST(FoldBatchNorm, LeavesTrainingModeAndNonConstantStatisticsAlone) {
  Graph g("not_foldable");
  SplitMix64 rng(2);
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 3, 3}});
  ValueId mean = g.add_input("mean", {DType::F32, {2}});  // statistics fed at run time
  ValueId w = g.add_constant("w", random_tensor({2, 2, 1, 1}, rng));
  ValueId c = g.add_constant("c", random_tensor({2}, rng, 0.5, 1.0));
  ValueId y1 = g.add("Conv", {x, w}, {}, "conv1");
  g.add_output(g.add("BatchNormalization", {y1, c, c, mean, c}, {}, "bn1"));
  ValueId y2 = g.add("Conv", {x, w}, {}, "conv2");
  g.add_output(g.add_node("BatchNormalization", {y2, c, c, c, c}, {{"training_mode", int64_t{1}}},
                          "bn2")[0]);
  EXPECT_EQ(print_graph(fold_batch_norm(g)), print_graph(g));
}

TEST(FoldBatchNorm, Golden) {
  Graph g = testing::mobilenet_block(3);
  testing::expect_golden("fold_batch_norm.txt",
                         testing::before_after(g, "fold_batch_norm", fold_batch_norm(g)));
}

}  // namespace
}  // namespace nas::passes
