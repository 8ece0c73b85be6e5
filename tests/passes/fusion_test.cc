// plan_fusion: golden plans for the small CNN and a MobileNet block, the plan invariants
// (partition, convex groups, topological group order) on those and on random graphs, the
// rule table, and check_fusion_plan catching broken plans.
#include "compiler/passes/fusion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/passes/fold_batch_norm.h"
#include "evaluator/models/small_cnn.h"
#include "tests/passes/pass_test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> node_names(const Graph& g, const FusedGroup& group) {
  std::vector<std::string> names;
  for (int32_t n : group.nodes) names.push_back(g.nodes()[n].name);
  return names;
}

// A random DAG over f32[1,4,4,4] values and their global-average-pooled f32[1,4,1,1]
// forms, built from ops of every fusion class.
Graph random_dag(uint64_t seed) {
  SplitMix64 rng(seed);
  Graph g("random_dag");
  std::vector<ValueId> full{g.add_input("x", {DType::F32, {1, 4, 4, 4}})};
  std::vector<ValueId> pooled;
  auto pick = [&](const std::vector<ValueId>& from) { return from[rng.below(from.size())]; };
  const int num_nodes = 6 + static_cast<int>(rng.below(14));
  for (int i = 0; i < num_nodes; ++i) {
    const std::string name = "n" + std::to_string(i);
    switch (rng.below(9)) {
      case 0: full.push_back(g.add("Relu", {pick(full)}, {}, name)); break;
      case 1: full.push_back(g.add("HardSwish", {pick(full)}, {}, name)); break;
      case 2: full.push_back(g.add("Add", {pick(full), pick(full)}, {}, name)); break;
      case 3: {  // may broadcast a pooled value into a full one (squeeze-excite)
        const ValueId small = pooled.empty() ? pick(full) : pick(pooled);
        full.push_back(rng.below(2) ? g.add("Mul", {pick(full), small}, {}, name)
                                    : g.add("Mul", {small, pick(full)}, {}, name));
        break;
      }
      case 4: {
        ValueId w = g.add_constant(name + ".w", testing::random_tensor({4, 4, 1, 1}, rng));
        full.push_back(g.add("Conv", {pick(full), w}, {}, name));
        break;
      }
      case 5:
        full.push_back(g.add("Transpose", {pick(full)}, {{"perm", Shape{0, 1, 3, 2}}}, name));
        break;
      case 6:
        full.push_back(g.add("MaxPool", {pick(full)},
                             {{"kernel_shape", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}}}, name));
        break;
      case 7: pooled.push_back(g.add("GlobalAveragePool", {pick(full)}, {}, name)); break;
      default:
        if (pooled.empty()) {
          full.push_back(g.add("Sigmoid", {pick(full)}, {}, name));
        } else {
          pooled.push_back(g.add("Sigmoid", {pick(pooled)}, {}, name));
        }
    }
  }
  // Return every value nothing reads, so no node is dead.
  const auto users = g.users();
  for (const Node& node : g.nodes())
    if (users[node.outputs[0]].empty()) g.add_output(node.outputs[0]);
  return g;
}

TEST(Fusion, SmallCnnGolden) {
  Graph g = evaluator::small_cnn(1);
  FusionPlan plan = plan_fusion(g);
  EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre());
  testing::expect_golden("fusion_small_cnn.txt", print_fusion_plan(g, plan));
}

TEST(Fusion, MobileNetBlockGolden) {
  Graph g = testing::mobilenet_block(3);
  Graph folded = fold_batch_norm(g);
  FusionPlan plan = plan_fusion(g);
  FusionPlan folded_plan = plan_fusion(folded);
  EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre());
  EXPECT_THAT(check_fusion_plan(folded, folded_plan), ElementsAre());
  ASSERT_EQ(plan.groups.size(), 3u);
  EXPECT_THAT(node_names(g, plan.groups[2]),
              ElementsAre("project", "project.bn", "residual"));
  testing::expect_golden("fusion_mobilenet_block.txt",
                         "# before fold_batch_norm\n" + print_fusion_plan(g, plan) +
                             "\n# after fold_batch_norm\n" +
                             print_fusion_plan(folded, folded_plan));
}

TEST(Fusion, InvariantsHoldOnRandomGraphs) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Graph g = random_dag(seed);
    FusionPlan plan = plan_fusion(g);
    EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre()) << "seed " << seed << "\n"
                                                           << print_fusion_plan(g, plan);
  }
}

