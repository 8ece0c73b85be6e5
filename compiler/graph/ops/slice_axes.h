// Where ONNX Slice (opset 13) reads along each axis, resolved from its attributes: shared by
// the op's shape function and kernels, its lowering and the layout pass.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::graph::ops {

// Where one axis of a slice reads: coordinates start, start + step, ... (len of them).
struct SliceAxis {
  int64_t start = 0;
  int64_t step = 1;
  int64_t len = 0;
};

// ONNX Slice semantics for every axis of `shape` (axes not named read all): negative
// indices count from the end, then clamp. Returns an error message instead when the
// attributes (starts, ends, axes, steps) are invalid.
std::variant<std::vector<SliceAxis>, std::string> slice_axes(const Shape& shape,
                                                              const Attrs& attrs);

// The same for a node the builder checked (its attributes valid).
std::vector<SliceAxis> slice_axes_checked(const Node& node, const Shape& shape);

}  // namespace nas::graph::ops
