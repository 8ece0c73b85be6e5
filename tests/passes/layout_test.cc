// plan_layouts: golden plans for the small CNN and a MobileNet block, and the rules: values
// between conv, pooling and elementwise groups are blocked with the largest block of at most
// the vector lanes; graph inputs and outputs, values a flatten or a dense op reads, and
// channel counts without a block of 4 stay NCHW; the layout flows through copies of
// channels and channel shuffles.
#include "compiler/passes/layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/passes/fold_batch_norm.h"
#include "compiler/passes/fusion.h"
#include "compiler/compile.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/target/target.h"
#include "evaluator/models/small_cnn.h"
#include "evaluator/train/training_step.h"
#include "tests/passes/pass_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using ::testing::ElementsAre;
using ::testing::Pair;

LayoutPlan plan_of(const Graph& g, int lanes) { return plan_layouts(g, plan_fusion(g), lanes); }

std::map<std::string, int64_t> blocked_names(const Graph& g, const LayoutPlan& plan) {
  std::map<std::string, int64_t> names;
  for (const auto& [v, block] : plan.channel_blocks) names[g.value(v).name] = block;
  return names;
}

// The largest error of `g` compiled for the host, relative to the reference's output, on
// seeded random inputs.
double compiled_error(const Graph& g, uint64_t seed) {
  const std::vector<Tensor> inputs = testing::random_inputs(g, seed);
  compiler::CompileOptions o;
  o.target = target::host_target();
  return testing::max_relative_error(compiler::compile_model(g, o)->run(inputs)[0],
                                     run_reference(g, inputs)[0]);
}

TEST(Layout, SmallCnnGolden) {
  const compiler::OptimizedGraph r = compiler::optimize_graph(evaluator::small_cnn(1));
  const LayoutPlan plan = plan_layouts(r.graph, r.fusion, 16);
  testing::expect_golden("layout_small_cnn.txt", print_layout_plan(r.graph, plan));
  // conv1 (16 channels) and conv2 (32) feed convolutions; conv3 feeds the global pool;
  // the pooled value feeds the flatten and stays NCHW.
  EXPECT_EQ(plan.channel_blocks.size(), 3u);
}

TEST(Layout, MobileNetBlockGolden) {
  const Graph g = fold_batch_norm(testing::mobilenet_block(3));
  testing::expect_golden("layout_mobilenet_block.txt",
                         print_layout_plan(g, plan_of(g, 16)) + print_layout_plan(g, plan_of(g, 8)));
}

// x -> conv a (24 ch) -> relu | conv b (6 ch) -> pool -> flatten -> gemm, and a returned value.
Graph rules_graph() {
  Graph g("rules");
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 8, 8}});
  auto conv = [&](ValueId in, int64_t c_in, int64_t c_out, const std::string& name) {
    const ValueId w = g.add_constant(name + ".w", Tensor(DType::F32, {c_out, c_in, 3, 3}));
    return g.add("Conv", {in, w}, {{"pads", Shape{1, 1, 1, 1}}}, name);
  };
  const ValueId a = conv(x, 3, 24, "a");
  const ValueId b = conv(a, 24, 6, "b");
  const ValueId c = conv(a, 24, 12, "c");
  const ValueId returned = g.add("Relu", {conv(c, 12, 12, "d")}, {}, "returned");
  const ValueId pooled = g.add("MaxPool", {b}, {{"kernel_shape", Shape{2, 2}}}, "pool");
  const ValueId flat = g.add("Flatten", {pooled}, {}, "flatten");
  const ValueId fc_w = g.add_constant("fc.w", Tensor(DType::F32, {4, 6 * 7 * 7}));
  g.add_output(g.add("Gemm", {flat, fc_w}, {{"transB", int64_t{1}}}, "fc"));
  g.add_output(returned);
  // c also feeds a flatten: its readers are not all channel-friendly.
  g.add_output(g.add("Flatten", {c}, {}, "c_flat"));
  return g;
}

TEST(Layout, BlocksOnlyBetweenChannelFriendlyKernels) {
  const Graph g = rules_graph();
  // a: 24 channels, block 8 (16 does not divide); b: 6 channels, no block of 4; c: read by a
  // flatten; d: fused with the returned relu; the pooled value is read by a flatten.
  EXPECT_THAT(blocked_names(g, plan_of(g, 16)), ElementsAre(Pair("a", 8)));
  EXPECT_THAT(blocked_names(g, plan_of(g, 4)), ElementsAre(Pair("a", 4)));
}