TEST(Fusion, DoesNotFuseAcrossAValueWithTwoReaders) {
  Graph g("diamond");
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 3, 3}});
  ValueId w = g.add_constant("w", Tensor(DType::F32, {2, 2, 1, 1}));
  ValueId c = g.add("Conv", {x, w}, {}, "conv");
  ValueId a = g.add("Relu", {c}, {}, "a");
  ValueId b = g.add("Sigmoid", {c}, {}, "b");
  g.add_output(g.add("Add", {a, b}, {}, "sum"));
  FusionPlan plan = plan_fusion(g);
  EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre());
  ASSERT_EQ(plan.groups.size(), 3u);
  EXPECT_THAT(node_names(g, plan.groups[0]), ElementsAre("conv"));
  EXPECT_THAT(node_names(g, plan.groups[1]), ElementsAre("b"));
  EXPECT_THAT(node_names(g, plan.groups[2]), ElementsAre("a", "sum"));
}

// SiLU as torch exports it: y read by Sigmoid and by the Mul of y and the sigmoid. Both
// join the convolution's group; the chain goes on after the Mul.
TEST(Fusion, FusesADiamondOfTwoReaders) {
  Graph g("silu");
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 3, 3}});
  ValueId w = g.add_constant("w", Tensor(DType::F32, {2, 2, 1, 1}));
  ValueId y = g.add("Conv", {x, w}, {}, "conv");
  ValueId s = g.add("Sigmoid", {y}, {}, "sigmoid");
  ValueId silu = g.add("Mul", {y, s}, {}, "silu");
  g.add_output(g.add("Relu", {silu}, {}, "relu"));
  FusionPlan plan = plan_fusion(g);
  EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre());
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(node_names(g, plan.groups[0]), ElementsAre("conv", "sigmoid", "silu", "relu"));

  // Not when the sigmoid is needed elsewhere too, or the second reader reads another node's
  // value (which could depend on the group: not convex).
  Graph returned = g;
  returned.add_output(s);
  FusionPlan kept = plan_fusion(returned);
  EXPECT_THAT(check_fusion_plan(returned, kept), ElementsAre());
  EXPECT_THAT(node_names(returned, kept.groups[0]), ElementsAre("conv"));
  Graph other("other");
  x = other.add_input("x", {DType::F32, {1, 2, 3, 3}});
  w = other.add_constant("w", Tensor(DType::F32, {2, 2, 1, 1}));
  y = other.add("Conv", {x, w}, {}, "conv");
  s = other.add("Sigmoid", {y}, {}, "sigmoid");
  const ValueId r = other.add("Relu", {x}, {}, "relu");
  other.add_output(other.add("Mul", {y, other.add("Add", {s, r}, {}, "add")}, {}, "mul"));
  FusionPlan split = plan_fusion(other);
  EXPECT_THAT(check_fusion_plan(other, split), ElementsAre());
  EXPECT_THAT(node_names(other, split.groups[0]), ElementsAre("conv"));
}

// GELU as torch exports it before opset 20: y * 0.5 * (1 + erf(y / sqrt 2)), a diamond
// whose first side is a chain (Div, Erf, Add) that the join Mul(y, ...) ends. All of it
// joins the dense product's group; not when a link of the chain is read elsewhere too.
TEST(Fusion, FusesADiamondWhoseSideIsAChain) {
  const auto gelu = [](bool link_read_elsewhere) {
    Graph g("gelu");
    const ValueId x = g.add_input("x", {DType::F32, {3, 8}});
    const ValueId y = g.add("MatMul", {x, g.add_constant("w", Tensor(DType::F32, {8, 16}))}, {},
                            "matmul");
    const ValueId d = g.add("Div", {y, g.add_constant("root2", Tensor::scalar_f32(1.41421356f))},
                            {}, "div");
    const ValueId e = g.add("Erf", {d}, {}, "erf");
    const ValueId a = g.add("Add", {e, g.add_constant("one", Tensor::scalar_f32(1.0f))}, {}, "add");
    const ValueId m = g.add("Mul", {y, a}, {}, "mul");
    g.add_output(g.add("Mul", {m, g.add_constant("half", Tensor::scalar_f32(0.5f))}, {}, "half"));
    if (link_read_elsewhere) g.add_output(e);
    return g;
  };
  const Graph g = gelu(false);
  FusionPlan plan = plan_fusion(g);
  EXPECT_THAT(check_fusion_plan(g, plan), ElementsAre());
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(node_names(g, plan.groups[0]),
              ElementsAre("matmul", "div", "erf", "add", "mul", "half"));
  const Graph returned = gelu(true);
  FusionPlan kept = plan_fusion(returned);
  EXPECT_THAT(check_fusion_plan(returned, kept), ElementsAre());
  EXPECT_THAT(node_names(returned, kept.groups[0]), ElementsAre("matmul"));
}

