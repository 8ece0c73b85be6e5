// Every op the compiler lowers, compiled on the op harness's own cases (tests/graph/cases/)
// and run in the interpreter against the reference executor, under the naive nest, the
// default schedules and a random schedule: an op added with its cases and its lowering is
// checked compiled without a test of its own. Cases whose graph holds other values than f32
// or nodes that are not lowered (an attribute the op refuses) are passed over, but every
// lowered op must have a case that runs.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "compiler/graph/op_registry.h"
#include "compiler/lower/op_lowering.h"
#include "tests/graph/op_cases.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

// Whether the compiler lowers every node and value of `g`.
bool lowers_all_of(const graph::Graph& g) {
  for (const graph::Node& node : g.nodes()) {
    if (unsupported_reason(g, node)) return false;
    const std::vector<size_t>& i64_inputs = op_lowering(*node.op).i64_inputs;
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (node.inputs[i] != graph::kNoValue && g.type(node.inputs[i]).dtype != graph::DType::F32 &&
          std::ranges::count(i64_inputs, i) == 0)
        return false;
    for (graph::ValueId v : node.outputs)
      if (g.type(v).dtype != graph::DType::F32) return false;
  }
  return true;
}

TEST(LowerOpCases, EveryLoweredOpAgreesWithTheReferenceOnItsCases) {
  std::map<std::string, int> checked;
  for (const nas::testing::OpCase& c : nas::testing::op_cases()) {
    if (!op_lowering(graph::OpRegistry::instance().get(c.op)).lowered()) continue;
    nas::testing::Rng rng(11);
    graph::Graph g("case");
    std::vector<graph::Tensor> inputs;
    c.build(rng, g, inputs);
    if (!lowers_all_of(g)) continue;
    const passes::FusionPlan plan = passes::plan_fusion(g);
    for (const testing::ScheduleCase& sc : testing::schedules_to_check(1)) {
      SCOPED_TRACE(c.name + ", " + sc.label);
      testing::check_plan_on(g, plan, sc.options, inputs, sc.target);
    }
    ++checked[c.op];
  }
  for (const graph::OpDef* op : graph::OpRegistry::instance().ops())
    if (op_lowering(*op).lowered()) {
      EXPECT_GT(checked[op->name], 0) << op->name << " is lowered but none of its cases ran compiled";
    }
}

}  // namespace
}  // namespace nas::lower
