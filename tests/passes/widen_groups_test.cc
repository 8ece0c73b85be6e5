// widen_groups (compiler/passes/widen_groups.h): which grouped convolutions get wider
// groups and how many; the rewritten graph computes what the source computes; compiled
// models with widened groups match the reference in both layouts at 1 and 2 threads.
#include "compiler/passes/widen_groups.h"

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

// x -> Relu -> grouped 3x3 Conv (channels -> channels) -> Relu.
Graph grouped(int64_t channels, int64_t group, bool constant_weights = true, int64_t stride = 1) {
  Graph g("grouped");
  const ValueId x = g.add("Relu", {g.add_input("x", {DType::F32, {1, channels, 9, 9}})});
  const TensorType wt{DType::F32, {channels, channels / group, 3, 3}};
  const ValueId w = constant_weights ? g.add_constant("w", random_tensor(wt, 4)) : g.add_input("w", wt);
  const ValueId b = g.add_constant("b", random_tensor({DType::F32, {channels}}, 5));
  const ValueId y = g.add("Conv", {x, w, b},
                          {{"group", group}, {"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{stride, stride}}},
                          "conv");
  g.add_output(g.add("Relu", {y}));
  return g;
}

int64_t group_of(const Graph& g) {
  for (const Node& node : g.nodes())
    if (node.op->id == OpId::Conv) return node.attrs.i("group");
  return 0;
}

TEST(WidenGroups, MergesGroupsNarrowerThanAVector) {
  EXPECT_EQ(group_of(widen_groups(grouped(128, 32), 16)), 8);   // 4 -> 16 per group
  EXPECT_EQ(group_of(widen_groups(grouped(128, 32), 8)), 16);   // 4 -> 8
  EXPECT_EQ(group_of(widen_groups(grouped(64, 8), 16)), 4);     // 8 -> 16
  EXPECT_EQ(group_of(widen_groups(grouped(64, 4), 16)), 4);     // 16 already
  EXPECT_EQ(group_of(widen_groups(grouped(24, 6), 16)), 6);     // f = 4 does not divide 6
  EXPECT_EQ(group_of(widen_groups(grouped(32, 32), 16)), 32);   // depthwise
  EXPECT_EQ(group_of(widen_groups(grouped(128, 32, false), 16)), 32);  // weights an input
  EXPECT_EQ(group_of(widen_groups(grouped(128, 32), 0)), 32);   // off
}

TEST(WidenGroups, WidenedGraphComputesTheConvolution) {
  for (const auto& [channels, group, stride] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{128, 32, 1}, {64, 8, 2}, {48, 12, 1}}) {
    const Graph source = grouped(channels, group, true, stride);
    const Graph widened = widen_groups(source, 16);
    ASSERT_NE(group_of(widened), group);
    const std::vector<Tensor> inputs = random_inputs(source, 2);
    expect_close(run_reference(widened, inputs)[0], run_reference(source, inputs)[0],
                 fmt::format("{} channels in {} groups, stride {}", channels, group, stride));
  }
}

TEST(WidenGroups, CompiledModelsMatchTheReference) {
  const Graph g = grouped(64, 16);  // groups of 4
  const std::vector<Tensor> inputs = random_inputs(g, 6);
  const Tensor want = run_reference(g, inputs)[0];
  for (int threads : {1, 2})
    for (bool blocked : {true, false}) {
      compiler::CompileOptions o;
      o.target = target::host_target();
      o.target.threads = threads;
      o.lowering.blocked_layout = blocked;
      const std::string what = fmt::format("{} threads, {}", threads, blocked ? "blocked" : "NCHW");
      EXPECT_LT(group_of(compiler::lower_model(g, o).graph), 16) << what;
      expect_close(compiler::compile_model(g, o)->run(inputs)[0], want, what);
    }
}

}  // namespace
}  // namespace nas::passes
