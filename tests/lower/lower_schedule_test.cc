// The default schedules per op family and target, and the weights they pack. (That every
// schedule computes what the naive nest does is checked by the other Lower suites, which
// run each case under the default schedules of three targets and random schedules.)
#include <gtest/gtest.h>

#include "compiler/lower/default_schedule.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using testing::random_tensor;
using testing::test_target;

TEST(LowerSchedule, VectorLanesOfTargets) {
  EXPECT_EQ(test_target("avx512f").vector_lanes, 16);
  EXPECT_EQ(test_target("avx2").vector_lanes, 8);
  EXPECT_EQ(test_target("avx").vector_lanes, 8);
  EXPECT_EQ(test_target("sse4.2").vector_lanes, 4);
  EXPECT_EQ(test_target("neon").vector_lanes, 4);
  EXPECT_EQ(lanes_dividing(24, 16), 8);
  EXPECT_EQ(lanes_dividing(10, 8), 2);
  EXPECT_EQ(lanes_dividing(7, 8), 1);
}

Graph conv_relu(int64_t c_out, int64_t batch = 1) {
  Graph g("conv_relu");
  SplitMix64 rng(1);
  const ValueId x = g.add_input("x", {DType::F32, {batch, 3, 5, 9}});
  const ValueId w = g.add_constant("w", random_tensor({c_out, 3, 3, 3}, rng));
  const ValueId b = g.add_constant("b", random_tensor({c_out}, rng));
  const ValueId y = g.add("Conv", {x, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  g.add_output(g.add("Relu", {y}, {}, "relu"));
  return g;
}

LoweredKernel lower_first(const Graph& g, const target::Target& target,
                          ScheduleChoice choice = ScheduleChoice::Default) {
  return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k",
                     testing::parallel_everywhere(target, {.schedule = choice}));
}

TEST(LowerSchedule, ConvVectorizesOutputChannelsWithPackedWeights) {
  const Graph g = conv_relu(8);
  const LoweredKernel k = lower_first(g, test_target("avx2"));
  EXPECT_EQ(k.schedule.str(),
            "split relu.co by 8\n"
            "split relu.ow by 5\n"
            "reorder relu: n co.o oh ow.o ci kh kw ow.i co.i\n"
            "vectorize relu.co.i\n"
            "unroll relu.ow.i\n"
            "unroll relu.kw\n"
            "unroll relu.kh\n"
            "cache_write relu at ow.o (register)\n");
  ASSERT_EQ(k.params.size(), 4u);  // x, w, b, relu
  ASSERT_TRUE(k.params[1].packed.has_value());
  EXPECT_EQ(k.params[1].packed->shape(), (Shape{1, 3, 3, 3, 8}));
  // Element (co, ci, kh, kw) sits at [co / 8][ci][kh][kw][co % 8].
  const graph::Tensor& w = g.constant(k.params[1].value);
  EXPECT_EQ(k.params[1].packed->data<float>()[((0 * 3 + 2) * 3 + 1) * 3 * 8 + 0 * 8 + 5],
            w.data<float>()[((5 * 3 + 2) * 3 + 1) * 3 + 0]);
  EXPECT_FALSE(k.params[0].packed.has_value());
}

TEST(LowerSchedule, ConvRegisterBlockFollowsTheRegisters) {
  // 32 registers (AVX-512): 4 vectors of 16 channels x 4 columns (9 wide: 3 blocks of 3).
  const LoweredKernel wide = lower_first(conv_relu(64), test_target("avx512f"));
  EXPECT_EQ(wide.schedule.str(),
            "split relu.co by 64\n"
            "split relu.co.i by 16\n"
            "split relu.ow by 3\n"
            "reorder relu: n co.o oh ow.o ci kh kw co.i.o ow.i co.i.i\n"
            "vectorize relu.co.i.i\n"
            "unroll relu.co.i.o\n"
            "unroll relu.ow.i\n"
            "unroll relu.kw\n"
            "unroll relu.kh\n"
            "cache_write relu at ow.o (register)\n");
  EXPECT_EQ(wide.params[1].packed->shape(), (Shape{4, 3, 3, 3, 16}));
  // 16 registers (AVX2): 2 vectors of 8 x 4 columns (9 wide: blocks of 3); 24 channels
  // are no whole number of 2 vectors: 1 vector x 8 columns (9 wide: blocks of 5).
  EXPECT_NE(lower_first(conv_relu(16), test_target("avx2")).schedule.str().find(
                "split relu.co.i by 8\nsplit relu.ow by 3\n"),
            std::string::npos);
  EXPECT_NE(lower_first(conv_relu(24), test_target("avx2")).schedule.str().find(
                "split relu.co by 8\nsplit relu.ow by 5\n"),
            std::string::npos);
}

TEST(LowerSchedule, ConvBlocksFollowTheTarget) {
  const Graph g = conv_relu(12);
  const LoweredKernel sse = lower_first(g, test_target("sse4.2"));
  EXPECT_EQ(sse.params[1].packed->shape(), (Shape{3, 3, 3, 3, 4}));
  const LoweredKernel threads = lower_first(g, test_target("avx512f", 4));
  EXPECT_EQ(threads.params[1].packed->shape(), (Shape{3, 3, 3, 3, 4}));
  EXPECT_NE(threads.schedule.str().find("parallel relu.co.o.oh\n"), std::string::npos)
      << threads.schedule.str();
  // Neither the naive nor a random schedule repacks.
  EXPECT_FALSE(lower_first(g, test_target(), ScheduleChoice::Naive).params[1].packed);
  EXPECT_FALSE(lower_first(g, test_target(), ScheduleChoice::Random).params[1].packed);
  // An odd channel count gets no vectors on channels and no packing.
  const LoweredKernel odd = lower_first(conv_relu(5), test_target("avx2"));
  EXPECT_FALSE(odd.params[1].packed);
  EXPECT_EQ(odd.schedule.str().find("vectorize"), std::string::npos) << odd.schedule.str();
}

// Blocked output: 25 channel blocks (RegNetX's 400 channels), which 4, 3 and 2 do not
// divide, take 5 vectors a block (they took 1 before 5 was a choice). 10 blocks take 5 too
// in a 1x1 (5 x 4 of its 24 accumulators, where 2 x 7 would use 14).
TEST(LowerSchedule, BlockedConvTakesFiveVectorsWhereNothingSmallerDivides) {
  const auto schedule = [](int64_t c_out) {
    Graph g("conv");
    SplitMix64 rng(1);
    const ValueId x = g.add_input("x", {DType::F32, {1, 32, 7, 7}});
    const ValueId w = g.add_constant("w", random_tensor({c_out, 32, 1, 1}, rng));
    const ValueId y = g.add("Conv", {x, w}, {}, "conv");
    g.add_output(y);
    return lower_group(g, passes::plan_fusion(g).groups.at(0), test_target("avx512f"), "k",
                       {.channel_blocks = {{x, 16}, {y, 16}}})
        .schedule.str();
  };
  const std::string s400 = schedule(400), s160 = schedule(160);
  EXPECT_NE(s400.find("split conv.cob by 5\n"), std::string::npos) << s400;
  EXPECT_NE(s160.find("split conv.cob by 5\nsplit conv.ow by 4\n"), std::string::npos) << s160;
}

// With threads, stages below the work bound run serially; larger ones get a parallel loop.
TEST(LowerSchedule, SmallStagesRunSerially) {
  const target::Target target = test_target("avx512f", 4);
  const int64_t bound = target.schedule.min_parallel_work;
  auto schedule = [&](const Graph& g, int64_t min_parallel_work) {
    ScheduleParams params = target.schedule;
    params.min_parallel_work = min_parallel_work;
    return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k",
                       {.schedule_params = params})
        .schedule.str();
  };
  const Graph small = conv_relu(12);  // 12 x 5 x 9 outputs x 27 taps: 14580 multiply-adds
  const Graph large = conv_relu(64);  // 77760
  EXPECT_EQ(schedule(small, bound).find("parallel"), std::string::npos);
  EXPECT_NE(schedule(small, 0).find("parallel"), std::string::npos);
  EXPECT_NE(schedule(large, bound).find("parallel"), std::string::npos);
  // The default options take the target's bound.
  EXPECT_EQ(lower_group(small, passes::plan_fusion(small).groups.at(0), target, "k")
                .schedule.str()
                .find("parallel"),
            std::string::npos);
}

