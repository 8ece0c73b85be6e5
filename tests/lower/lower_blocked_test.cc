// Kernels that read and write activations stored NCHW[x]c (passes/layout.h): every op a
// network hands over in that layout, with blocked inputs, blocked outputs or both, lowered
// naively, with the default schedules of three vector widths and with random schedules, run
// in the interpreter against the reference executor on the NCHW data.
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/loop/printer.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using graph::Attrs;
using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using testing::check_graph;
using testing::random_tensor;
using testing::schedules_to_check;

// One op whose first input and output are activations: `in_block` / `out_block` the
// channel blocks they are stored with (1: NCHW); the other inputs are constants.
struct BlockedCase {
  std::string op;
  std::vector<Shape> inputs;
  Attrs attrs;
  int64_t in_block, out_block;
  std::string family;
};

void check_blocked(const BlockedCase& c, int random_seeds = 2) {
  SplitMix64 rng(11);
  Graph g("blocked");
  std::vector<ValueId> ins{g.add_input("x", {DType::F32, c.inputs[0]})};
  for (size_t i = 1; i < c.inputs.size(); ++i)
    ins.push_back(g.add_constant(fmt::format("w{}", i), random_tensor(c.inputs[i], rng)));
  const ValueId y = g.add(c.op, ins, c.attrs, "node");
  g.add_output(y);
  std::map<ValueId, int64_t> blocks;
  if (c.in_block > 1) blocks[ins[0]] = c.in_block;
  if (c.out_block > 1) blocks[y] = c.out_block;
  for (testing::ScheduleCase sc : schedules_to_check(random_seeds)) {
    SCOPED_TRACE(sc.label);
    sc.options.channel_blocks = blocks;
    const std::vector<std::string> families = check_graph(g, sc);
    ASSERT_EQ(families.size(), 1u);
    EXPECT_EQ(families[0], c.family);
  }
}

const Attrs kPad1{{"pads", Shape{1, 1, 1, 1}}};

TEST(LowerBlocked, ConvBlockedInAndOut) {
  // 3x3 with padding, a width no column block divides, several channel blocks.
  check_blocked({"Conv", {{1, 32, 3, 9}, {32, 32, 3, 3}, {32}}, kPad1, 16, 16, "conv2d"});
  // Blocks of 8 and 4 lanes, stride 2 with asymmetric padding.
  check_blocked({"Conv", {{1, 16, 7, 9}, {24, 16, 3, 3}},
                 {{"pads", Shape{1, 0, 2, 1}}, {"strides", Shape{2, 2}}}, 8, 8, "conv2d"});
  check_blocked({"Conv", {{1, 12, 4, 6}, {8, 12, 3, 3}}, kPad1, 4, 8, "conv2d"});
}

TEST(LowerBlocked, PointwiseConv) {
  check_blocked({"Conv", {{1, 32, 3, 7}, {16, 32, 1, 1}, {16}}, {}, 16, 16, "conv2d"});
  check_blocked({"Conv", {{2, 8, 3, 5}, {48, 8, 1, 1}}, {}, 8, 16, "conv2d"});
  // 5 and 7 channel blocks: register blocks of 5 and 7 vectors.
  check_blocked({"Conv", {{1, 16, 3, 7}, {80, 16, 1, 1}, {80}}, {}, 16, 16, "conv2d"});
  check_blocked({"Conv", {{1, 16, 2, 5}, {112, 16, 1, 1}}, {}, 16, 16, "conv2d"});
}

// The stem: an NCHW image in, NCHW[x]c out; and the other way round.
TEST(LowerBlocked, ConvPlainToBlockedAndBack) {
  check_blocked({"Conv", {{1, 3, 9, 8}, {16, 3, 3, 3}, {16}},
                 {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}}, 1, 16, "conv2d"});
  check_blocked({"Conv", {{1, 16, 5, 6}, {5, 16, 3, 3}}, kPad1, 16, 1, "conv2d"});
}

TEST(LowerBlocked, DepthwiseConv) {
  check_blocked({"Conv", {{1, 32, 7, 9}, {32, 1, 3, 3}, {32}},
                 {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{32}}}, 16, 16,
                 "depthwise_conv2d"});
  check_blocked({"Conv", {{1, 24, 9, 9}, {24, 1, 5, 5}},
                 {{"pads", Shape{2, 2, 2, 2}}, {"strides", Shape{2, 2}}, {"group", int64_t{24}}},
                 8, 8, "depthwise_conv2d"});
}

