// Lowering of BatchNormalization (compiler/graph/ops/norm.cc) in inference mode, per
// channel (axis 1), inlined into its readers. (The graph passes fold it into a preceding
// convolution where there is one.)
#include "compiler/lower/compute_util.h"

namespace nas::lower {

using loop::Expr;

namespace {

NodeCompute batch_norm(const ComputeContext& c) {
  const float eps = c.attrs().f("epsilon");
  const Accessor x = c.in(0), scale = c.in(1), bias = c.in(2), mean = c.in(3), var = c.in(4);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    const Indices ch{idx[1]};
    return scale(ch) * (x(idx) - mean(ch)) / sqrt(var(ch) + f32(eps)) + bias(ch);
  }}};
}

}  // namespace

OpLowering lower_op_BatchNormalization(const graph::OpDef&) {
  return OpLowering{
      .compute = batch_norm,
      .refuses = [](const graph::Node& node) -> std::optional<std::string> {
        if (node.attrs.i("training_mode") != 0 || node.outputs.size() != 1)
          return "BatchNormalization in training mode (batch statistics, running averages) is "
                 "not compiled; export the model in inference mode";
        return std::nullopt;
      },
      .family = always(ScheduleFamily::Injective),
  };
}

OpLowering lower_op_BatchNormInferenceGrad(const graph::OpDef& op) {
  return gradient_op_not_lowered(op);
}
OpLowering lower_op_BatchNormTrainingGrad(const graph::OpDef& op) {
  return gradient_op_not_lowered(op);
}

}  // namespace nas::lower
