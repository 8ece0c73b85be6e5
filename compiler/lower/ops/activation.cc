// Lowerings of the activations and arithmetic of compiler/graph/ops/activation.cc, each
// writing the reference kernel's arithmetic in the same order, so results agree to the
// last bit where the reference's operations are the same f32 operations.
#include <numbers>

#include <fmt/format.h>

#include "compiler/loop/math.h"
#include "compiler/lower/compute_util.h"

namespace nas::lower {

using loop::Expr;

namespace {

UnaryFn identity(const graph::Node&) {
  return [](const Expr& x) { return x; };
}

}  // namespace

OpLowering lower_op_Clip(const graph::OpDef&) {
  return unary_op([](const graph::Node& node) -> UnaryFn {
    const float lo = node.attrs.f("min"), hi = node.attrs.f("max");
    return [lo, hi](const Expr& x) { return min(max(x, f32(lo)), f32(hi)); };
  });
}

OpLowering lower_op_HardSigmoid(const graph::OpDef&) {
  return unary_op([](const graph::Node& node) -> UnaryFn {
    const float alpha = node.attrs.f("alpha"), beta = node.attrs.f("beta");
    return [alpha, beta](const Expr& x) {
      return max(f32(0), min(f32(1), f32(alpha) * x + f32(beta)));
    };
  });
}

OpLowering lower_op_HardSwish(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn {
    return [](const Expr& x) { return x * max(f32(0), min(f32(1), x / f32(6) + f32(0.5))); };
  });
}

OpLowering lower_op_Sigmoid(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn { return loop::sigmoid; });
}

OpLowering lower_op_Tanh(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn { return loop::tanh; });
}

OpLowering lower_op_Erf(const graph::OpDef&) {
  return unary_op([](const graph::Node&) -> UnaryFn { return loop::erf; });
}

OpLowering lower_op_Sub(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a - b; });
}

OpLowering lower_op_Div(const graph::OpDef&) {
  return binary_op([](const Expr& a, const Expr& b) { return a / b; });
}

OpLowering lower_op_Identity(const graph::OpDef&) { return unary_op(identity); }

OpLowering lower_op_Dropout(const graph::OpDef&) {
  OpLowering lowering = unary_op(identity);
  lowering.refuses = [](const graph::Graph&, const graph::Node& node) -> std::optional<std::string> {
    if (node.attrs.i("training_mode") != 0 || node.outputs.size() != 1)
      return "Dropout in training mode is not compiled; inference Dropout is the identity";
    return std::nullopt;
  };
  return lowering;
}

// Only f32 tensors are lowered, so a Cast that passes lower_group's type check is f32 to f32.
OpLowering lower_op_Cast(const graph::OpDef&) { return unary_op(identity); }

// The gradient ops, (dy, x) or (dy, y), as their reference kernels write them.

OpLowering lower_op_ClipGrad(const graph::OpDef&) {
  return binary_op([](const graph::Node& node) -> BinaryFn {
    const float lo = node.attrs.f("min"), hi = node.attrs.f("max");
    return [lo, hi](const Expr& dy, const Expr& x) {
      return select(f32(lo) < x && x < f32(hi), dy, f32(0));
    };
  });
}

OpLowering lower_op_HardSigmoidGrad(const graph::OpDef&) {
  return binary_op([](const graph::Node& node) -> BinaryFn {
    const float alpha = node.attrs.f("alpha"), beta = node.attrs.f("beta");
    return [alpha, beta](const Expr& dy, const Expr& x) {
      const Expr v = f32(alpha) * x + f32(beta);
      return select(f32(0) < v && v < f32(1), f32(alpha) * dy, f32(0));
    };
  });
}

OpLowering lower_op_HardSwishGrad(const graph::OpDef&) {
  return binary_op([](const Expr& dy, const Expr& x) {
    const Expr v = x / f32(6) + f32(0.5);
    return select(v <= f32(0), f32(0), select(v >= f32(1), dy, dy * (x / f32(3) + f32(0.5))));
  });
}

OpLowering lower_op_SigmoidGrad(const graph::OpDef&) {
  return binary_op([](const Expr& dy, const Expr& y) { return dy * y * (f32(1) - y); });
}

OpLowering lower_op_TanhGrad(const graph::OpDef&) {
  return binary_op([](const Expr& dy, const Expr& y) { return dy * (f32(1) - y * y); });
}

OpLowering lower_op_ErfGrad(const graph::OpDef&) {
  return binary_op([](const Expr& dy, const Expr& x) {
    return dy * f32(2 * std::numbers::inv_sqrtpi) * exp(-(x * x));
  });
}

// Only built in training mode (inference Dropout's gradient is dy itself), where the mask
// is recomputed from (seed, element index) with a 64-bit integer hash.
OpLowering lower_op_DropoutGrad(const graph::OpDef& op) {
  return not_lowered(fmt::format(
      "{} is the gradient op of {}; its mask is no f32 input but a 64-bit integer hash "
      "(splitmix64) of the seed and the element index, which the loop IR does not express "
      "(it has no unsigned 64-bit arithmetic, xor or shifts)",
      op.name, op.gradient_of));
}

}  // namespace nas::lower
