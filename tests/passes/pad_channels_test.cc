// pad_channels (compiler/passes/pad_channels.h): which channel counts are padded and to
// what; which values carry the padding and which read a Slice; the padded graph computes
// what the source computes (also where the padding passes through sigmoids, per-channel
// constants and a divisor); compiled models store the padded values blocked and match the
// reference at 1 and 2 threads.
#include "compiler/passes/pad_channels.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/target/target.h"
#include "tests/runtime/runtime_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using runtime::testing::expect_close;
using runtime::testing::random_inputs;
using runtime::testing::random_tensor;

ValueId conv(Graph& g, ValueId x, int64_t out, int64_t kernel = 1, int64_t group = 1) {
  const int64_t in = g.type(x).shape[1];
  const int64_t pad = kernel / 2;
  const uint64_t seed = g.nodes().size() + 7;
  const ValueId w = g.add_constant(g.fresh_name("w"),
                                   random_tensor({DType::F32, {out, in / group, kernel, kernel}}, seed));
  const ValueId b = g.add_constant(g.fresh_name("b"), random_tensor({DType::F32, {out}}, seed + 1));
  return g.add("Conv", {x, w, b},
               {{"group", group}, {"pads", Shape{pad, pad, pad, pad}}, {"kernel_shape", Shape{kernel, kernel}}});
}

// ShuffleNetV2's branch: 1x1 conv -> Relu -> depthwise 3x3 -> 1x1 conv, `channels` wide.
Graph branch(int64_t channels, int64_t size) {
  Graph g("branch");
  const ValueId x = g.add("Relu", {g.add_input("x", {DType::F32, {1, channels, size, size}})});
  const ValueId a = g.add("Relu", {conv(g, x, channels)});
  const ValueId d = conv(g, a, channels, 3, channels);
  g.add_output(conv(g, d, channels));
  return g;
}

// The output channels and group of each Conv, in order.
std::vector<std::pair<int64_t, int64_t>> convs(const Graph& g) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const Node& node : g.nodes())
    if (node.op->id == OpId::Conv)
      out.emplace_back(g.type(node.outputs[0]).shape[1], node.attrs.i("group"));
  return out;
}

int count(const Graph& g, OpId id) {
  return static_cast<int>(std::ranges::count_if(g.nodes(), [&](const Node& n) { return n.op->id == id; }));
}

void expect_same_results(const Graph& source, const Graph& padded, const std::string& what) {
  const std::vector<Tensor> inputs = random_inputs(source, 3);
  const std::vector<Tensor> want = run_reference(source, inputs);
  const std::vector<Tensor> got = run_reference(padded, inputs);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].type(), want[i].type()) << what;
    expect_close(got[i], want[i], what);
  }
}

TEST(PadChannels, PaddedCountIsTheLeastThatTheLayoutBlocks) {
  EXPECT_EQ(padded_channels(58, 16, 0), 64);
  EXPECT_EQ(padded_channels(116, 16, 0), 120);  // vectors of 8
  EXPECT_EQ(padded_channels(1000, 16, 0), 1008);
  EXPECT_EQ(padded_channels(58, 8, 0), 60);     // vectors of 4 on an 8-lane target
  EXPECT_EQ(padded_channels(64, 16, 0), 64);    // blocked already
  EXPECT_EQ(padded_channels(232, 16, 0), 232);  // vectors of 8 already
  EXPECT_EQ(padded_channels(10, 16, 0), 10);    // 16 would add more than an eighth
  EXPECT_EQ(padded_channels(58, 0, 0), 58);     // off
}

TEST(PadChannels, ShortVectorsPadToFullOnesWithinTheShare) {
  EXPECT_EQ(padded_channels(24, 16, 0.34), 32);    // +33%
  EXPECT_EQ(padded_channels(40, 16, 0.34), 48);
  EXPECT_EQ(padded_channels(72, 16, 0.34), 80);
  EXPECT_EQ(padded_channels(116, 16, 0.34), 128);
  EXPECT_EQ(padded_channels(232, 16, 0.34), 240);
  EXPECT_EQ(padded_channels(24, 16, 0.25), 24);    // over the share: vectors of 8 stay
  EXPECT_EQ(padded_channels(58, 16, 0.05), 64);    // the least blocked count still
  EXPECT_EQ(padded_channels(8, 16, 0.34), 8);      // +100%
  EXPECT_EQ(padded_channels(24, 8, 0.34), 24);     // full vectors on 8 lanes
  EXPECT_EQ(padded_channels(64, 16, 0.34), 64);
}