// Groups of 32 channels: the second vector of 16 output channels of a group reads the
// same input channels as the first. Its group index, (co*32 + 16 + lane)/32, is one for
// all lanes, so it reads them as broadcasts, never as a gather (ResNeXt-50's last stage
// ran 3-6x slower so).
TEST(LowerBlocked, GroupsOfTwoVectorsReadTheirInputAsBroadcasts) {
  check_blocked({"Conv", {{1, 64, 3, 4}, {64, 32, 3, 3}, {64}},
                 {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{2}}}, 16, 16, "conv2d"}, 1);
  Graph g("grouped");
  SplitMix64 rng(3);
  const ValueId x = g.add_input("x", {DType::F32, {1, 64, 7, 7}});
  const ValueId w = g.add_constant("w", random_tensor({64, 32, 3, 3}, rng));
  const ValueId y =
      g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{2}}}, "y");
  g.add_output(y);
  const target::Target target = testing::test_target("avx512f");
  LowerOptions options = testing::parallel_everywhere(target);
  options.channel_blocks = {{x, 16}, {y, 16}};
  const std::string body = loop::print(
      lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k", options).func.body);
  int loads = 0;
  for (size_t at = body.find("x["); at != std::string::npos; at = body.find("x[", at + 1)) {
    const std::string index = body.substr(at, body.find(']', at) - at);
    EXPECT_EQ(index.find("ramp"), std::string::npos) << index;
    ++loads;
  }
  EXPECT_GT(loads, 0);
}

TEST(LowerBlocked, Pooling) {
  check_blocked({"MaxPool", {{1, 16, 7, 9}},
                 {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"pads", Shape{1, 1, 1, 1}}},
                 16, 16, "pool"});
  check_blocked({"AveragePool", {{1, 8, 7, 6}},
                 {{"kernel_shape", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}},
                  {"count_include_pad", int64_t{0}}},
                 8, 8, "pool"});
  check_blocked({"GlobalAveragePool", {{2, 32, 3, 5}}, {}, 16, 16, "pool"});
  check_blocked({"GlobalAveragePool", {{1, 16, 4, 4}}, {}, 16, 1, "pool"});
}

// Elementwise ops keep the layout; a flatten reads through it.
TEST(LowerBlocked, ElementwiseAndReaders) {
  check_blocked({"Relu", {{1, 16, 3, 5}}, {}, 16, 16, "injective"});
  check_blocked({"HardSwish", {{1, 8, 3, 5}}, {}, 8, 1, "injective"});
  check_blocked({"Mul", {{1, 16, 3, 5}, {1, 16, 1, 1}}, {}, 16, 16, "injective"});
  check_blocked({"Flatten", {{1, 16, 2, 3}}, {}, 16, 1, "injective"});
}

// A conv with its residual add and activation in one kernel, every activation blocked.
TEST(LowerBlocked, FusedConvResidual) {
  Graph g("residual");
  SplitMix64 rng(3);
  const ValueId x = g.add_input("x", {DType::F32, {1, 16, 4, 5}});
  const ValueId skip = g.add_input("skip", {DType::F32, {1, 32, 4, 5}});
  const ValueId w = g.add_constant("w", random_tensor({32, 16, 3, 3}, rng));
  const ValueId conv = g.add("Conv", {x, w}, kPad1, "conv");
  const ValueId y = g.add("Relu", {g.add("Add", {conv, skip}, {}, "add")}, {}, "relu");
  g.add_output(y);
  for (testing::ScheduleCase sc : schedules_to_check(2)) {
    SCOPED_TRACE(sc.label);
    sc.options.channel_blocks = {{x, 16}, {skip, 16}, {y, 16}};
    EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"conv2d"});
  }
}

// A 1x1 convolution of 640 input channels to 80, its residual add and ReLU: the default
// schedules of AVX2 and AVX-512 take the input channels in chunks (conv_weight_chunk_bytes),
// so the output holds partial sums between chunks and the epilogue must run once, after the
// last (a ReLU of a partial sum would clip it). A batch of 4 (4 threads take the images)
// and one image of 2 rows (they take the rows with the 5 channel blocks of 16 lanes; the
// chunks go inside). With and without the prefetch of the weights two chunks ahead.
TEST(LowerBlocked, PointwiseConvInChunksOfInputChannels) {
  for (int64_t prefetch : {0, 2})
  for (const auto& [batch, height, width] : {std::tuple{4, 1, 3}, std::tuple{1, 2, 12}}) {
    Graph g("chunks");
    SplitMix64 rng(5);
    const ValueId x = g.add_input("x", {DType::F32, {batch, 640, height, width}});
    const ValueId skip = g.add_input("skip", {DType::F32, {batch, 80, height, width}});
    const ValueId w = g.add_constant("w", random_tensor({80, 640, 1, 1}, rng));
    const ValueId b = g.add_constant("b", random_tensor({80}, rng));
    const ValueId conv = g.add("Conv", {x, w, b}, {}, "conv");
    const ValueId y = g.add("Relu", {g.add("Add", {conv, skip}, {}, "add")}, {}, "relu");
    g.add_output(y);
    for (testing::ScheduleCase sc : schedules_to_check(batch > 1 ? 1 : 0)) {
      SCOPED_TRACE(fmt::format("{} batch {} prefetch {}", sc.label, batch, prefetch));
      sc.target.schedule.conv_prefetch_chunks = prefetch;
      const int64_t lanes = sc.target.vector_lanes;
      sc.options.channel_blocks = {{x, lanes}, {skip, lanes}, {y, lanes}};
      EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"conv2d"});
    }
  }
}

}  // namespace
}  // namespace nas::lower
