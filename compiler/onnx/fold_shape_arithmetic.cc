#include "compiler/onnx/fold_shape_arithmetic.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include "compiler/support/error.h"

namespace nas::onnx_io {

using graph::DType;
using graph::Shape;
using graph::Tensor;

namespace {

// Values as long double, which holds every i64 exactly (torch writes INT64_MAX for "to
// the end"), every float and every double.
using Value = long double;
using Elementwise = std::function<Value(const std::vector<Value>&)>;

Value get_value(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::F32: return t.data<float>()[i];
    case DType::F64: return t.data<double>()[i];
    case DType::I64: return static_cast<Value>(t.data<int64_t>()[i]);
  }
  return 0;
}

void set_value(Tensor& t, int64_t i, Value v) {
  switch (t.dtype()) {
    case DType::F32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::F64: t.data<double>()[i] = static_cast<double>(v); break;
    case DType::I64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
  }
}

// Numpy broadcasting of the inputs' shapes.
Shape broadcast_shape(const std::vector<const Tensor*>& inputs, const std::string& at) {
  size_t rank = 0;
  for (const Tensor* t : inputs) rank = std::max(rank, t->shape().size());
  Shape out(rank, 1);
  for (const Tensor* t : inputs) {
    const Shape& s = t->shape();
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t& o = out[rank - s.size() + d];
      if (s[d] == o || s[d] == 1) continue;
      if (o != 1)
        user_error("{}: the shapes of the inputs do not broadcast ({})", at,
                   fmt::join([&] {
                     std::vector<std::string> v;
                     for (const Tensor* u : inputs) v.push_back(graph::shape_str(u->shape()));
                     return v;
                   }(), ", "));
      o = s[d];
    }
  }
  return out;
}

// out[i] = f(inputs at i), broadcast, as a tensor of `dtype`.
Tensor map_broadcast(const std::vector<const Tensor*>& inputs, DType dtype, const Elementwise& f,
                     const std::string& at) {
  const Shape shape = broadcast_shape(inputs, at);
  Tensor out(dtype, shape);
  const auto rank = static_cast<int64_t>(shape.size());
  std::vector<Value> args(inputs.size());
  std::vector<int64_t> coords(shape.size());
  for (int64_t i = 0; i < out.numel(); ++i) {
    for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
      coords[d] = rest % shape[d];
      rest /= shape[d];
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const Shape& s = inputs[k]->shape();
      const auto offset = rank - static_cast<int64_t>(s.size());
      int64_t index = 0, stride = 1;
      for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
        index += (s[d] == 1 ? 0 : coords[offset + d]) * stride;
        stride *= s[d];
      }
      args[k] = get_value(*inputs[k], index);
    }
    set_value(out, i, f(args));
  }
  return out;
}

// ScatterND without reduction: `data` with the slices that `indices` [.., k] name (in its
// first k axes) replaced by those of `updates` [.., rest of data's shape].
Tensor scatter_nd(const Tensor& data, const Tensor& indices, const Tensor& updates,
                  const std::string& at) {
  const Shape& ds = data.shape();
  const Shape& is = indices.shape();
  if (indices.dtype() != DType::I64 || is.empty() || is.back() > static_cast<int64_t>(ds.size()))
    user_error("{}: ScatterND's indices must be integers [.., k] with k <= {}, got {}", at,
               ds.size(), graph::shape_str(is));
  const auto k = static_cast<size_t>(is.back());
  int64_t slice = 1;
  for (size_t d = k; d < ds.size(); ++d) slice *= ds[d];
  const int64_t tuples = indices.numel() / static_cast<int64_t>(std::max<size_t>(k, 1));
  if (updates.numel() != tuples * slice || updates.dtype() != data.dtype())
    user_error("{}: ScatterND's updates {} do not match {} slices of {} elements", at,
               graph::shape_str(updates.shape()), tuples, slice);
  Tensor out = data;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = 0;
    for (size_t d = 0; d < k; ++d) {
      int64_t i = indices.data<int64_t>()[t * static_cast<int64_t>(k) + static_cast<int64_t>(d)];
      if (i < -ds[d] || i >= ds[d])
        user_error("{}: ScatterND index {} is out of range for axis {} of size {}", at, i, d,
                   ds[d]);
      offset = offset * ds[d] + (i < 0 ? i + ds[d] : i);
    }
    for (int64_t e = 0; e < slice; ++e)
      set_value(out, offset * slice + e, get_value(updates, t * slice + e));
  }
  return out;
}

