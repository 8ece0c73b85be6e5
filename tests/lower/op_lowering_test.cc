// The op as the one place: every op of the registry has a complete lowering (a compute
// definition and a schedule family, or the reason it is not lowered), and the checks that
// guard a new op fire when a part of it is missing.
#include "compiler/lower/op_lowering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/lower/compute_util.h"

namespace nas::lower {
namespace {

using graph::OpDef;
using graph::OpRegistry;
using testing::ElementsAre;
using testing::HasSubstr;

TEST(OpLowering, EveryOpIsLoweredOrSaysWhyNot) {
  for (const OpDef* op : OpRegistry::instance().ops()) {
    SCOPED_TRACE(op->name);
    const OpLowering& lowering = op_lowering(*op);
    EXPECT_THAT(check_op_lowering(*op, lowering), ElementsAre());
    EXPECT_NE(lowering.lowered(), !lowering.not_lowered.empty());
    // A gradient op not lowered yet names its forward op in the reason.
    if (!op->gradient_of.empty() && !lowering.lowered()) {
      EXPECT_THAT(lowering.not_lowered, HasSubstr(op->gradient_of));
    }
  }
}

TEST(OpLowering, IdsFollowTheOpList) {
  const OpRegistry& registry = OpRegistry::instance();
  EXPECT_EQ(registry.ops().size(), graph::kOpCount);
  EXPECT_EQ(registry.get(graph::OpId::Conv).name, "Conv");
  EXPECT_EQ(registry.get(graph::OpId::SliceGrad).name, "SliceGrad");
  for (const OpDef* op : registry.ops()) EXPECT_EQ(&registry.get(op->id), op);
}

// A throwaway op, complete on the graph's side.
OpDef throwaway_op() {
  return OpDef{
      .name = "Throwaway",
      .doc = "x",
      .fusion = graph::FusionClass::Elementwise,
      .infer = graph::ops::same_as_input0,
      .kernel = [](const graph::KernelContext&) {},
      .not_differentiable = "a test op",
  };
}

TEST(OpLowering, ATestRegistryRefusesAnIncompleteOp) {
  EXPECT_EQ(OpRegistry({throwaway_op()}).ops().size(), 1u);
  OpDef no_kernel = throwaway_op();
  no_kernel.kernel = nullptr;
  no_kernel.not_differentiable.clear();
  EXPECT_THAT(graph::check_op_def(no_kernel),
              ElementsAre("op Throwaway has no reference kernel",
                          "op Throwaway has neither a gradient nor a reason why not"));
  try {
    OpRegistry registry({no_kernel});
    ADD_FAILURE() << "an op without a kernel was registered";
  } catch (const InternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("op Throwaway has no reference kernel"));
  }
}

TEST(OpLowering, ChecksFireWhenAPartIsMissing) {
  const OpDef op = throwaway_op();
  const ComputeFn compute = [](const ComputeContext&) { return NodeCompute{}; };
  EXPECT_THAT(check_op_lowering(op, OpLowering{}),
              ElementsAre("op Throwaway's lowering has neither a compute definition nor a "
                          "reason why not"));
  EXPECT_THAT(check_op_lowering(op, OpLowering{.compute = compute}),
              ElementsAre("op Throwaway's lowering has no schedule family"));
  EXPECT_THAT(check_op_lowering(op, OpLowering{.compute = compute,
                                               .not_lowered = "never",
                                               .family = always(ScheduleFamily::Injective)}),
              ElementsAre("op Throwaway's lowering has both a compute definition and a reason "
                          "why it is not lowered"));
  EXPECT_THAT(check_op_lowering(
                  op, OpLowering{.compute = compute, .family = always(ScheduleFamily::Injective)}),
              ElementsAre());
  EXPECT_THAT(check_op_lowering(op, not_lowered("a test op")), ElementsAre());
}

TEST(OpLowering, FamiliesHaveNames) {
  EXPECT_EQ(schedule_family_name(ScheduleFamily::DepthwiseConv2d), "depthwise_conv2d");
  EXPECT_EQ(schedule_family_name(ScheduleFamily::Injective), "injective");
}

}  // namespace
}  // namespace nas::lower