// A batch that shares out evenly among the threads is the parallel loop (training): the
// rows stay a loop of their own, partitioned at the padding. A single image fuses channel
// blocks and rows for enough iterations.
TEST(LowerSchedule, BatchesRunParallelOverTheImages) {
  const target::Target target = test_target("avx512f", 2);
  const std::string batched = lower_first(conv_relu(16, 8), target).schedule.str();
  EXPECT_NE(batched.find("parallel relu.n\n"), std::string::npos) << batched;
  EXPECT_EQ(batched.find("fuse"), std::string::npos) << batched;
  const std::string single = lower_first(conv_relu(16, 1), target).schedule.str();
  EXPECT_NE(single.find("fuse relu.co.o oh\nparallel relu.co.o.oh"), std::string::npos) << single;
  // 3 images on 2 threads would leave one idle half the time.
  EXPECT_EQ(lower_first(conv_relu(16, 3), target).schedule.str().find("parallel relu.n\n"),
            std::string::npos);
}

// Training-mode batch norm sums each channel over (n, h, w) in two stages: partial sums
// [C, W] whose columns are vectors (a reduction over the outer axes reads them
// contiguously), a register block of channels x vectors, then a short sum over W per
// channel.
TEST(LowerSchedule, BatchNormStatisticsSumVectorsOfColumns) {
  Graph g("bn");
  SplitMix64 rng(3);
  std::vector<ValueId> ids{g.add_input("x", {DType::F32, {4, 3, 5, 16}})};
  for (const char* name : {"scale", "bias", "mean", "var"})
    ids.push_back(g.add_constant(name, random_tensor({3}, rng)));
  for (ValueId out : g.add_node("BatchNormalization", ids, {{"training_mode", int64_t{1}}}, "bn"))
    g.add_output(out);
  const std::string schedule = lower_first(g, test_target("avx2")).schedule.str();
  EXPECT_NE(schedule.find("_xsum_part: c.o col.o n s2 c.i col.i.o col.i.i"), std::string::npos)
      << schedule;
  EXPECT_NE(schedule.find("_sqsum_part: c.o col.o n s2 c.i col.i.o col.i.i"), std::string::npos)
      << schedule;
  EXPECT_NE(schedule.find("_xsum_part.col.i.i"), std::string::npos) << schedule;
}

