#include "compiler/graph/tensor.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::graph {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::I64: return "i64";
  }
  return "?";
}

int64_t dtype_size(DType dtype) { return dtype == DType::F32 ? 4 : 8; }
bool is_float(DType dtype) { return dtype != DType::I64; }

int64_t numel(const Shape& shape) {
  // A zero dimension first: the product of the others may not fit (a file's claim).
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string TensorType::str() const {
  return fmt::format("{}{}", dtype_name(dtype), shape_str(shape));
}

Tensor::Tensor(TensorType type) : type_(std::move(type)) {
  for (int64_t d : type_.shape) NAS_CHECK(d >= 0, "negative dimension in {}", type_.str());
  bytes_.assign(static_cast<size_t>(type_.numel() * dtype_size(type_.dtype)), std::byte{0});
}

namespace {
template <class T>
Tensor make(Shape shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  NAS_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "{} values for {}", values.size(),
            t.type().str());
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
  return t;
}
}  // namespace

Tensor Tensor::f32(Shape shape, std::vector<float> values) { return make(std::move(shape), values); }
Tensor Tensor::f64(Shape shape, std::vector<double> values) { return make(std::move(shape), values); }
Tensor Tensor::i64(Shape shape, std::vector<int64_t> values) { return make(std::move(shape), values); }

template <class T>
T* Tensor::data() {
  NAS_CHECK(type_.dtype == dtype_of<T>(), "tensor is {}", type_.str());
  return reinterpret_cast<T*>(bytes_.data());
}
template <class T>
const T* Tensor::data() const {
  NAS_CHECK(type_.dtype == dtype_of<T>(), "tensor is {}", type_.str());
  return reinterpret_cast<const T*>(bytes_.data());
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template int64_t* Tensor::data<int64_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const int64_t* Tensor::data<int64_t>() const;

double Tensor::at(int64_t i) const {
  NAS_CHECK(i >= 0 && i < numel(), "index {} out of {}", i, type_.str());
  switch (type_.dtype) {
    case DType::F32: return data<float>()[i];
    case DType::F64: return data<double>()[i];
    case DType::I64: return static_cast<double>(data<int64_t>()[i]);
  }
  return 0;
}

Tensor Tensor::cast(DType dtype) const {
  if (dtype == type_.dtype || type_.dtype == DType::I64) return *this;
  NAS_CHECK(dtype != DType::I64, "float to int cast is not a tensor conversion");
  Tensor out(dtype, type_.shape);
  const int64_t n = numel();
  if (dtype == DType::F64) {
    for (int64_t i = 0; i < n; ++i) out.data<double>()[i] = data<float>()[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out.data<float>()[i] = static_cast<float>(data<double>()[i]);
  }
  return out;
}

Tensor Tensor::reshaped(Shape shape) const {
  NAS_CHECK(graph::numel(shape) == numel(), "reshape {} to {}", type_.str(), shape_str(shape));
  Tensor out = *this;
  out.type_.shape = std::move(shape);
  return out;
}

}  // namespace nas::graph
