// Many random schedules over the groups where the lowering does the most (padded, strided
// and grouped convolutions with epilogues reading other tensors, softmax's three stages, a
// group of two reductions with a local buffer): none may change a result.
#include <set>

#include <gtest/gtest.h>

#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using testing::random_tensor;

constexpr uint64_t kSeeds = 40;

Graph mixed_graph() {
  Graph g("mixed");
  SplitMix64 rng(5);
  const ValueId x = g.add_input("x", {DType::F32, {1, 4, 7, 6}});
  ValueId y = g.add("Conv",
                    {x, g.add_constant("w", random_tensor({6, 2, 3, 3}, rng)),
                     g.add_constant("b", random_tensor({6}, rng))},
                    {{"pads", Shape{1, 2, 1, 0}}, {"strides", Shape{2, 1}}, {"group", int64_t{2}}},
                    "conv");
  y = g.add("Add", {y, g.add_input("skip", {DType::F32, {1, 6, 4, 6}})}, {}, "add");
  y = g.add("HardSwish", {y}, {}, "act");
  y = g.add("Conv", {y, g.add_constant("dw", random_tensor({6, 1, 3, 3}, rng))},
            {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{6}}}, "dw");
  y = g.add("Relu", {y}, {}, "relu");
  y = g.add("AveragePool", {y}, {{"kernel_shape", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}},
                                 {"strides", Shape{2, 2}}}, "pool");
  y = g.add("Flatten", {y}, {}, "flat");
  y = g.add("Gemm", {y, g.add_constant("fc", random_tensor({5, 36}, rng))},
            {{"transB", int64_t{1}}}, "fc");
  g.add_output(g.add("Softmax", {y}, {}, "softmax"));
  return g;
}

TEST(LowerRandom, ManySchedulesOfAMixedGraph) {
  const Graph g = mixed_graph();
  const passes::FusionPlan plan = passes::plan_fusion(g);
  std::set<std::string> schedules;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(seed);
    testing::check_plan(g, plan, {.schedule = ScheduleChoice::Random, .seed = seed});
    schedules.insert(lower_group(g, plan.groups[0], testing::test_target(), "k",
                                 {.schedule = ScheduleChoice::Random, .seed = seed})
                         .schedule.str());
  }
  EXPECT_GT(schedules.size(), kSeeds / 2);  // the seeds do explore
}

// One group of two reductions (the convolution's result in a local buffer, then pooled).
TEST(LowerRandom, ManySchedulesOfAHandMadeGroup) {
  Graph g("two_reductions");
  SplitMix64 rng(6);
  ValueId y = g.add("Conv", {g.add_input("x", {DType::F32, {1, 2, 6, 5}}),
                             g.add_constant("w", random_tensor({3, 2, 3, 3}, rng))},
                    {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  y = g.add("Relu", {y}, {}, "relu");
  y = g.add("MaxPool", {y}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}}, "pool");
  g.add_output(g.add("Sigmoid", {y}, {}, "sigmoid"));
  const passes::FusionPlan plan{{passes::FusedGroup{0, {0, 1, 2, 3}}}};
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(seed);
    testing::check_plan(g, plan, {.schedule = ScheduleChoice::Random, .seed = seed});
  }
}

}  // namespace
}  // namespace nas::lower
