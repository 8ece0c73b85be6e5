// Sliding-window geometry shared by the 2-D NCHW ops (Conv, MaxPool, AveragePool and their
// gradient ops): reads ONNX's strides / dilations / pads / auto_pad / ceil_mode attributes
// and resolves them into explicit per-axis padding and output sizes.
//
// Output size along an axis (ONNX, PyTorch and ONNX Runtime agree):
//   span = in + pad_begin + pad_end - (dilation * (kernel - 1) + 1)
//   out  = floor(span / stride) + 1, or with ceil_mode ceil(span / stride) + 1; with
//          ceil_mode, a last window that would start in the end padding
//          ((out - 1) * stride >= in + pad_begin) is an error: ONNX keeps it, PyTorch
//          drops it, and ONNX Runtime computes arbitrary values for it.
// auto_pad SAME_UPPER / SAME_LOWER: total = max(0, (ceil(in / stride) - 1) * stride +
//   dilation * (kernel - 1) + 1 - in), split evenly with the odd unit at the end (UPPER) or
//   at the beginning (LOWER); VALID: no padding.
#pragma once

#include <array>
#include <string>

#include "compiler/graph/op_registry.h"

namespace nas::graph::ops {

// Axis 0 is H, axis 1 is W.
struct Window2d {
  std::array<int64_t, 2> in{}, kernel{}, stride{}, dilation{}, pad_begin{}, pad_end{}, out{};

  // Input coordinate of kernel tap k of output position o along an axis (may be padding).
  int64_t input_at(int axis, int64_t o, int64_t k) const {
    return o * stride[axis] - pad_begin[axis] + k * dilation[axis];
  }
  bool inside(int axis, int64_t i) const { return i >= 0 && i < in[axis]; }
};

// Resolves the window from a node's attributes (schema-completed: `dilations` and
// `ceil_mode` are read only when the op has them). Returns an empty string on success,
// otherwise the message for c.fail.
std::string resolve_window(const Attrs& attrs, std::array<int64_t, 2> in,
                           std::array<int64_t, 2> kernel, Window2d& window);

// For shape functions: resolves or fails naming the node.
Window2d window_or_fail(const InferContext& c, std::array<int64_t, 2> in,
                        std::array<int64_t, 2> kernel);
// For kernels, whose attributes the shape function has already checked.
Window2d window_of(const Attrs& attrs, std::array<int64_t, 2> in, std::array<int64_t, 2> kernel);

// Fails unless input i is a float tensor of rank 4 (N, C, H, W); `what` names it.
void expect_nchw(const InferContext& c, size_t i, std::string_view what);

// Reads an Ints attribute that must have exactly `n` entries, each >= `min`, or fails.
std::vector<int64_t> ints_of_size(const InferContext& c, const std::string& name, size_t n,
                                  int64_t min);

// The attribute schema of the window attributes, ONNX names and defaults.
AttrSpec auto_pad_attr();
AttrSpec dilations_attr();
AttrSpec pads_attr();
AttrSpec strides_attr();
AttrSpec ceil_mode_attr();

}  // namespace nas::graph::ops
