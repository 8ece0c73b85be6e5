// rewrite_winograd (compiler/passes/winograd.h): which convolutions become WinogradConv and
// with which tile; the rewritten graph computes what the source computes (reference
// executor on both, tails, padding and auto_pad included); compiled models with Winograd
// convolutions match the reference at 1 and 2 threads, blocked and NCHW, default and
// random schedules; and the options turn it off.
#include "compiler/passes/winograd.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/target/target.h"
#include "tests/runtime/runtime_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using runtime::testing::expect_close;
using runtime::testing::random_inputs;
using runtime::testing::random_tensor;

struct ConvSpec {
  int64_t c_in = 32, c_out = 32, size = 16, batch = 1, kernel = 3, stride = 1, group = 1;
  Attrs attrs = {{"pads", Shape{1, 1, 1, 1}}};
  bool constant_weights = true;
};

// x -> Relu -> Conv (with bias) -> Relu, returned: the convolution inside the model, neither
// reading a graph input nor writing a graph output.
Graph conv_graph(const ConvSpec& s, uint64_t seed = 1) {
  Graph g("conv");
  const ValueId input = g.add_input("x", {DType::F32, {s.batch, s.c_in, s.size, s.size}});
  const ValueId x = g.add("Relu", {input}, {}, "first");
  const TensorType wt{DType::F32, {s.c_out, s.c_in / s.group, s.kernel, s.kernel}};
  const ValueId w = s.constant_weights ? g.add_constant("w", random_tensor(wt, seed))
                                       : g.add_input("w", wt);
  const ValueId b = g.add_constant("b", random_tensor({DType::F32, {s.c_out}}, seed + 1));
  Attrs attrs = s.attrs;
  if (s.stride != 1) attrs.set("strides", Shape{s.stride, s.stride});
  if (s.group != 1) attrs.set("group", s.group);
  g.add_output(g.add("Relu", {g.add("Conv", {x, w, b}, attrs, "conv")}, {}, "relu"));
  return g;
}

const WinogradOptions kOn{.tile = 4, .min_channels = 32, .min_tiles = 16};

// x -> Conv -> Relu: the convolution reads the graph's input.
Graph conv_reading_the_input() {
  Graph g("boundary");
  const ValueId x = g.add_input("x", {DType::F32, {1, 32, 16, 16}});
  const ValueId w = g.add_constant("w", random_tensor({DType::F32, {32, 32, 3, 3}}, 1));
  g.add_output(g.add("Relu", {g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv")}));
  return g;
}

// x -> Relu -> Conv, returned.
Graph conv_writing_the_output() {
  Graph g("boundary");
  const ValueId x = g.add("Relu", {g.add_input("x", {DType::F32, {1, 32, 16, 16}})});
  const ValueId w = g.add_constant("w", random_tensor({DType::F32, {32, 32, 3, 3}}, 1));
  g.add_output(g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv"));
  return g;
}

// The tile of the graph's WinogradConv, 0 if it has none.
int64_t tile_of(const Graph& g) {
  for (const Node& node : g.nodes())
    if (node.op->id == OpId::WinogradConv) return node.attrs.i("tile");
  return 0;
}

TEST(Winograd, RewritesThreeByThreeConvolutionsOfStrideOneWithConstantWeights) {
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({}), kOn)), 4);  // 4 x 4 tiles of 4
  // 8x8: 4 tiles of 4, fewer than 16, so 16 tiles of 2.
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.size = 8}), kOn)), 2);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.size = 8, .batch = 4}), kOn)), 4);
  // 4x4 at batch 1: 4 tiles of 2: direct.
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.size = 4}), kOn)), 0);
  WinogradOptions small = kOn;
  small.tile = 2;
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({}), small)), 2);
  // Kept direct.
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({}), {})), 0);  // tile 0: off
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.c_in = 16}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.c_out = 16}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.stride = 2}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.group = 2}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.kernel = 1, .attrs = {}}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph({.constant_weights = false}), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_reading_the_input(), kOn)), 0);
  EXPECT_EQ(tile_of(rewrite_winograd(conv_writing_the_output(), kOn)), 0);
  ConvSpec dilated;
  dilated.attrs.set("dilations", Shape{2, 2});
  EXPECT_EQ(tile_of(rewrite_winograd(conv_graph(dilated), kOn)), 0);
}

TEST(Winograd, RewrittenGraphComputesTheConvolution) {
  const std::vector<std::pair<std::string, ConvSpec>> specs = {
      {"pads 1, 16x16", {}},
      {"no pads, 13x13 (partial tiles)", {.size = 13, .attrs = {}}},
      {"asymmetric pads, 11x11", {.size = 11, .attrs = {{"pads", Shape{0, 2, 1, 0}}}}},
      {"SAME_UPPER, batch 2", {.size = 9, .batch = 2, .attrs = {{"auto_pad", std::string("SAME_UPPER")}}}},
      {"40 -> 48 channels", {.c_in = 40, .c_out = 48, .size = 10}},
  };
  for (const auto& [what, spec] : specs)
    for (int64_t tile : {2, 4}) {
      const Graph source = conv_graph(spec, 7);
      WinogradOptions options = kOn;
      options.tile = tile;
      options.min_tiles = 1;
      const Graph rewritten = rewrite_winograd(source, options);
      ASSERT_EQ(tile_of(rewritten), tile) << what;
      const std::vector<Tensor> inputs = random_inputs(source, 3);
      expect_close(run_reference(rewritten, inputs)[0], run_reference(source, inputs)[0],
                   fmt::format("{}, F({}x{})", what, tile, tile));
    }
}

