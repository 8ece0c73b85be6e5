// Activations (Clip, HardSigmoid, HardSwish, Sigmoid, Tanh, Erf), the remaining arithmetic
// (Sub, Div), and value-preserving ops (Identity, Dropout, Cast), with their gradient ops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <optional>
#include <type_traits>

#include "compiler/graph/ops/op_helpers.h"

namespace nas::graph {
using namespace ops;

namespace {

// -value, as the node 0 - value (there is no Neg op yet).
ValueId negate(GradContext& g, ValueId value) {
  const Tensor zero(TensorType{g.type(value).dtype, {}});
  const ValueId z = g.graph.add_constant(g.graph.fresh_name(g.node.name + ".zero"), zero);
  return g.add("Sub", {z, value});
}

// Copies input 0 to output 0 unchanged (any dtype; the executor allocates the output with
// the input's compute type).
void copy_kernel(const KernelContext& c) {
  NAS_CHECK(c.in(0).type() == c.out(0).type(), "{}: copy between {} and {}", c.node.name,
            c.in(0).type().str(), c.out(0).type().str());
  std::memcpy(c.out(0).raw(), c.in(0).raw(), static_cast<size_t>(c.in(0).nbytes()));
}

}  // namespace

// ---- Clip ------------------------------------------------------------------------------

namespace {
// ONNX's defaults: no bound.
constexpr float kNoLowerBound = std::numeric_limits<float>::lowest();
constexpr float kNoUpperBound = std::numeric_limits<float>::max();

std::vector<AttrSpec> clip_attrs() {
  return {{"min", AttrKind::Float, kNoLowerBound}, {"max", AttrKind::Float, kNoUpperBound}};
}

// min(max(x, lo), hi): when min > max every element becomes max, as ONNX specifies.
template <class T>
void clip_kernel(const KernelContext& c) {
  const T lo = static_cast<T>(c.attrs().f("min")), hi = static_cast<T>(c.attrs().f("max"));
  map_unary<T>(c, [&](T x) { return std::min(std::max(x, lo), hi); });
}
template <class T>
void clip_grad_kernel(const KernelContext& c) {  // (dy, x) -> dx
  const T lo = static_cast<T>(c.attrs().f("min")), hi = static_cast<T>(c.attrs().f("max"));
  map_binary<T>(c, [&](T dy, T x) { return lo < x && x < hi ? dy : T(0); });
}
}  // namespace

OpDef make_op_Clip() {
  return OpDef{
      .name = "Clip",
      .doc = "min(max(x, min), max); Relu6 is Clip(min=0, max=6)",
      .attrs = clip_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(clip_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("ClipGrad", {g.dy(), g.x(0)}, g.node.attrs)};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Clip",
               .since_opset = 11,
               .attr_inputs = {{"min", 1, 11, DType::F32}, {"max", 2, 11, DType::F32}}},
  };
}

OpDef make_op_ClipGrad() {
  return OpDef{
      .name = "ClipGrad",
      .doc = "dy where min < x < max, else 0; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = clip_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(clip_grad_kernel),
      .gradient_of = "Clip",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- HardSigmoid -----------------------------------------------------------------------

namespace {
std::vector<AttrSpec> hard_sigmoid_attrs() {
  return {{"alpha", AttrKind::Float, 0.2f}, {"beta", AttrKind::Float, 0.5f}};
}

template <class T>
void hard_sigmoid_kernel(const KernelContext& c) {
  const T alpha = static_cast<T>(c.attrs().f("alpha")), beta = static_cast<T>(c.attrs().f("beta"));
  map_unary<T>(c, [&](T x) { return std::max(T(0), std::min(T(1), alpha * x + beta)); });
}
template <class T>
void hard_sigmoid_grad_kernel(const KernelContext& c) {  // (dy, x) -> dx
  const T alpha = static_cast<T>(c.attrs().f("alpha")), beta = static_cast<T>(c.attrs().f("beta"));
  map_binary<T>(c, [&](T dy, T x) {
    const T v = alpha * x + beta;
    return T(0) < v && v < T(1) ? alpha * dy : T(0);
  });
}
}  // namespace

OpDef make_op_HardSigmoid() {
  return OpDef{
      .name = "HardSigmoid",
      .doc = "max(0, min(1, alpha * x + beta))",
      .attrs = hard_sigmoid_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(hard_sigmoid_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("HardSigmoidGrad", {g.dy(), g.x(0)}, g.node.attrs)};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "HardSigmoid", .since_opset = 6},
  };
}

OpDef make_op_HardSigmoidGrad() {
  return OpDef{
      .name = "HardSigmoidGrad",
      .doc = "alpha * dy where 0 < alpha * x + beta < 1, else 0; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = hard_sigmoid_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(hard_sigmoid_grad_kernel),
      .gradient_of = "HardSigmoid",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- HardSwish -------------------------------------------------------------------------

namespace {
template <class T>
void hard_swish_kernel(const KernelContext& c) {
  map_unary<T>(c, [](T x) { return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5))); });
}
// d/dx [x * (x/6 + 1/2)] = x/3 + 1/2 on -3 < x < 3; 0 below, 1 above.
template <class T>
void hard_swish_grad_kernel(const KernelContext& c) {  // (dy, x) -> dx
  map_binary<T>(c, [](T dy, T x) {
    const T v = x / T(6) + T(0.5);
    if (v <= T(0)) return T(0);
    if (v >= T(1)) return dy;
    return dy * (x / T(3) + T(0.5));
  });
}
}  // namespace