TEST(PadChannels, BranchCarriesPaddingFromConvolutionToConvolution) {
  // At 12x12 the last convolution's 58 channels (a graph output) would be a Slice of 8352
  // values: it stays as it is. The first one's padding reaches only convolutions.
  const Graph source = branch(58, 12);
  const Graph padded = pad_channels(source, 16, 0);
  const std::vector<std::pair<int64_t, int64_t>> want{{64, 1}, {64, 64}, {58, 1}};
  EXPECT_EQ(convs(padded), want);
  EXPECT_EQ(count(padded, OpId::Slice), 0);
  expect_same_results(source, padded, "58 channels at 12x12");
  // Well-blocked counts and a target without vectors: nothing to do.
  EXPECT_EQ(convs(pad_channels(branch(64, 12), 16, 0)), (std::vector<std::pair<int64_t, int64_t>>{{64, 1}, {64, 64}, {64, 1}}));
  EXPECT_EQ(convs(pad_channels(source, 0, 0)), (std::vector<std::pair<int64_t, int64_t>>{{58, 1}, {58, 58}, {58, 1}}));
}

// RegNetY's block: 1x1 conv -> Relu -> 3x3 conv in groups of 8 -> 1x1 conv. 440 channels,
// which no vector of 16 stores unpadded: the grouped convolution carries the padding to 448
// as one more group of 8, reading only padding with zero weights. 104 channels are stored
// in vectors of 8 unpadded: its groups do not carry padding (merged into groups of 16 they
// would do twice the work), and the map is too large to slice, so nothing is padded.
TEST(PadChannels, GroupedConvolutionsCarryPaddingAsWholeGroups) {
  const auto grouped_block = [](int64_t channels, int64_t size) {
    Graph g("grouped");
    const ValueId x = g.add_input("x", {DType::F32, {1, 16, size, size}});
    const ValueId a = g.add("Relu", {conv(g, x, channels)});
    const ValueId grouped = g.add("Relu", {conv(g, a, channels, 3, channels / 8)});
    g.add_output(conv(g, grouped, 16));
    return g;
  };
  const Graph source = grouped_block(440, 7);
  const Graph padded = pad_channels(source, 16, 0.25);
  EXPECT_EQ(convs(padded),
            (std::vector<std::pair<int64_t, int64_t>>{{448, 1}, {448, 56}, {16, 1}}));
  EXPECT_EQ(count(padded, OpId::Slice), 0);
  expect_same_results(source, padded, "440 channels in groups of 8");
  EXPECT_EQ(convs(pad_channels(grouped_block(104, 28), 16, 0.25)),
            (std::vector<std::pair<int64_t, int64_t>>{{104, 1}, {104, 13}, {16, 1}}));
}

