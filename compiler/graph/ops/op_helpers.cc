#include "compiler/graph/ops/op_helpers.h"

namespace nas::graph::ops {

BroadcastIndex::BroadcastIndex(const Shape& out, const Shape& in) : out_dims_(out) {
  const size_t rank = out.size();
  NAS_CHECK(in.size() <= rank, "cannot broadcast {} to {}", shape_str(in), shape_str(out));
  const std::vector<int64_t> strides = contiguous_strides(in);
  in_strides_.assign(rank, 0);
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t axis = rank - in.size() + i;
    NAS_CHECK(in[i] == out[axis] || in[i] == 1, "cannot broadcast {} to {}", shape_str(in),
              shape_str(out));
    in_strides_[axis] = in[i] == 1 ? 0 : strides[i];
  }
}

int64_t BroadcastIndex::operator()(int64_t out_index) const {
  int64_t in_index = 0;
  for (size_t axis = out_dims_.size(); axis-- > 0;) {
    const int64_t coord = out_index % out_dims_[axis];
    out_index /= out_dims_[axis];
    in_index += coord * in_strides_[axis];
  }
  return in_index;
}

void expect_float(const InferContext& c, size_t i) {
  const TensorType& t = c.input(i);
  if (!is_float(t.dtype)) c.fail("input {} must be a float tensor, got {}", i, t.str());
}

std::vector<TensorType> same_as_input0(const InferContext& c) {
  expect_float(c, 0);
  return {c.input(0)};
}

std::vector<TensorType> broadcast_binary(const InferContext& c) {
  expect_float(c, 0);
  expect_float(c, 1);
  const TensorType& a = c.input(0);
  const TensorType& b = c.input(1);
  if (a.dtype != b.dtype) c.fail("inputs have different types {} and {}", a.str(), b.str());
  std::optional<Shape> shape = broadcast_shapes(a.shape, b.shape);
  if (!shape) c.fail("shapes {} and {} do not broadcast", shape_str(a.shape), shape_str(b.shape));
  return {TensorType{a.dtype, *shape}};
}

int64_t elementwise_flops(const InferContext& c, int64_t per_element) {
  Shape shape;
  for (size_t i = 0; i < c.num_inputs(); ++i)
    if (c.has_input(i)) shape = broadcast_shapes(shape, c.input(i).shape).value_or(shape);
  return numel(shape) * per_element;
}

}  // namespace nas::graph::ops