// A training step of the small CNN: activations and their gradients stay blocked between
// convolutions, batch norm (training mode and its gradient) and the convolution's
// gradients; a convolution's input, which its weight gradient reads one channel of a pixel
// at a time, stays NCHW where that gradient reads it.
TEST(Layout, TrainingStepBlocksBetweenForwardAndBackwardKernels) {
  const Graph step = evaluator::compiled_step_graph(
      evaluator::build_training_graph(evaluator::small_cnn(1), 8));
  const compiler::OptimizedGraph r = compiler::optimize_graph(step);
  const std::map<std::string, int64_t> blocked =
      blocked_names(r.graph, plan_layouts(r.graph, r.fusion, 16));
  EXPECT_EQ(blocked.at("conv2"), 16);     // conv2 -> batch norm (and its gradient)
  EXPECT_EQ(blocked.at("conv3.bn"), 16);  // batch norm -> relu
  std::vector<std::string> grad_inputs, conv_inputs;
  for (const Node& node : r.graph.nodes()) {
    if (node.op_name() == "BatchNormTrainingGrad")  // dY of a batch norm, from a conv's dX
      grad_inputs.push_back(r.graph.value(node.inputs[0]).name);
    if (node.op_name() == "ConvGradWeight")  // X of a (not depthwise) weight gradient
      conv_inputs.push_back(r.graph.value(node.inputs[1]).name);
  }
  int blocked_grads = 0;
  for (const std::string& name : grad_inputs) blocked_grads += blocked.contains(name);
  EXPECT_GE(blocked_grads, 1) << "no gradient handed over blocked";
  for (const std::string& name : conv_inputs) EXPECT_FALSE(blocked.contains(name)) << name;
}

TEST(Layout, BlockedShape) {
  EXPECT_EQ(blocked_shape({2, 32, 5, 7}, 16), (Shape{2, 2, 5, 7, 16}));
  EXPECT_EQ(LayoutPlan{}.block_of(3), 1);
}

// Channel counts that no long vector divides: padded to whole vectors where the dividing
// one would take a quarter of the lanes or fewer or the tail is short, and two full vectors
// fit; such values stay
// NCHW between kernels (the NCHW convolution pads them), others keep their blocks.
TEST(Layout, ChannelVectorLanesPadShortVectors) {
  EXPECT_EQ(channel_vector_lanes(58, 16), 16);   // 2 would divide
  EXPECT_EQ(channel_vector_lanes(116, 16), 16);  // 4
  EXPECT_EQ(channel_vector_lanes(232, 16), 8);    // a tail of 8 is 1/29 of them
  EXPECT_EQ(channel_vector_lanes(1000, 16), 16);  // a tail of 8 is 1/125
  EXPECT_EQ(channel_vector_lanes(24, 16), 8);
  EXPECT_EQ(channel_vector_lanes(20, 16), 4);  // fewer than two vectors of 16
  EXPECT_EQ(channel_vector_lanes(64, 16), 16);
  EXPECT_EQ(channel_vector_lanes(58, 8), 8);
  EXPECT_EQ(channel_vector_lanes(12, 8), 4);

  Graph g("odd_channels");
  SplitMix64 rng(5);
  ValueId x = g.add_input("x", {DType::F32, {1, 8, 6, 6}});
  for (int64_t channels : {116, 20, 32}) {
    const int64_t in = g.type(x).shape[1];
    const ValueId w = g.add_constant(fmt::format("w{}", channels),
                                     testing::random_tensor({channels, in, 1, 1}, rng));
    x = g.add("Relu", {g.add("Conv", {x, w}, {}, fmt::format("conv{}", channels))}, {},
              fmt::format("relu{}", channels));
  }
  const ValueId w = g.add_constant("wout", testing::random_tensor({8, 32, 1, 1}, rng));
  g.add_output(g.add("Conv", {x, w}, {}, "out"));
  EXPECT_THAT(blocked_names(g, plan_of(g, 16)),
              ElementsAre(Pair("relu20", 4), Pair("relu32", 16)));
}

