// Pad's geometry, shared by its shape function, reference kernel and gradient
// (graph/ops/shape.cc) and its lowering (lower/ops/shape.cc): reads ONNX's pads / axes /
// mode attributes and resolves them into a begin and an end per axis of the input.
//
// ONNX layout: pads = [b_1, ..., b_k, e_1, ..., e_k] for the k axes named by `axes` (empty:
// all axes in order); a negative pad removes elements. Output element o along an axis of
// size n reads input element i = o - begin when 0 <= i < n; otherwise, by mode:
//   constant: the constant value;
//   edge:     the nearest edge element, clamp(i, 0, n - 1);
//   reflect:  the mirror image without repeating the edge, -i before the start and
//             2 (n - 1) - i after the end (numpy's "reflect", ONNX Runtime's).
// Negative pads remove elements first: at most the axis' size in all, and reflect then
// needs each positive pad smaller than what is left (as ONNX Runtime), edge something left.
// Within those limits the index rule above gives exactly "remove, then pad".
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/graph/op_registry.h"

namespace nas::graph::ops {

enum class PadMode { Constant, Reflect, Edge };

struct PadGeometry {
  PadMode mode = PadMode::Constant;
  Shape in;                    // the input's shape
  std::vector<int64_t> begin;  // per input axis (0 for axes not padded)
  std::vector<int64_t> end;

  Shape out_shape() const;
  // The input coordinate output coordinate `o` of `axis` reads; nullopt where it reads the
  // constant value (constant mode only).
  std::optional<int64_t> source(size_t axis, int64_t o) const;
};

// Resolves Pad's attributes for an input of shape `in`; otherwise the message for c.fail.
std::variant<PadGeometry, std::string> resolve_pad(const Attrs& attrs, const Shape& in);
// For shape functions: resolves or fails naming the node.
PadGeometry pad_or_fail(const InferContext& c, const Shape& in);
// For kernels, gradients and lowerings, whose attributes the shape function has checked.
PadGeometry pad_of(const Attrs& attrs, const Shape& in);

}  // namespace nas::graph::ops