// A convolution reading and writing NCHW16c (as between two convolutions of a network).
LoweredKernel lower_blocked_conv(int64_t c_out, int64_t width, int threads = 1) {
  Graph g("blocked");
  SplitMix64 rng(4);
  const ValueId x = g.add_input("x", {DType::F32, {1, 32, 3, width}});
  const ValueId w = g.add_constant("w", random_tensor({c_out, 32, 3, 3}, rng));
  const ValueId y = g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  const ValueId out = g.add("Relu", {y}, {}, "relu");
  g.add_output(out);
  const target::Target target = test_target("avx512f", threads);
  return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k",
                     testing::parallel_everywhere(
                         target, {.channel_blocks = {{x, 16}, {out, 16}}}));
}

TEST(LowerSchedule, BlockedConvVectorizesLanesWithARegisterBlock) {
  // 4 channel blocks x 4 columns where 4 divides the row; the input lanes (cil) right after
  // the input blocks (cib), so the packed weights are read in memory order.
  EXPECT_EQ(lower_blocked_conv(64, 8).schedule.str(),
            "split relu.cob by 4\n"
            "split relu.ow by 4\n"
            "reorder relu: n cob.o oh ow.o cib cil kh kw cob.i ow.i col\n"
            "vectorize relu.col\n"
            "unroll relu.cob.i\n"
            "unroll relu.ow.i\n"
            "unroll relu.kw\n"
            "unroll relu.kh\n"
            "cache_write relu at ow.o (register)\n");
  // A row of 7: 2 channel blocks x 7 columns, no guarded tail.
  const LoweredKernel seven = lower_blocked_conv(64, 7);
  EXPECT_NE(seven.schedule.str().find("split relu.cob by 2\nsplit relu.ow by 7\n"),
            std::string::npos)
      << seven.schedule.str();
  EXPECT_EQ(seven.params[1].packed->shape(), (Shape{4, 32, 3, 3, 16}));
  // Threads share the channel blocks where they divide evenly (the rows stay partitioned
  // at the padding): 2 threads take 2 x 8 over 4 x 4 for 4 channel blocks. Otherwise the
  // channel blocks fused with the rows.
  const std::string two_threads = lower_blocked_conv(64, 8, 2).schedule.str();
  EXPECT_NE(two_threads.find("split relu.cob by 2\nsplit relu.ow by 8\n"), std::string::npos)
      << two_threads;
  EXPECT_NE(two_threads.find("parallel relu.cob.o\n"), std::string::npos) << two_threads;
  EXPECT_NE(lower_blocked_conv(48, 8, 2).schedule.str().find("fuse relu.cob.o oh\n"
                                                             "parallel relu.cob.o.oh\n"),
            std::string::npos);
  // 3 channel blocks (48 channels): 3 x 4, not 1 x 8 (a broadcast load per FMA).
  const LoweredKernel three = lower_blocked_conv(48, 8);
  EXPECT_NE(three.schedule.str().find("split relu.cob by 3\nsplit relu.ow by 4\n"),
            std::string::npos)
      << three.schedule.str();
}