// A ShuffleNetV2 unit between convolutions: conv to 64 channels, Split in halves, a conv on
// the second, Concat, channel shuffle (reshape, transpose, reshape), and a Slice of 32
// channels from `slice_start`, read by a conv.
Graph shuffle_unit(int64_t slice_start) {
  Graph g("shuffle_unit");
  SplitMix64 rng(7);
  auto conv = [&](ValueId in, int64_t c_out, const std::string& name) {
    const ValueId w = g.add_constant(
        name + ".w", testing::random_tensor({c_out, g.type(in).shape[1], 1, 1}, rng));
    return g.add("Relu", {g.add("Conv", {in, w}, {}, name + ".conv")}, {}, name);
  };
  const ValueId a = conv(g.add_input("x", {DType::F32, {1, 3, 8, 8}}), 64, "a");
  const std::vector<ValueId> halves =
      g.add_node("Split", {a}, {{"axis", int64_t{1}}, {"num_outputs", int64_t{2}}}, "split");
  g.rename(halves[0], "x1");
  g.rename(halves[1], "x2");
  const ValueId joined = g.add("Concat", {halves[0], conv(halves[1], 32, "b")},
                               {{"axis", int64_t{1}}}, "concat");
  const ValueId grouped = g.add("Reshape", {joined}, {{"shape", Shape{1, 2, 32, 8, 8}}});
  const ValueId swapped = g.add("Transpose", {grouped}, {{"perm", Shape{0, 2, 1, 3, 4}}});
  const ValueId shuffled =
      g.add("Reshape", {swapped}, {{"shape", Shape{1, 64, 8, 8}}}, "shuffled");
  const ValueId part = g.add("Slice", {shuffled},
                             {{"starts", Shape{slice_start}}, {"ends", Shape{slice_start + 32}},
                              {"axes", Shape{1}}},
                             "part");
  const ValueId w_out = g.add_constant("w_out", testing::random_tensor({8, 16, 1, 1}, rng));
  g.add_output(g.add("Conv", {conv(part, 16, "c"), w_out}, {}, "out"));
  return g;
}

// The blocked layout flows through channel Split, Concat, shuffle and Slice: their values
// share a block that divides every offset, or stay NCHW where none of 4 lanes or more does.
TEST(Layout, BlocksFlowThroughChannelCopiesAndShuffles) {
  const Graph whole_blocks = shuffle_unit(16);
  const std::map<std::string, int64_t> blocked =
      blocked_names(whole_blocks, plan_of(whole_blocks, 16));
  for (const char* name : {"a", "x1", "x2", "b", "part"})
    EXPECT_EQ(blocked.contains(name) ? blocked.at(name) : 0, 16) << name;
  const Graph eights = shuffle_unit(8);
  EXPECT_EQ(blocked_names(eights, plan_of(eights, 16)).at("part"), 8);
  const Graph pairs = shuffle_unit(2);
  EXPECT_FALSE(blocked_names(pairs, plan_of(pairs, 16)).contains("part"));
}

// conv (32 channels) -> Pad (`pads`, 8 values) -> conv: a pad of rows and columns keeps the
// blocked layout on both sides; one of channels does not.
Graph padded_between_convs(const Shape& pads, const std::string& mode) {
  Graph g("pad");
  SplitMix64 rng(9);
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 8, 8}});
  const ValueId wa = g.add_constant("wa", testing::random_tensor({32, 3, 1, 1}, rng));
  const ValueId a = g.add("Relu", {g.add("Conv", {x, wa})}, {}, "a");
  const ValueId padded = g.add("Pad", {a}, {{"pads", pads}, {"mode", mode}}, "padded");
  const int64_t channels = g.type(padded).shape[1];
  const ValueId wb = g.add_constant("wb", testing::random_tensor({8, channels, 3, 3}, rng));
  g.add_output(g.add("Conv", {padded, wb}, {}, "b"));
  return g;
}

TEST(Layout, BlocksFlowThroughPadsOfRowsAndColumns) {
  for (const std::string mode : {"constant", "reflect", "edge"}) {
    const Graph rows = padded_between_convs({0, 0, 1, 2, 0, 0, 2, 1}, mode);
    const std::map<std::string, int64_t> blocked = blocked_names(rows, plan_of(rows, 16));
    EXPECT_EQ(blocked.contains("padded") ? blocked.at("padded") : 0, 16) << mode;
    EXPECT_EQ(blocked.contains("a") ? blocked.at("a") : 0, 16) << mode;
    EXPECT_LT(compiled_error(rows, 4), 1e-5) << mode;
  }
  const Graph channels = padded_between_convs({0, 16, 0, 0, 0, 0, 0, 0}, "constant");
  EXPECT_FALSE(blocked_names(channels, plan_of(channels, 16)).contains("padded"));
}

