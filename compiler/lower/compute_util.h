// Pieces the compute definitions of lower/ops/ share: constants, index lists, numpy
// broadcasting, reduction axes, and lowerings of elementwise ops from their scalar function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/lower/op_lowering.h"

namespace nas::lower {

loop::Expr f32(double value);
loop::Expr i32(int64_t value);

std::vector<loop::Expr> exprs(const std::vector<loop::Var>& vars);
// "prefix0", "prefix1", ...
std::vector<std::string> numbered(const std::string& prefix, size_t count);
// `axis` normalized for `rank` (an internal error when out of range: shapes were inferred).
int64_t normalized_axis(int64_t axis, size_t rank);

// The indices of an input of shape `in` read by numpy broadcasting at output indices of
// shape `out` (an axis of the same size as the output's keeps its index).
std::vector<loop::Expr> broadcast_indices(const std::vector<loop::Expr>& indices,
                                          const std::vector<int64_t>& out,
                                          const std::vector<int64_t>& in);

// The reduction axes of one op: an axis of extent 1 is the constant 0 instead of a loop.
class ReductionAxes {
 public:
  loop::Expr add(const std::string& name, int64_t extent);
  // A reduction needs one axis: a single-element one reduces over one loop iteration.
  std::vector<loop::Axis> list() const;

 private:
  std::vector<loop::Axis> axes_;
};

// a + c and a * c, without the identity constant.
loop::Expr plus(const loop::Expr& a, int64_t c);
loop::Expr times(const loop::Expr& a, int64_t c);
// a && b, where an undefined side means true.
loop::Expr all_of(const loop::Expr& a, const loop::Expr& b);

// The family of every node of an op.
std::function<ScheduleFamily(const graph::Graph&, const graph::Node&)> always(ScheduleFamily family);

// An elementwise op computed from its input by `f`, built per node (for attributes).
using UnaryFn = std::function<loop::Expr(const loop::Expr&)>;
OpLowering unary_op(std::function<UnaryFn(const graph::Node&)> f);
// A broadcasting binary op, from its scalar function or (for attributes) one built per node.
using BinaryFn = std::function<loop::Expr(const loop::Expr&, const loop::Expr&)>;
OpLowering binary_op(BinaryFn f);
OpLowering binary_op(std::function<BinaryFn(const graph::Node&)> f);

}  // namespace nas::lower