int64_t int_attr(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

// ONNX's element type codes to ours; booleans and narrower integers read as i64.
std::optional<DType> cast_target(int64_t to) {
  switch (to) {
    case onnx::TensorProto::FLOAT: return DType::F32;
    case onnx::TensorProto::DOUBLE: return DType::F64;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: return DType::I64;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<std::vector<Tensor>> fold_shape_arithmetic(const onnx::NodeProto& node,
                                                         const std::vector<const Tensor*>& inputs,
                                                         bool registered, const std::string& at) {
  const std::string& op = node.op_type();
  const bool all_f32 = std::all_of(inputs.begin(), inputs.end(),
                                   [](const Tensor* t) { return t->dtype() == DType::F32; });
  // nas's Cast is f32 to f32 only: every other Cast of constants is folded here.
  if (inputs.empty() || (registered && all_f32 && op != "Cast")) return std::nullopt;
  // The type of an arithmetic result: the inputs' (ONNX requires them equal); Where's, its
  // values'.
  const DType same = inputs.back()->dtype();
  const bool integer = same == DType::I64;
  using A = const std::vector<Value>&;
  static const std::map<std::string, std::function<Value(A)>> kBinary = {
      {"Add", [](A a) { return a[0] + a[1]; }},
      {"Sub", [](A a) { return a[0] - a[1]; }},
      {"Mul", [](A a) { return a[0] * a[1]; }},
  };
  std::vector<Tensor> out;
  if (auto it = kBinary.find(op); it != kBinary.end() && inputs.size() == 2) {
    out.push_back(map_broadcast(inputs, same, it->second, at));
  } else if (op == "Div" && inputs.size() == 2) {
    out.push_back(map_broadcast(inputs, same, [&](A a) {
      if (!integer) return a[0] / a[1];
      if (a[1] == 0) user_error("{}: integer division by zero", at);
      return std::trunc(a[0] / a[1]);  // C's integer division, as ONNX's
    }, at));
  } else if (op == "Mod" && inputs.size() == 2) {
    const bool fmod = int_attr(node, "fmod", 0) != 0;
    if (!fmod && !integer)
      user_error("{}: Mod of floats needs fmod = 1 (the ONNX rule)", at);
    out.push_back(map_broadcast(inputs, same, [&](A a) {
      if (integer && a[1] == 0) user_error("{}: integer modulo by zero", at);
      const Value r = std::fmod(a[0], a[1]);
      // fmod = 0: the sign of the divisor (Python's %).
      return !fmod && r != 0 && (r < 0) != (a[1] < 0) ? r + a[1] : r;
    }, at));
  } else if ((op == "Min" || op == "Max") && !inputs.empty()) {
    const bool is_min = op == "Min";
    out.push_back(map_broadcast(inputs, same, [is_min](A a) {
      return is_min ? *std::min_element(a.begin(), a.end()) : *std::max_element(a.begin(), a.end());
    }, at));
  } else if ((op == "Equal" || op == "Less" || op == "Greater") && inputs.size() == 2) {
    out.push_back(map_broadcast(inputs, DType::I64, [&](A a) {
      return Value(op == "Equal" ? a[0] == a[1] : op == "Less" ? a[0] < a[1] : a[0] > a[1]);
    }, at));
  } else if (op == "Expand" && inputs.size() == 2) {
    // A constant broadcast to a shape (ViT's class token, expanded to the batch).
    if (inputs[1]->dtype() != DType::I64 || inputs[1]->shape().size() != 1)
      user_error("{}: Expand's shape must be a 1-D integer tensor, got {}", at,
                 graph::shape_str(inputs[1]->shape()));
    Shape target;
    for (int64_t i = 0; i < inputs[1]->numel(); ++i) {
      target.push_back(inputs[1]->data<int64_t>()[i]);
      if (target.back() < 0) user_error("{}: Expand to a negative extent {}", at, target.back());
    }
    const Tensor shape_of_target(DType::I64, target);
    out.push_back(map_broadcast({inputs[0], &shape_of_target}, inputs[0]->dtype(),
                                [](A a) { return a[0]; }, at));
  } else if (op == "Pow" && inputs.size() == 2) {
    // Swin's attention scale, a head's width to the power -0.5.
    out.push_back(map_broadcast(
        inputs, inputs[0]->dtype(), [](A a) { return std::pow(a[0], a[1]); }, at));
  } else if (op == "Range" && inputs.size() == 3) {
    // start, start + delta, ... up to limit (Swin's window masks and position indices).
    for (const Tensor* t : inputs)
      if (t->numel() != 1)
        user_error("{}: Range takes scalars, got {}", at, graph::shape_str(t->shape()));
    const Value start = get_value(*inputs[0], 0), limit = get_value(*inputs[1], 0),
                delta = get_value(*inputs[2], 0);
    if (delta == 0) user_error("{}: Range with a delta of 0", at);
    const auto count = static_cast<int64_t>(std::max<Value>(0, std::ceil((limit - start) / delta)));
    Tensor range(inputs[0]->dtype(), {count});
    for (int64_t i = 0; i < count; ++i) set_value(range, i, start + static_cast<Value>(i) * delta);
    out.push_back(std::move(range));
  } else if (op == "ScatterND" && inputs.size() == 3) {
    out.push_back(scatter_nd(*inputs[0], *inputs[1], *inputs[2], at));
  } else if (op == "Where" && inputs.size() == 3) {
    out.push_back(map_broadcast(inputs, same, [](A a) { return a[0] != 0 ? a[1] : a[2]; }, at));
  } else if (inputs.size() == 1 && (op == "Neg" || op == "Abs" || op == "Floor" || op == "Ceil" ||
                                    op == "Sqrt" || op == "Not" || op == "Cast")) {
    DType dtype = same;
    if (op == "Cast") {
      const int64_t to = int_attr(node, "to", 0);
      const std::optional<DType> target = cast_target(to);
      if (!target)
        user_error("{}: Cast to {} is not supported (float, double and integer types are)", at,
                   onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(to)));
      dtype = *target;
      // Float to integer truncates; to bool is nonzero.
      const bool to_bool = to == onnx::TensorProto::BOOL;
      out.push_back(map_broadcast(inputs, dtype, [to_bool](A a) {
        return to_bool ? Value(a[0] != 0) : a[0];
      }, at));
    } else {
      out.push_back(map_broadcast(inputs, dtype, [&](A a) {
        if (op == "Neg") return -a[0];
        if (op == "Abs") return std::fabs(a[0]);
        if (op == "Floor") return std::floor(a[0]);
        if (op == "Ceil") return std::ceil(a[0]);
        if (op == "Sqrt") return std::sqrt(a[0]);  // attention's scale, from a head's width
        return Value(a[0] == 0);  // Not
      }, at));
    }
  } else {
    return std::nullopt;
  }
  return out;
}

}  // namespace nas::onnx_io