// conv (32 channels) -> relu -> ReduceMean or ReduceMax over `axes`: over rows and
// columns only, the convolution's output is stored blocked (as before a global pool);
// over the channels too, it stays NCHW. Each compiles to the reference.
TEST(Layout, BlocksReachReductionsOverRowsAndColumns) {
  struct Case {
    std::string op;
    Shape axes;
    int64_t keepdims;
    bool blocked;
  };
  for (const Case& c : {Case{"ReduceMean", {2, 3}, 0, true}, Case{"ReduceMean", {-1, -2}, 1, true},
                        Case{"ReduceMax", {3}, 1, true}, Case{"ReduceMean", {1, 2, 3}, 0, false}}) {
    Graph g("reduce");
    SplitMix64 rng(5);
    const ValueId x = g.add_input("x", {DType::F32, {1, 3, 7, 9}});
    const ValueId w = g.add_constant("w", testing::random_tensor({32, 3, 1, 1}, rng));
    const ValueId a = g.add("Relu", {g.add("Conv", {x, w})}, {}, "a");
    g.add_output(g.add(c.op, {a}, {{"axes", c.axes}, {"keepdims", c.keepdims}}, "reduced"));
    const std::string what = fmt::format("{} over {}", c.op, fmt::join(c.axes, ","));
    EXPECT_EQ(blocked_names(g, plan_of(g, 16)).contains("a"), c.blocked) << what;
    EXPECT_LT(compiled_error(g, 6), 1e-5) << what;
  }
}

// A ConvNeXt block in small: conv (32 channels) -> permute to channels-last -> MatMul over
// the channels -> permute back -> scale and residual add -> conv. The convolution's output
// is stored blocked for the first permute and the residual add, the add's for the second
// convolution (the permute, scale and add are one kernel); it compiles to the reference.
TEST(Layout, BlocksFlowThroughChannelsLastPermutes) {
  Graph g("convnext_block");
  SplitMix64 rng(12);
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 6, 5}});
  const ValueId wa = g.add_constant("wa", testing::random_tensor({32, 3, 3, 3}, rng));
  const ValueId a = g.add("Conv", {x, wa}, {{"pads", Shape{1, 1, 1, 1}}}, "a");
  const ValueId last = g.add("Transpose", {a}, {{"perm", Shape{0, 2, 3, 1}}}, "to_last");
  const ValueId m = g.add_constant("m", testing::random_tensor({32, 32}, rng));
  const ValueId mixed = g.add("MatMul", {last, m}, {}, "mixed");
  const ValueId first = g.add("Transpose", {mixed}, {{"perm", Shape{0, 3, 1, 2}}}, "to_first");
  const ValueId scale = g.add_constant("scale", testing::random_tensor({32, 1, 1}, rng));
  const ValueId sum = g.add("Add", {g.add("Mul", {scale, first}, {}, "scaled"), a}, {}, "sum");
  const ValueId wb = g.add_constant("wb", testing::random_tensor({8, 32, 1, 1}, rng));
  g.add_output(g.add("Conv", {sum, wb}, {}, "b"));
  const std::map<std::string, int64_t> blocked = blocked_names(g, plan_of(g, 16));
  EXPECT_EQ(blocked.contains("a") ? blocked.at("a") : 0, 16);
  EXPECT_EQ(blocked.contains("sum") ? blocked.at("sum") : 0, 16);
  EXPECT_LT(compiled_error(g, 7), 1e-5);
}

TEST(Layout, ChannelCopiesAndShufflesCompileToTheReference) {
  for (int64_t start : {16, 8, 2}) {
    const Graph g = shuffle_unit(start);
    const std::vector<Tensor> inputs = testing::random_inputs(g, 3);
    const Tensor want = run_reference(g, inputs)[0];
    for (int threads : {1, 2}) {
      compiler::CompileOptions o;
      o.target = target::host_target();
      o.target.threads = threads;
      const Tensor got = compiler::compile_model(g, o)->run(inputs)[0];
      EXPECT_LT(testing::max_relative_error(got, want), 1e-5)
          << "slice from " << start << ", " << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace nas::passes
