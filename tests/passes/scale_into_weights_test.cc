// scale_into_weights (compiler/passes/scale_into_weights.h): which squeeze-and-excitation
// products move into the next convolution's weights; the rewritten graph computes what the
// source computes; compiled models with scaled weights match the reference in both
// layouts at 1 and 2 threads.
#include "compiler/passes/scale_into_weights.h"

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

struct Block {
  int64_t channels = 32, out = 16, size = 16, batch = 1, kernel = 1, group = 1;
  bool scale_first = false;      // Mul(s, x) instead of Mul(x, s)
  bool product_returned = false;  // the product is also a graph output
  bool constant_weights = true;
};

// x -> Relu -> squeeze-and-excitation (mean, 1x1 to 8, Relu, 1x1 back, Sigmoid) -> the
// map times its gate -> Conv to `out` channels -> Relu.
Graph se_block(const Block& b) {
  Graph g("se");
  const ValueId x = g.add(
      "Relu", {g.add_input("x", {DType::F32, {b.batch, b.channels, b.size, b.size}})}, {}, "x");
  auto conv = [&](ValueId in, int64_t out, int64_t in_channels, int64_t kernel, uint64_t seed,
                  Attrs attrs, const std::string& name) {
    const TensorType wt{DType::F32, {out, in_channels, kernel, kernel}};
    const ValueId w = b.constant_weights || name != "project"
                          ? g.add_constant(name + ".w", random_tensor(wt, seed))
                          : g.add_input(name + ".w", wt);
    const ValueId bias = g.add_constant(name + ".b", random_tensor({DType::F32, {out}}, seed + 1));
    return g.add("Conv", {in, w, bias}, std::move(attrs), name);
  };
  const ValueId squeezed = g.add("GlobalAveragePool", {x});
  const ValueId hidden = g.add("Relu", {conv(squeezed, 8, b.channels, 1, 2, {}, "reduce")});
  const ValueId gate = g.add("Sigmoid", {conv(hidden, b.channels, 8, 1, 4, {}, "expand")});
  const ValueId product =
      g.add("Mul", b.scale_first ? std::vector{gate, x} : std::vector{x, gate}, {}, "scale");
  Attrs attrs{{"group", b.group}};
  if (b.kernel == 3) attrs.set("pads", Shape{1, 1, 1, 1});
  g.add_output(g.add("Relu", {conv(product, b.out, b.channels / b.group, b.kernel, 6,
                                    std::move(attrs), "project")}));
  if (b.product_returned) g.add_output(product);
  return g;
}

// Whether the projection's weights are computed (scaled by the gate).
bool scaled(const Graph& g) {
  for (const Node& node : g.nodes())
    if (node.name == "project") return g.value(node.inputs[1]).kind == ValueKind::NodeOutput;
  return false;
}

TEST(ScaleIntoWeights, FoldsWhereTheWeightsCostLessThanTheMap) {
  EXPECT_TRUE(scaled(scale_into_weights(se_block({}))));                     // 2 * 16 <= 256
  EXPECT_TRUE(scaled(scale_into_weights(se_block({.scale_first = true}))));  // Mul(s, x)
  EXPECT_TRUE(scaled(scale_into_weights(se_block({.out = 8, .kernel = 3}))));  // 2 * 72 <= 256
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.out = 16, .kernel = 3}))));  // 288 > 256
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.size = 4}))));           // 32 > 16
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.batch = 2}))));          // a gate per image
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.group = 2}))));
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.product_returned = true}))));
  EXPECT_FALSE(scaled(scale_into_weights(se_block({.constant_weights = false}))));
}

TEST(ScaleIntoWeights, ScaledGraphComputesTheBlock) {
  for (const Block& b : {Block{}, Block{.scale_first = true}, Block{.out = 8, .kernel = 3}}) {
    const Graph source = se_block(b);
    const Graph folded = scale_into_weights(source);
    ASSERT_TRUE(scaled(folded));
    const std::vector<Tensor> inputs = random_inputs(source, 3);
    expect_close(run_reference(folded, inputs)[0], run_reference(source, inputs)[0],
                 fmt::format("kernel {}, scale first {}", b.kernel, b.scale_first));
  }
}

TEST(ScaleIntoWeights, CompiledModelsMatchTheReference) {
  for (const Block& b : {Block{}, Block{.channels = 48, .out = 24, .size = 28},
                         Block{.out = 8, .kernel = 3}}) {
    const Graph g = se_block(b);
    const std::vector<Tensor> inputs = random_inputs(g, 5);
    const Tensor want = run_reference(g, inputs)[0];
    for (int threads : {1, 2})
      for (bool blocked : {true, false}) {
        compiler::CompileOptions o;
        o.target = target::host_target();
        o.target.threads = threads;
        o.lowering.blocked_layout = blocked;
        const std::string what = fmt::format("{} channels, kernel {}, {} threads, {}", b.channels,
                                             b.kernel, threads, blocked ? "blocked" : "NCHW");
        EXPECT_TRUE(scaled(compiler::lower_model(g, o).graph)) << what;
        expect_close(compiler::compile_model(g, o)->run(inputs)[0], want, what);
      }
  }
}

TEST(ScaleIntoWeights, TheLoweringOptionTurnsItOff) {
  compiler::CompileOptions o;
  o.target = target::host_target();
  o.lowering.scale_into_weights = false;
  EXPECT_FALSE(scaled(compiler::lower_model(se_block({}), o).graph));
}

}  // namespace
}  // namespace nas::passes
