// Tensor types and dense tensors of the graph IR.
//
// Shapes are static. f32 is the model type; i64 carries ONNX shape arithmetic and class
// labels; f64 exists only so the test harness can run reference kernels in double precision
// for finite-difference gradient checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas::graph {

enum class DType { F32, F64, I64 };

std::string_view dtype_name(DType dtype);  // "f32", "f64", "i64"
int64_t dtype_size(DType dtype);
bool is_float(DType dtype);

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[1,3,28,28]"
// Row-major strides of a contiguous tensor of this shape.
std::vector<int64_t> contiguous_strides(const Shape& shape);

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return graph::numel(shape); }
  std::string str() const;  // "f32[1,3,28,28]"
  bool operator==(const TensorType&) const = default;
};

// A dense, contiguous, row-major tensor that owns its data. Copies are deep.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(TensorType type);  // zero-filled
  Tensor(DType dtype, Shape shape) : Tensor(TensorType{dtype, std::move(shape)}) {}

  static Tensor f32(Shape shape, std::vector<float> values);
  static Tensor f64(Shape shape, std::vector<double> values);
  static Tensor i64(Shape shape, std::vector<int64_t> values);
  static Tensor scalar_f32(float value) { return f32({}, {value}); }

  const TensorType& type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  int64_t rank() const { return type_.rank(); }
  int64_t dim(int64_t axis) const { return type_.shape.at(axis); }
  int64_t numel() const { return type_.numel(); }
  int64_t nbytes() const { return static_cast<int64_t>(bytes_.size()); }

  // Typed access; checks that T matches dtype().
  template <class T> T* data();
  template <class T> const T* data() const;
  std::byte* raw() { return bytes_.data(); }
  const std::byte* raw() const { return bytes_.data(); }

  // Element i converted to double (any dtype); handy in tests and printers.
  double at(int64_t i) const;
  // Same data, converted to another float type (f32 <-> f64); i64 tensors are returned as is.
  Tensor cast(DType dtype) const;
  // Same data under another shape with the same element count.
  Tensor reshaped(Shape shape) const;

  bool operator==(const Tensor& other) const {
    return type_ == other.type_ && bytes_ == other.bytes_;
  }

 private:
  TensorType type_;
  std::vector<std::byte> bytes_;
};

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::I64; }

}  // namespace nas::graph