// RegNetX's 1x1 400 -> 400 at 7x7: a register block of 5 channel blocks would read 128 KiB
// of weights over all input channels for each block of columns; chunks of 5 input blocks
// (25 KiB, conv_weight_chunk_bytes) stay in L1 across the rows.
TEST(LowerSchedule, PointwiseConvTakesItsInputChannelsInChunks) {
  auto lower_pointwise = [](int threads, int64_t prefetch = 0) {
    Graph g("pointwise");
    SplitMix64 rng(6);
    const ValueId x = g.add_input("x", {DType::F32, {1, 400, 7, 7}});
    const ValueId w = g.add_constant("w", random_tensor({400, 400, 1, 1}, rng));
    const ValueId out = g.add("Relu", {g.add("Conv", {x, w}, {}, "conv")}, {}, "relu");
    g.add_output(out);
    target::Target target = test_target("avx512f", threads);
    target.schedule.conv_prefetch_chunks = prefetch;
    return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k",
                       testing::parallel_everywhere(target, {.channel_blocks = {{x, 16}, {out, 16}}}))
        .schedule.str();
  };
  const std::string one = lower_pointwise(1);
  EXPECT_EQ(one.find("prefetch"), std::string::npos) << one;
  // With conv_prefetch_chunks, the weights (not the input) of the next chunk.
  const std::string ahead = lower_pointwise(1, 1);
  EXPECT_NE(ahead.find("prefetch w in relu.cib.o + 1\n"), std::string::npos) << ahead;
  EXPECT_NE(one.find("split relu.cob by 5\nsplit relu.ow by 4\n"), std::string::npos) << one;
  EXPECT_NE(one.find("split relu.cib by 5\n"
                     "reorder relu: n cob.o cib.o oh ow.o cib.i cil cob.i ow.i col\n"),
            std::string::npos)
      << one;
  // 2 threads: 5 blocks of 5 channel blocks take the rows into the parallel loop, and the
  // chunks go inside it, each serving the row's blocks of columns: three of them (3 + 2 +
  // 2), so that two find the chunk in L1.
  const std::string two = lower_pointwise(2);
  EXPECT_NE(two.find("split relu.cob by 5\nsplit relu.ow by 3\n"), std::string::npos) << two;
  EXPECT_NE(two.find("reorder relu: n cob.o oh cib.o ow.o cib.i cil cob.i ow.i col\n"),
            std::string::npos)
      << two;
  EXPECT_NE(two.find("fuse relu.cob.o oh\n"), std::string::npos) << two;
}

// The schedule of a convolution NCHW16c -> NCHW16c, c_in -> c_out channels in groups of
// `group`, kernel k x k, at 7 x `width`.
std::string blocked_conv_schedule(int64_t c_in, int64_t c_out, int64_t k, int64_t group,
                                  int64_t width, int threads = 1) {
  Graph g("conv");
  SplitMix64 rng(7);
  const ValueId x = g.add_input("x", {DType::F32, {1, c_in, 7, width}});
  const ValueId w = g.add_constant("w", random_tensor({c_out, c_in / group, k, k}, rng));
  const ValueId y = g.add("Conv", {x, w},
                          {{"group", group}, {"pads", Shape{k / 2, k / 2, k / 2, k / 2}}}, "conv");
  g.add_output(y);
  const target::Target target = test_target("avx512f", threads);
  return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k",
                     testing::parallel_everywhere(target, {.channel_blocks = {{x, 16}, {y, 16}}}))
      .schedule.str();
}