compiler::CompileOptions compile_options(int threads, bool blocked, lower::ScheduleChoice choice) {
  compiler::CompileOptions o;
  o.target = target::host_target();
  o.target.threads = threads;
  o.lowering.blocked_layout = blocked;
  o.lowering.schedule = choice;
  o.lowering.seed = 5;
  target::ScheduleParams params = o.target.schedule;
  params.winograd_tile = 4;
  params.min_parallel_work = 0;  // every parallel loop runs in parallel
  o.lowering.schedule_params = params;
  return o;
}

size_t winograd_kernels(const runtime::LoweredModel& m) {
  size_t n = 0;
  for (const lower::LoweredKernel& k : m.kernels) n += k.family == lower::ScheduleFamily::WinogradConv2d;
  return n;
}

// conv (3 -> 32) -> Relu -> conv (32 -> 48, Winograd) -> Relu -> conv (48 -> 32, Winograd)
// -> Add with the first -> Mul by a second input: blocked values between Winograd kernels,
// an epilogue with a residual Add, then a kernel of its own.
Graph residual_graph(int64_t size) {
  Graph g("residual");
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, size, size}});
  const ValueId after = g.add_input("after", {DType::F32, {1, 32, size, size}});
  uint64_t seed = 20;
  auto conv = [&](ValueId in, int64_t cin, int64_t cout, const std::string& name) {
    const ValueId w = g.add_constant(name + ".w", random_tensor({DType::F32, {cout, cin, 3, 3}}, seed++));
    const ValueId b = g.add_constant(name + ".b", random_tensor({DType::F32, {cout}}, seed++));
    return g.add("Conv", {in, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, name);
  };
  const ValueId a = g.add("Relu", {conv(x, 3, 32, "a")}, {}, "a.relu");
  const ValueId b = g.add("Relu", {conv(a, 32, 48, "b")}, {}, "b.relu");
  g.add_output(g.add("Mul", {g.add("Add", {conv(b, 48, 32, "c"), a}, {}, "sum"), after}, {}, "scaled"));
  return g;
}

TEST(Winograd, CompiledModelsMatchTheReference) {
  for (int64_t size : {16, 10}) {  // 10: partial tiles of 4
    const Graph g = residual_graph(size);
    const std::vector<Tensor> inputs = random_inputs(g, 9);
    const Tensor want = run_reference(g, inputs)[0];
    for (int threads : {1, 2})
      for (bool blocked : {true, false})
        for (lower::ScheduleChoice choice : {lower::ScheduleChoice::Default, lower::ScheduleChoice::Random}) {
          const compiler::CompileOptions o = compile_options(threads, blocked, choice);
          const std::string what = fmt::format("{}x{}, {} threads, {}, {} schedule", size, size,
                                               threads, blocked ? "blocked" : "NCHW",
                                               choice == lower::ScheduleChoice::Default ? "default" : "random");
          EXPECT_EQ(winograd_kernels(compiler::lower_model(g, o)), 2u) << what;
          expect_close(compiler::compile_model(g, o)->run(inputs)[0], want, what);
        }
  }
}

// The vector widths of the other x86 targets (8 and 4 lanes): the same results.
TEST(Winograd, CompiledModelsMatchTheReferenceOnNarrowerVectors) {
  const Graph g = residual_graph(12);
  const std::vector<Tensor> inputs = random_inputs(g, 4);
  const Tensor want = run_reference(g, inputs)[0];
  for (const char* name : {"host-avx2", "host-sse4"}) {
    compiler::CompileOptions o = compile_options(2, true, lower::ScheduleChoice::Default);
    o.target = target::parse_target(name);
    o.target.threads = 2;
    o.lowering.schedule_params = o.target.schedule;  // its register counts
    o.lowering.schedule_params->min_parallel_work = 0;
    EXPECT_EQ(winograd_kernels(compiler::lower_model(g, o)), 2u) << name;
    expect_close(compiler::compile_model(g, o)->run(inputs)[0], want, name);
  }
}

TEST(Winograd, OptionsTurnItOff) {
  const Graph g = residual_graph(16);
  compiler::CompileOptions o = compile_options(1, true, lower::ScheduleChoice::Default);
  o.lowering.winograd = false;
  EXPECT_EQ(winograd_kernels(compiler::lower_model(g, o)), 0u);
  o.lowering.winograd = true;
  o.lowering.schedule_params->winograd_tile = 0;
  EXPECT_EQ(winograd_kernels(compiler::lower_model(g, o)), 0u);
}

TEST(Winograd, KeepsDirectTheConvolutionsTheRecordsChoseSoByKey) {
  const Graph g = conv_graph({});
  auto conv_of = [](const Graph& graph) -> const Node& {
    return *std::ranges::find_if(graph.nodes(), [](const Node& n) { return n.name == "conv"; });
  };
  const std::string key = winograd_conv_key(g, conv_of(g));
  EXPECT_EQ(key, "f32[1,32,16,16] * [32,32,3,3] pads [1,1,1,1]");
  // auto_pad gives the same padding, so the same key.
  const Graph same = conv_graph({.attrs = {{"auto_pad", std::string("SAME_UPPER")}}});
  EXPECT_EQ(winograd_conv_key(same, conv_of(same)), key);
  WinogradOptions options = kOn;
  options.keep_direct = [&](const std::string& k) { return k == key; };
  EXPECT_EQ(tile_of(rewrite_winograd(g, options)), 0);
  options.keep_direct = [](const std::string& k) { return k.starts_with("f32[1,64"); };
  EXPECT_EQ(tile_of(rewrite_winograd(g, options)), 4);
}

}  // namespace
}  // namespace nas::passes