TEST(PadChannels, SmallValuesLeaveThroughASlice) {
  // SqueezeNet's classifier: 1x1 conv to 1000 classes -> Relu -> global pooling -> Flatten.
  Graph g("classifier");
  const ValueId x = g.add_input("x", {DType::F32, {1, 16, 3, 3}});
  const ValueId pooled = g.add("GlobalAveragePool", {g.add("Relu", {conv(g, x, 1000)})});
  g.add_output(g.add("Flatten", {pooled}));
  const Graph padded = pad_channels(g, 16, 0);
  EXPECT_EQ(convs(padded), (std::vector<std::pair<int64_t, int64_t>>{{1008, 1}}));
  EXPECT_EQ(count(padded, OpId::Slice), 1);
  expect_same_results(g, padded, "classifier");
  // A padded graph output leaves through a Slice that keeps the output's name.
  Graph returned("returned");
  const ValueId small = returned.add_input("x", {DType::F32, {1, 16, 2, 2}});
  const ValueId y = returned.add("Relu", {conv(returned, small, 58)});
  returned.add_output(y);
  const Graph padded_out = pad_channels(returned, 16, 0);
  EXPECT_EQ(convs(padded_out), (std::vector<std::pair<int64_t, int64_t>>{{64, 1}}));
  EXPECT_EQ(padded_out.value(padded_out.outputs()[0]).name, returned.value(y).name);
  expect_same_results(returned, padded_out, "returned");
  // At 9x9 the conv's own output would have to be sliced for a Concat: not padded.
  Graph wide("concat");
  const ValueId in = wide.add_input("x", {DType::F32, {1, 16, 9, 9}});
  wide.add_output(wide.add("Concat", {conv(wide, in, 58), conv(wide, in, 58)}, {{"axis", int64_t{1}}}));
  EXPECT_EQ(convs(pad_channels(wide, 16, 0)), (std::vector<std::pair<int64_t, int64_t>>{{58, 1}, {58, 1}}));
}

TEST(PadChannels, PaddingStaysFiniteThroughCarryingOps) {
  // conv -> Sigmoid (0.5 in the padding) -> * per-channel constant -> / per-channel constant
  // -> + the conv's own output -> MaxPool -> conv: the padding must not turn into inf or NaN
  // that the last convolution's zero weights would spread.
  Graph g("carry");
  const ValueId x = g.add_input("x", {DType::F32, {1, 8, 10, 10}});
  const ValueId c = conv(g, x, 58);
  const ValueId s = g.add("Sigmoid", {c});
  const ValueId m = g.add("Mul", {s, g.add_constant("scale", random_tensor({DType::F32, {1, 58, 1, 1}}, 11))});
  const ValueId d = g.add("Div", {m, g.add_constant("div", random_tensor({DType::F32, {58, 1, 1}}, 12))});
  const ValueId r = g.add("Add", {d, c});
  const ValueId p = g.add("MaxPool", {r}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}});
  g.add_output(conv(g, g.add("HardSwish", {p}), 16));
  const Graph padded = pad_channels(g, 16, 0);
  EXPECT_EQ(convs(padded), (std::vector<std::pair<int64_t, int64_t>>{{64, 1}, {16, 1}}));
  expect_same_results(g, padded, "carry");

  // A value of the same channels that is not padded (a gate computed from the map) stops
  // the padding, and the map is too large to slice: nothing is padded.
  Graph gate("gate");
  const ValueId in = gate.add_input("x", {DType::F32, {1, 8, 10, 10}});
  const ValueId map = conv(gate, in, 58);
  const ValueId sigm = gate.add("Sigmoid", {gate.add("GlobalAveragePool", {gate.add_input("z", {DType::F32, {1, 58, 10, 10}})})});
  gate.add_output(conv(gate, gate.add("Mul", {map, sigm}), 16));
  EXPECT_EQ(convs(pad_channels(gate, 16, 0)), (std::vector<std::pair<int64_t, int64_t>>{{58, 1}, {16, 1}}));
}

TEST(PadChannels, CompiledModelsStorePaddedValuesBlocked) {
  const Graph g = branch(58, 12);
  const std::vector<Tensor> inputs = random_inputs(g, 6);
  const Tensor want = run_reference(g, inputs)[0];
  for (int threads : {1, 2})
    for (bool pad : {true, false}) {
      compiler::CompileOptions o;
      o.target = target::host_target();
      o.target.threads = threads;
      o.lowering.pad_channels = pad;
      const std::string what = fmt::format("{} threads, pad {}", threads, pad);
      const runtime::LoweredModel lowered = compiler::lower_model(g, o);
      bool blocked_padding = false;
      for (const auto& [v, block] : lowered.layout.channel_blocks)
        blocked_padding = blocked_padding || lowered.graph.type(v).shape[1] % 58 != 0;
      EXPECT_EQ(blocked_padding, pad && o.target.vector_lanes >= 8) << what;
      expect_close(compiler::compile_model(g, o)->run(inputs)[0], want, what);
    }
}

}  // namespace
}  // namespace nas::passes