// Where each channel block has a group of its own (RegNetX's groups of 16 channels), more
// blocks per register block would share no input: one block, the row in registers.
TEST(LowerSchedule, GroupsOfOneBlockTakeOneBlockAndTheRow) {
  const std::string grouped = blocked_conv_schedule(160, 160, 3, 10, 14);
  EXPECT_EQ(grouped.find("split conv.cob"), std::string::npos) << grouped;
  EXPECT_NE(grouped.find("split conv.ow by 14\n"), std::string::npos) << grouped;
  // 160 output channels from one group of 32 inputs share them: several blocks.
  const std::string dense = blocked_conv_schedule(32, 160, 3, 1, 14);
  EXPECT_NE(dense.find("split conv.cob by 2\nsplit conv.ow by 7\n"), std::string::npos) << dense;
}

// The register block unrolls its smaller side inside: 2 blocks x 12 columns (a 1x1's 24
// accumulators) keep 2 weight vectors live, not 12 broadcasts.
TEST(LowerSchedule, RegisterBlockUnrollsItsSmallerSideInside) {
  const std::string wide = blocked_conv_schedule(32, 32, 1, 1, 12);
  EXPECT_NE(wide.find("split conv.cob by 2\nsplit conv.ow by 12\n"), std::string::npos) << wide;
  EXPECT_NE(wide.find("cib cil ow.i cob.i col\n"), std::string::npos) << wide;
  const std::string tall = blocked_conv_schedule(32, 64, 1, 1, 4);
  EXPECT_NE(tall.find("split conv.cob by 4\nsplit conv.ow by 4\n"), std::string::npos) << tall;
  EXPECT_NE(tall.find("cib cil cob.i ow.i col\n"), std::string::npos) << tall;
}

Graph depthwise(int64_t kernel, int64_t stride, int64_t width, int64_t batch = 1,
                int64_t channels = 4) {
  Graph g("dw");
  SplitMix64 rng(3);
  const int64_t pad = kernel / 2;
  const ValueId x = g.add_input("x", {DType::F32, {batch, channels, 6, width}});
  const ValueId w = g.add_constant("w", random_tensor({channels, 1, kernel, kernel}, rng));
  g.add_output(g.add("Conv", {x, w},
                     {{"group", channels},
                      {"pads", Shape{pad, pad, pad, pad}},
                      {"strides", Shape{stride, stride}}},
                     "dw"));
  return g;
}

TEST(LowerSchedule, DepthwiseRunsAlongRowsWithTheTapsUnrolled) {
  // A small window: scalar columns (LLVM vectorizes the row), the taps unrolled.
  const LoweredKernel small = lower_first(depthwise(3, 1, 16), test_target("avx512f", 2));
  EXPECT_EQ(small.family, ScheduleFamily::DepthwiseConv2d);
  EXPECT_EQ(small.schedule.str(),
            "reorder dw: n co oh ow kh kw\n"
            "unroll dw.kh\n"
            "unroll dw.kw\n"
            "cache_write dw at ow (register)\n"
            "fuse dw.n co\n"
            "parallel dw.n.co\n");
  // A large window at stride 1: vectors of 4 columns, 4 of them (16 columns) in registers.
  EXPECT_EQ(lower_first(depthwise(7, 1, 16), test_target("avx512f")).schedule.str(),
            "split dw.ow by 4\n"
            "split dw.ow.o by 4\n"
            "reorder dw: n co oh ow.o.o kh kw ow.o.i ow.i\n"
            "vectorize dw.ow.i\n"
            "unroll dw.ow.o.i\n"
            "unroll dw.kh\n"
            "unroll dw.kw\n"
            "cache_write dw at ow.o.o (register)\n");
  // At stride 2 a vector of columns would gather its inputs: scalar columns.
  EXPECT_EQ(lower_first(depthwise(7, 2, 16), test_target("avx512f")).schedule.str().find("vectorize"),
            std::string::npos);
}

// A batch of short rows (training at 28x28) reads the input channels-last through a stage
// and takes Conv2d's nest: vectors of channels times a block of columns.
TEST(LowerSchedule, BatchedDepthwiseOnShortRowsVectorizesChannels) {
  const LoweredKernel k = lower_first(depthwise(3, 1, 14, 4, 32), test_target("avx512f"));
  EXPECT_EQ(k.family, ScheduleFamily::DepthwiseConv2d);
  const std::string schedule = k.schedule.str();
  EXPECT_NE(schedule.find("vectorize dw.co.i"), std::string::npos) << schedule;
  EXPECT_NE(schedule.find("reorder dw: n co.o oh ow.o kh kw"), std::string::npos) << schedule;
  // Long rows (and a single image) keep the rows' vectors.
  EXPECT_EQ(lower_first(depthwise(3, 1, 64, 4, 32), test_target("avx512f")).schedule.str().find(
                "vectorize dw.co"),
            std::string::npos);
  EXPECT_EQ(lower_first(depthwise(3, 1, 14, 1, 32), test_target("avx512f")).schedule.str().find(
                "vectorize dw.co"),
            std::string::npos);
}

