// The shipped spaces decode to valid, runnable, deterministic networks; the templates' block
// structure; a sampled network of each space trains.
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "evaluator/data/synthetic.h"
#include "evaluator/train/trainer.h"
#include "space/space_file.h"
#include "tests/shipped_spaces.h"

namespace nas::space {
namespace {

using nas::testing::shipped_space;

graph::Tensor random_image(uint64_t seed) {
  graph::Tensor t(graph::DType::F32, {1, 1, 28, 28});
  SplitMix64 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(rng.normal());
  return t;
}

int64_t count_ops(const graph::Graph& g, const std::string& op) {
  int64_t n = 0;
  for (const graph::Node& node : g.nodes()) n += node.op_name() == op;
  return n;
}

class ShippedSpace : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedSpace, SamplesDecodeToValidNetworks) {
  const SearchSpace& s = shipped_space(GetParam());
  SplitMix64 rng(11);
  for (int i = 0; i < 30; ++i) {
    const Architecture arch = s.sample(rng);
    const graph::Graph g = s.decode(arch);
    SCOPED_TRACE(s.to_string(arch));
    EXPECT_THAT(graph::verify_graph(g), ::testing::IsEmpty());
    ASSERT_EQ(g.outputs().size(), 1u);
    EXPECT_EQ(g.type(g.outputs()[0]).shape, (graph::Shape{1, 10}));
    EXPECT_EQ(g.value(g.outputs()[0]).name, "logits");
    EXPECT_GT(g.parameter_count(), 0);
    EXPECT_GT(g.flops(), 0);
    if (i % 6 == 0) {  // running is the slow part: a few suffice
      const auto out = graph::run_reference(g, {random_image(i)});
      for (int64_t k = 0; k < out[0].numel(); ++k) EXPECT_TRUE(std::isfinite(out[0].at(k)));
    }
  }
}

TEST_P(ShippedSpace, DecodingIsDeterministic) {
  const SearchSpace& s = shipped_space(GetParam());
  SplitMix64 rng(5);
  const Architecture a = s.sample(rng), b = s.mutate(a, rng, 0.0);
  const graph::Graph g1 = s.decode(a), g2 = s.decode(a), other = s.decode(b, 4);
  EXPECT_EQ(graph::print_graph(g1), graph::print_graph(g2));
  ASSERT_EQ(g1.constants().size(), g2.constants().size());
  for (const auto& [id, t] : g1.constants()) EXPECT_TRUE(t == g2.constant(id)) << g1.value(id).name;
  // Another architecture draws other weights; a batch of 4 changes only the batch.
  EXPECT_FALSE(g1.constant(*g1.find("stem.conv.weight")) == other.constant(*other.find("stem.conv.weight")));
  EXPECT_EQ(other.type(other.inputs()[0]).shape, (graph::Shape{4, 1, 28, 28}));
}

TEST_P(ShippedSpace, ASampledNetworkTrains) {
  const SearchSpace& s = shipped_space(GetParam());
  SplitMix64 rng(2);
  const graph::Graph model = s.decode(s.sample(rng));
  const evaluator::Dataset data = evaluator::make_synthetic(
      {.n = 16, .classes = 10, .channels = 1, .height = 28, .width = 28, .seed = 1});
  evaluator::TrainConfig config;
  config.batch = 8;
  config.threads = 1;
  const evaluator::TrainReport report =
      evaluator::train(model, data, config, evaluator::initial_state(model));
  EXPECT_EQ(report.status, evaluator::TrainStatus::Ok) << report.reason;
  EXPECT_EQ(report.state.steps_done, 2);
  EXPECT_TRUE(std::isfinite(report.state.epoch_losses.at(0)));
}

INSTANTIATE_TEST_SUITE_P(Spaces, ShippedSpace, ::testing::Values("mobilenet_28", "nb201_28"));

TEST(MacroTemplate, BlocksFollowTheChoices) {
  const SearchSpace& s = shipped_space("mobilenet_28");
  // stem 8 (stride 2); stage 1: depth 2, k3, expand 1, width 16, relu, SE; stage 2: depth 1,
  // k5, expand 2, width 24, hswish, no SE; stage 3: depth 3, k7, expand 4, width 40, relu,
  // SE; head 64.
  const Architecture a = s.parse("8,2,3,1,16,relu,on,1,5,2,24,hswish,off,3,7,4,40,relu,on,64");
  const graph::Graph g = s.decode(a);
  EXPECT_EQ(count_ops(g, "HardSigmoid"), 2 + 3);                  // one SE per block with SE
  EXPECT_EQ(count_ops(g, "Conv"), 1 + 2 * (2 + 2) + 3 + 3 * (3 + 2) + 1);
  EXPECT_EQ(count_ops(g, "Add"), 1 + 2);  // stage 1 block 2; stage 3 blocks 2 and 3
  EXPECT_FALSE(g.find("stage1.block1.expand").has_value());       // expand ratio 1
  EXPECT_EQ(g.type(*g.find("stage3.block1.depthwise")).shape, (graph::Shape{1, 96, 4, 4}));
  EXPECT_EQ(g.type(*g.find("stage3.block1.se.reduce")).shape, (graph::Shape{1, 24, 1, 1}));
  EXPECT_EQ(g.type(*g.find("stage1.block1.se.reduce")).shape, (graph::Shape{1, 8, 1, 1}));
  EXPECT_EQ(g.nodes()[g.value(*g.find("stage2.block1.depthwise")).producer].attrs.i("group"), 32);
}

TEST(CellTemplate, OpsAndDeadEdges) {
  const SearchSpace& s = shipped_space("nb201_28");
  // Edges in order 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.
  const graph::Graph full = s.decode(s.parse("conv3x3,conv1x1,avgpool3x3,skip,conv3x3,conv1x1"));
  EXPECT_EQ(count_ops(full, "AveragePool"), 3 + 2);  // one per cell, plus two shortcuts
  EXPECT_TRUE(full.find("stage3.cell1.edge01.conv").has_value());
  EXPECT_EQ(full.type(*full.find("stage3.cell1.edge01.conv")).shape, (graph::Shape{1, 32, 7, 7}));
  // Node 1 feeds nothing: its edge is left out.
  const graph::Graph dead = s.decode(s.parse("conv3x3,skip,none,skip,none,conv1x1"));
  EXPECT_FALSE(dead.find("stage1.cell1.edge01.conv").has_value());
  EXPECT_TRUE(dead.find("stage1.cell1.edge23.conv").has_value());
}

TEST(CellTemplate, AllNoneCellsOutputZeros) {
  const SearchSpace& s = shipped_space("nb201_28");
  const graph::Graph g = s.decode(s.parse("none,none,none,none,none,none"));
  EXPECT_THAT(graph::verify_graph(g), ::testing::IsEmpty());
  EXPECT_EQ(count_ops(g, "Sub"), 3);
  // Every cell is zero, so the logits do not depend on the image.
  const auto a = graph::run_reference(g, {random_image(1)});
  const auto b = graph::run_reference(g, {random_image(2)});
  EXPECT_TRUE(a[0] == b[0]);
  // Edges from a zero node contribute nothing either: node 1 is zero here.
  const graph::Graph z = s.decode(s.parse("none,skip,conv3x3,none,conv1x1,skip"));
  EXPECT_FALSE(z.find("stage1.cell1.edge12.conv").has_value());
  EXPECT_FALSE(z.find("stage1.cell1.edge13.conv").has_value());
}

}  // namespace
}  // namespace nas::space