TEST(Fusion, ABroadcastThatGrowsTheChainValueStartsAGroup) {
  // Squeeze-excite: the gate f32[1,2,1,1] multiplies a larger tensor; the conv that made
  // the gate cannot compute the product in its own loop nest.
  Graph g("se");
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 3, 3}});
  ValueId pooled = g.add("GlobalAveragePool", {x}, {}, "pool");
  ValueId w = g.add_constant("w", Tensor(DType::F32, {2, 2, 1, 1}));
  ValueId gate = g.add("Conv", {pooled, w}, {}, "conv");
  gate = g.add("HardSigmoid", {gate}, {}, "gate");
  g.add_output(g.add("Mul", {x, gate}, {}, "scaled"));
  FusionPlan plan = plan_fusion(g);
  ASSERT_EQ(plan.groups.size(), 3u);
  EXPECT_THAT(node_names(g, plan.groups[1]), ElementsAre("conv", "gate"));
  EXPECT_THAT(node_names(g, plan.groups[2]), ElementsAre("scaled"));
}

// Injective ops chain, and take the elementwise ops after them (ConvNeXt's permute back to
// channels-first, then its layer scale and residual add).
TEST(Fusion, FusesChainsOfInjectiveOpsAndTheirElementwiseReaders) {
  Graph g("injective");
  ValueId x = g.add_input("x", {DType::F32, {2, 3, 4}});
  ValueId t = g.add("Transpose", {x}, {{"perm", Shape{0, 2, 1}}}, "transpose");
  ValueId r = g.add("Reshape", {t}, {{"shape", Shape{2, 12}}}, "reshape");
  g.add_output(g.add("Relu", {r}, {}, "relu"));
  FusionPlan plan = plan_fusion(g);
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(node_names(g, plan.groups[0]), ElementsAre("transpose", "reshape", "relu"));
}

// A Concat keeps its elementwise readers out of its group (its parts are written in place,
// concat_in_place.h); an injective reader still joins it.
TEST(Fusion, ConcatTakesNoElementwiseReaders) {
  Graph g("concat");
  const ValueId a = g.add_input("a", {DType::F32, {1, 2, 4, 4}});
  const ValueId b = g.add_input("b", {DType::F32, {1, 3, 4, 4}});
  const ValueId c = g.add("Concat", {a, b}, {{"axis", int64_t{1}}}, "concat");
  g.add_output(g.add("Relu", {c}, {}, "relu"));
  FusionPlan plan = plan_fusion(g);
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_THAT(node_names(g, plan.groups[0]), ElementsAre("concat"));

  Graph h("concat_reshape");
  const ValueId x = h.add_input("x", {DType::F32, {1, 2, 4}});
  const ValueId y = h.add_input("y", {DType::F32, {1, 2, 4}});
  const ValueId xy = h.add("Concat", {x, y}, {{"axis", int64_t{1}}}, "concat");
  h.add_output(h.add("Reshape", {xy}, {{"shape", Shape{16}}}, "reshape"));
  plan = plan_fusion(h);
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(node_names(h, plan.groups[0]), ElementsAre("concat", "reshape"));
}

TEST(Fusion, RulesAreData) {
  Graph g("pool_relu");
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 4, 4}});
  ValueId p = g.add("MaxPool", {x}, {{"kernel_shape", Shape{2, 2}}}, "pool");
  g.add_output(g.add("Relu", {p}, {}, "relu"));
  EXPECT_EQ(plan_fusion(g).groups.size(), 2u);  // reductions stand alone by default
  std::vector<FusionRule> rules = default_fusion_rules();
  rules.insert(rules.begin(), {FusionClass::Reduction, FusionClass::Elementwise, true});
  FusionPlan plan = plan_fusion(g, rules);
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(node_names(g, plan.groups[0]), ElementsAre("pool", "relu"));
}

TEST(Fusion, CheckerFindsBrokenPlans) {
  Graph g("chain");
  ValueId x = g.add_input("x", {DType::F32, {4}});
  ValueId a = g.add("Relu", {x}, {}, "a");
  ValueId b = g.add("Sigmoid", {a}, {}, "b");
  g.add_output(g.add("Add", {a, b}, {}, "c"));
  // {a, c} with b outside: a -> b -> c leaves the group and comes back.
  EXPECT_THAT(check_fusion_plan(g, FusionPlan{{{0, {0, 2}}, {1, {1}}}}),
              ElementsAre(HasSubstr("group 0 is not convex"),
                          "group 0 reads %b from the later group 1"));
  EXPECT_THAT(check_fusion_plan(g, FusionPlan{{{1, {1}}, {0, {0}}, {2, {2}}}}),
              ElementsAre("group 0 reads %a from the later group 1"));
  EXPECT_THAT(check_fusion_plan(g, FusionPlan{{{0, {0, 1}}, {1, {1, 2}}}}),
              ElementsAre("node 'b' is in groups 0 and 1"));
  EXPECT_THAT(check_fusion_plan(g, FusionPlan{{{0, {0, 1}}}}), ElementsAre("node 'c' is in no group"));
}

}  // namespace
}  // namespace nas::passes