TEST(LowerSchedule, PoolingRunsAlongRowsGlobalPoolingPerChannel) {
  Graph g("pool");
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 8, 8}});
  g.add_output(g.add("MaxPool", {x},
                     {{"kernel_shape", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}}}, "mp"));
  EXPECT_EQ(lower_first(g, test_target("avx2")).schedule.str(),
            "reorder mp: n c oh ow kh kw\n"
            "unroll mp.kh\n"
            "unroll mp.kw\n"
            "cache_write mp at ow (register)\n");
  Graph gap("gap");
  const ValueId y = gap.add_input("y", {DType::F32, {1, 3, 8, 8}});
  gap.add_output(gap.add("GlobalAveragePool", {y}, {}, "gap"));
  EXPECT_EQ(lower_first(gap, test_target("avx2")).schedule.str().find("unroll"), std::string::npos);
}

TEST(LowerSchedule, DenseVectorizesColumnsOfTransposedWeights) {
  Graph g("fc");
  SplitMix64 rng(2);
  const ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  const ValueId w = g.add_constant("w", random_tensor({16, 6}, rng));
  g.add_output(g.add("Gemm", {x, w}, {{"transB", int64_t{1}}}, "fc"));
  const LoweredKernel k = lower_first(g, test_target("avx2"));
  EXPECT_EQ(k.family, ScheduleFamily::Dense);
  EXPECT_EQ(k.schedule.str(),
            "split fc.j by 16\n"
            "split fc.j.i by 8\n"
            "reorder fc: i j.o k j.i.o j.i.i\n"
            "vectorize fc.j.i.i\n"
            "unroll fc.j.i.o\n"
            "cache_write fc at j.o (register)\n");
  EXPECT_EQ(k.params[1].packed->shape(), (Shape{2, 6, 8}));
}

// ViT's products over 197 tokens: a prime row count has no divisor for a register block,
// and no vector divides 197 columns. The most rows and full vectors, with guarded tails,
// agreeing with the reference.
TEST(LowerSchedule, DenseTakesFullBlocksAndGuardedTailsWhereNothingDivides) {
  Graph g("tokens");
  SplitMix64 rng(4);
  const ValueId x = g.add_input("x", {DType::F32, {1, 13, 20}});
  const ValueId w = g.add_constant("w", random_tensor({20, 37}, rng));
  g.add_output(g.add("MatMul", {x, w}, {}, "mm"));
  const LoweredKernel k = lower_first(g, test_target("avx2"));
  const std::string schedule = k.schedule.str();
  EXPECT_NE(schedule.find("vectorize mm.j.i.i"), std::string::npos) << schedule;
  // 4 vectors of 8 columns, 3 rows: the 12 accumulators of 16 registers.
  EXPECT_NE(schedule.find("split mm.j by 32\nsplit mm.j.i by 8\nsplit mm.b0.i by 3\n"),
            std::string::npos)
      << schedule;
  EXPECT_NE(schedule.find("unroll mm.b0.i.i"), std::string::npos) << schedule;
  for (testing::ScheduleCase sc : testing::schedules_to_check(0)) {
    SCOPED_TRACE(sc.label);
    EXPECT_EQ(testing::check_graph(g, sc), std::vector<std::string>{"dense"});
  }
}

TEST(LowerSchedule, InjectiveVectorizesTheInnermostAxis) {
  Graph g("add");
  const ValueId a = g.add_input("a", {DType::F32, {1, 3, 16}});
  const ValueId b = g.add_input("b", {DType::F32, {3, 1}});
  g.add_output(g.add("Add", {a, b}, {}, "add"));
  EXPECT_EQ(lower_first(g, test_target("avx2", 2)).schedule.str(),
            "split add.i2 by 8\n"
            "vectorize add.i2.i\n"
            "parallel add.i1\n");
}

}  // namespace
}  // namespace nas::lower
