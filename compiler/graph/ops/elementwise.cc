// Elementwise and broadcasting ops: activations, arithmetic, and their gradient ops.
#include "compiler/graph/ops/op_helpers.h"

namespace nas::graph {
using namespace ops;

// ---- Relu ------------------------------------------------------------------------------

namespace {
template <class T>
void relu_kernel(const KernelContext& c) {
  map_unary<T>(c, [](T x) { return x > T(0) ? x : T(0); });
}
template <class T>
void relu_grad_kernel(const KernelContext& c) {  // (dy, x) -> dx
  map_binary<T>(c, [](T dy, T x) { return x > T(0) ? dy : T(0); });
}
}  // namespace

OpDef make_op_Relu() {
  return OpDef{
      .name = "Relu",
      .doc = "max(x, 0)",
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(relu_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("ReluGrad", {g.dy(), g.x(0)})};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Relu", .since_opset = 6},
  };
}

OpDef make_op_ReluGrad() {
  return OpDef{
      .name = "ReluGrad",
      .doc = "dy where x > 0, else 0; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(relu_grad_kernel),
      .gradient_of = "Relu",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- Add, Mul --------------------------------------------------------------------------

namespace {
template <class T>
void add_kernel(const KernelContext& c) {
  map_binary<T>(c, [](T a, T b) { return a + b; });
}
template <class T>
void mul_kernel(const KernelContext& c) {
  map_binary<T>(c, [](T a, T b) { return a * b; });
}
}  // namespace

OpDef make_op_Add() {
  return OpDef{
      .name = "Add",
      .doc = "a + b with numpy broadcasting",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Broadcast,
      .infer = broadcast_binary,
      .kernel = NAS_FLOAT_KERNEL(add_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.unbroadcast(g.dy(), g.type(g.x(0)).shape),
                g.unbroadcast(g.dy(), g.type(g.x(1)).shape)};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Add", .since_opset = 7},
  };
}

OpDef make_op_Mul() {
  return OpDef{
      .name = "Mul",
      .doc = "a * b with numpy broadcasting",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Broadcast,
      .infer = broadcast_binary,
      .kernel = NAS_FLOAT_KERNEL(mul_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> grads(2, kNoValue);
        if (g.wants_grad(0))
          grads[0] = g.unbroadcast(g.add("Mul", {g.dy(), g.x(1)}), g.type(g.x(0)).shape);
        if (g.wants_grad(1))
          grads[1] = g.unbroadcast(g.add("Mul", {g.dy(), g.x(0)}), g.type(g.x(1)).shape);
        return grads;
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Mul", .since_opset = 7},
  };
}

// ---- ReduceSumTo: the gradient of broadcasting ------------------------------------------

namespace {
template <class T>
void reduce_sum_to_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  Tensor& y = c.out(0);
  const BroadcastIndex index(x.shape(), y.shape());
  const T* px = x.data<T>();
  T* py = y.data<T>();
  std::fill(py, py + y.numel(), T(0));
  for (int64_t i = 0; i < x.numel(); ++i) py[index(i)] += px[i];
}
}  // namespace

OpDef make_op_ReduceSumTo() {
  return OpDef{
      .name = "ReduceSumTo",
      .doc = "sums x over the axes where `shape` broadcasts to x's shape",
      .attrs = {{"shape", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_float(c, 0);
        const Shape& target = c.attrs().ints("shape");
        std::optional<Shape> b = broadcast_shapes(target, c.input(0).shape);
        if (!b || *b != c.input(0).shape)
          c.fail("shape {} does not broadcast to the input's {}", shape_str(target),
                 shape_str(c.input(0).shape));
        return {TensorType{c.input(0).dtype, target}};
      },
      .kernel = NAS_FLOAT_KERNEL(reduce_sum_to_kernel),
      // Broadcasts dy back by adding it to zeros of x's shape, so the harness can use
      // ReduceSumTo(shape=[]) as a loss.
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        const TensorType& x = g.type(g.x(0));
        ValueId zeros = g.graph.add_constant(g.graph.fresh_name(g.node.name + ".zeros"), Tensor(x));
        return {g.add("Add", {zeros, g.dy()})};
      },
      .flops = [](const InferContext& c) { return c.input(0).numel(); },
  };
}

}  // namespace nas::graph
