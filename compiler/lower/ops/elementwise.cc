// Lowerings of the elementwise ops of compiler/graph/ops/elementwise.cc.
#include "compiler/lower/compute_util.h"

namespace nas::lower {

using loop::Expr;

OpLowering lower_op_Add(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a + b; });
}

OpLowering lower_op_Mul(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a * b; });
}

OpLowering lower_op_Relu(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn {
    return [](const Expr& x) { return select(x > 0.0, x, f32(0)); };
  });
}

OpLowering lower_op_ReduceSumTo(const graph::OpDef&) {
  return not_lowered("ReduceSumTo belongs to training graphs (a gradient's sum); the compiler "
                     "lowers inference graphs only");
}

OpLowering lower_op_ReluGrad(const graph::OpDef& op) { return gradient_op_not_lowered(op); }

}  // namespace nas::lower