OpDef make_op_HardSwish() {
  return OpDef{
      .name = "HardSwish",
      .doc = "x * max(0, min(1, x / 6 + 0.5))",
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(hard_swish_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("HardSwishGrad", {g.dy(), g.x(0)})};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "HardSwish", .since_opset = 14},
  };
}

OpDef make_op_HardSwishGrad() {
  return OpDef{
      .name = "HardSwishGrad",
      .doc = "dy * d HardSwish(x) / dx; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(hard_swish_grad_kernel),
      .gradient_of = "HardSwish",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- Sigmoid ---------------------------------------------------------------------------

namespace {
// Written so that exp never overflows.
template <class T>
void sigmoid_kernel(const KernelContext& c) {
  map_unary<T>(c, [](T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  });
}
template <class T>
void sigmoid_grad_kernel(const KernelContext& c) {  // (dy, y) -> dx
  map_binary<T>(c, [](T dy, T y) { return dy * y * (T(1) - y); });
}
}  // namespace

OpDef make_op_Sigmoid() {
  return OpDef{
      .name = "Sigmoid",
      .doc = "1 / (1 + exp(-x))",
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(sigmoid_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("SigmoidGrad", {g.dy(), g.y(0)})};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Sigmoid", .since_opset = 6},
  };
}

OpDef make_op_SigmoidGrad() {
  return OpDef{
      .name = "SigmoidGrad",
      .doc = "dy * y * (1 - y) from Sigmoid's output y; inputs (dy, y)",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(sigmoid_grad_kernel),
      .gradient_of = "Sigmoid",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- Tanh ------------------------------------------------------------------------------

namespace {
template <class T>
void tanh_kernel(const KernelContext& c) {
  map_unary<T>(c, [](T x) { return std::tanh(x); });
}
template <class T>
void tanh_grad_kernel(const KernelContext& c) {  // (dy, y) -> dx
  map_binary<T>(c, [](T dy, T y) { return dy * (T(1) - y * y); });
}
}  // namespace

OpDef make_op_Tanh() {
  return OpDef{
      .name = "Tanh",
      .doc = "tanh(x)",
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(tanh_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("TanhGrad", {g.dy(), g.y(0)})};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Tanh", .since_opset = 6},
  };
}

OpDef make_op_TanhGrad() {
  return OpDef{
      .name = "TanhGrad",
      .doc = "dy * (1 - y^2) from Tanh's output y; inputs (dy, y)",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(tanh_grad_kernel),
      .gradient_of = "Tanh",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- Erf -------------------------------------------------------------------------------

namespace {
template <class T>
void erf_kernel(const KernelContext& c) {
  map_unary<T>(c, [](T x) { return std::erf(x); });
}
template <class T>
void erf_grad_kernel(const KernelContext& c) {  // (dy, x) -> dx
  map_binary<T>(c, [](T dy, T x) { return dy * T(2 * std::numbers::inv_sqrtpi) * std::exp(-x * x); });
}
}  // namespace

// GELU as torch exports it before opset 20: x * 0.5 * (1 + erf(x / sqrt(2))).
OpDef make_op_Erf() {
  return OpDef{
      .name = "Erf",
      .doc = "the error function erf(x)",
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(erf_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("ErfGrad", {g.dy(), g.x(0)})};
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Erf", .since_opset = 9},
  };
}

OpDef make_op_ErfGrad() {
  return OpDef{
      .name = "ErfGrad",
      .doc = "dy * 2 / sqrt(pi) * exp(-x^2) from Erf's input x; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Elementwise,
      .infer = same_as_input0,
      .kernel = NAS_FLOAT_KERNEL(erf_grad_kernel),
      .gradient_of = "Erf",
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
  };
}

// ---- Sub, Div --------------------------------------------------------------------------

namespace {
template <class T>
void sub_kernel(const KernelContext& c) {
  map_binary<T>(c, [](T a, T b) { return a - b; });
}
template <class T>
void div_kernel(const KernelContext& c) {
  map_binary<T>(c, [](T a, T b) { return a / b; });
}
}  // namespace

OpDef make_op_Sub() {
  return OpDef{
      .name = "Sub",
      .doc = "a - b with numpy broadcasting",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Broadcast,
      .infer = broadcast_binary,
      .kernel = NAS_FLOAT_KERNEL(sub_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> grads(2, kNoValue);
        if (g.wants_grad(0)) grads[0] = g.unbroadcast(g.dy(), g.type(g.x(0)).shape);
        if (g.wants_grad(1)) grads[1] = negate(g, g.unbroadcast(g.dy(), g.type(g.x(1)).shape));
        return grads;
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Sub", .since_opset = 7},
  };
}

OpDef make_op_Div() {
  return OpDef{
      .name = "Div",
      .doc = "a / b with numpy broadcasting",
      .min_inputs = 2,
      .max_inputs = 2,
      .fusion = FusionClass::Broadcast,
      .infer = broadcast_binary,
      .kernel = NAS_FLOAT_KERNEL(div_kernel),
      // da = dy / b; db = -dy * a / b^2 = -(dy / b) * y.
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> grads(2, kNoValue);
        const ValueId dy_over_b = g.add("Div", {g.dy(), g.x(1)});
        if (g.wants_grad(0)) grads[0] = g.unbroadcast(dy_over_b, g.type(g.x(0)).shape);
        if (g.wants_grad(1)) {
          const ValueId db = g.unbroadcast(g.add("Mul", {dy_over_b, g.y(0)}), g.type(g.x(1)).shape);
          grads[1] = negate(g, db);
        }
        return grads;
      },
      .flops = [](const InferContext& c) { return elementwise_flops(c); },
      .onnx = {.op_type = "Div", .since_opset = 7},
  };
}

// ---- Identity --------------------------------------------------------------------------

OpDef make_op_Identity() {
  return OpDef{
      .name = "Identity",
      .doc = "x unchanged (any type)",
      .fusion = FusionClass::Elementwise,
      .infer = [](const InferContext& c) -> std::vector<TensorType> { return {c.input(0)}; },
      .kernel = copy_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> { return {g.dy()}; },
      .onnx = {.op_type = "Identity", .since_opset = 13},
  };
}

// ---- Dropout ---------------------------------------------------------------------------
//
// In training mode the mask is a fixed function of (seed, element index), so a graph's
// result is deterministic and DropoutGrad recomputes exactly the forward mask. The mask
// differs from ONNX Runtime's, which draws from its own generator.

namespace {
std::vector<AttrSpec> dropout_attrs() {
  return {{"ratio", AttrKind::Float, 0.5f},
          {"training_mode", AttrKind::Int, int64_t{0}},
          {"seed", AttrKind::Int, int64_t{0}}};
}

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Element i is kept when its uniform draw in [0, 1) is at least `ratio`.
bool dropout_keeps(int64_t seed, int64_t i, float ratio) {
  const uint64_t h = splitmix64(splitmix64(static_cast<uint64_t>(seed)) ^ static_cast<uint64_t>(i));
  const double uniform = static_cast<double>(h >> 11) * 0x1.0p-53;
  return uniform >= static_cast<double>(ratio);
}

std::vector<TensorType> dropout_infer(const InferContext& c) {
  const float ratio = c.attrs().f("ratio");
  if (!(ratio >= 0.0f && ratio < 1.0f)) c.fail("ratio must be in [0, 1), got {}", ratio);
  const int64_t training_mode = c.attrs().i("training_mode");
  if (training_mode != 0 && training_mode != 1)
    c.fail("training_mode must be 0 or 1, got {}", training_mode);
  return same_as_input0(c);
}

// Dropout and DropoutGrad are the same map: x * mask / (1 - ratio) in training mode.
template <class T>
void dropout_kernel(const KernelContext& c) {
  if (c.attrs().i("training_mode") == 0) return copy_kernel(c);
  const float ratio = c.attrs().f("ratio");
  const int64_t seed = c.attrs().i("seed");
  const T scale = T(1) / (T(1) - static_cast<T>(ratio));
  const T* x = c.in(0).data<T>();
  T* y = c.out(0).data<T>();
  for (int64_t i = 0; i < c.out(0).numel(); ++i)
    y[i] = dropout_keeps(seed, i, ratio) ? x[i] * scale : T(0);
}

int64_t dropout_flops(const InferContext& c) {
  return c.attrs().i("training_mode") != 0 ? elementwise_flops(c) : 0;
}
}  // namespace

OpDef make_op_Dropout() {
  return OpDef{
      .name = "Dropout",
      .doc = "identity, or in training mode x * mask / (1 - ratio) with a mask hashed from seed",
      .attrs = dropout_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = dropout_infer,
      .kernel = NAS_FLOAT_KERNEL(dropout_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        if (g.node.attrs.i("training_mode") == 0) return {g.dy()};
        return {g.add("DropoutGrad", {g.dy()}, g.node.attrs)};
      },
      .flops = dropout_flops,
      // ONNX's training_mode input is a bool tensor; the ONNX layer converts it to and from
      // our int attribute.
      .onnx = {.op_type = "Dropout",
               .since_opset = 13,
               .attr_inputs = {{"ratio", 1, 12, DType::F32}, {"training_mode", 2, 12, DType::I64}}},
  };
}

OpDef make_op_DropoutGrad() {
  return OpDef{
      .name = "DropoutGrad",
      .doc = "dy * mask / (1 - ratio) with Dropout's mask for the same attributes; input dy",
      .attrs = dropout_attrs(),
      .fusion = FusionClass::Elementwise,
      .infer = dropout_infer,
      .kernel = NAS_FLOAT_KERNEL(dropout_kernel),
      .gradient_of = "Dropout",
      .flops = dropout_flops,
  };
}

// ---- Cast ------------------------------------------------------------------------------

namespace {
// ONNX TensorProto.DataType values of the types we support.
constexpr int64_t kOnnxFloat = 1, kOnnxInt64 = 7, kOnnxDouble = 11;

std::optional<DType> dtype_from_onnx(int64_t to) {
  switch (to) {
    case kOnnxFloat: return DType::F32;
    case kOnnxInt64: return DType::I64;
    case kOnnxDouble: return DType::F64;
    default: return std::nullopt;
  }
}

int64_t onnx_from_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32: return kOnnxFloat;
    case DType::I64: return kOnnxInt64;
    case DType::F64: return kOnnxDouble;
  }
  NAS_CHECK(false, "unknown dtype");
  return 0;
}

template <class To, class From>
To convert(From v) {
  if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // Truncates toward zero like ONNX; NaN and out-of-range values, which ONNX leaves
    // undefined, saturate (NaN to 0) so the kernel has no undefined behaviour.
    if (std::isnan(v)) return 0;
    if (v <= static_cast<From>(std::numeric_limits<To>::lowest()))
      return std::numeric_limits<To>::lowest();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
  }
  return static_cast<To>(v);
}

template <class From, class To>
void convert_all(const Tensor& in, Tensor& out) {
  const From* x = in.data<From>();
  To* y = out.data<To>();
  for (int64_t i = 0; i < out.numel(); ++i) y[i] = convert<To>(x[i]);
}

template <class From>
void convert_from(const Tensor& in, Tensor& out) {
  // The output's own dtype: in f64 checking mode a Cast to FLOAT writes doubles.
  switch (out.dtype()) {
    case DType::F32: return convert_all<From, float>(in, out);
    case DType::F64: return convert_all<From, double>(in, out);
    case DType::I64: return convert_all<From, int64_t>(in, out);
  }
}

void cast_kernel(const KernelContext& c) {
  switch (c.in(0).dtype()) {
    case DType::F32: return convert_from<float>(c.in(0), c.out(0));
    case DType::F64: return convert_from<double>(c.in(0), c.out(0));
    case DType::I64: return convert_from<int64_t>(c.in(0), c.out(0));
  }
}
}  // namespace

OpDef make_op_Cast() {
  return OpDef{
      .name = "Cast",
      .doc = "converts to the type `to` (ONNX enum: 1 f32, 7 i64, 11 f64); float to int truncates",
      .attrs = {{"to", AttrKind::Int, std::nullopt}},
      .fusion = FusionClass::Elementwise,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const int64_t to = c.attrs().i("to");
        const std::optional<DType> dtype = dtype_from_onnx(to);
        if (!dtype)
          c.fail("to={} is not a supported type; supported: {} (FLOAT), {} (INT64), {} (DOUBLE)",
                 to, kOnnxFloat, kOnnxInt64, kOnnxDouble);
        return {TensorType{*dtype, c.input(0).shape}};
      },
      .kernel = cast_kernel,
      // Between float types the gradient casts dy back; through an integer type there is
      // no gradient (the result is piecewise constant in the input).
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        const DType from = g.type(g.x(0)).dtype, to = g.type(g.y(0)).dtype;
        if (!is_float(from) || !is_float(to)) return {kNoValue};
        if (from == to) return {g.dy()};
        return {g.add("Cast", {g.dy()}, {{"to", onnx_from_dtype(from)}})};
      },
      .onnx = {.op_type = "Cast", .since_opset = 13},
  };
}

}  // namespace nas::graph
