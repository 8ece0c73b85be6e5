#include "compiler/lower/compute_util.h"

#include <fmt/format.h>

#include "compiler/support/error.h"

namespace nas::lower {

using loop::Expr;

Expr f32(double value) { return loop::make_const(loop::Type::f32(), value); }
Expr i32(int64_t value) { return loop::make_const(loop::Type::i32(), value); }

std::vector<Expr> exprs(const std::vector<loop::Var>& vars) { return {vars.begin(), vars.end()}; }

std::vector<std::string> numbered(const std::string& prefix, size_t count) {
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) names.push_back(fmt::format("{}{}", prefix, i));
  return names;
}

int64_t normalized_axis(int64_t axis, size_t rank) {
  const std::optional<int64_t> a = graph::normalize_axis(axis, static_cast<int64_t>(rank));
  NAS_CHECK(a.has_value(), "axis {} of rank {}", axis, rank);
  return *a;
}

std::vector<Expr> broadcast_indices(const std::vector<Expr>& indices,
                                    const std::vector<int64_t>& out,
                                    const std::vector<int64_t>& in) {
  NAS_CHECK(indices.size() == out.size() && in.size() <= out.size(),
            "broadcast of {} to {} at {} indices", graph::shape_str(in), graph::shape_str(out),
            indices.size());
  const size_t offset = out.size() - in.size();
  std::vector<Expr> result;
  for (size_t d = 0; d < in.size(); ++d)
    result.push_back(in[d] == out[d + offset] ? indices[d + offset] : i32(0));
  return result;
}

Expr ReductionAxes::add(const std::string& name, int64_t extent) {
  if (extent == 1) return i32(0);
  axes_.push_back(loop::reduce_axis(name, extent));
  return axes_.back().var;
}

std::vector<loop::Axis> ReductionAxes::list() const {
  if (axes_.empty()) return {loop::reduce_axis("r", 1)};
  return axes_;
}

Expr plus(const Expr& a, int64_t c) { return c == 0 ? a : a + c; }
Expr times(const Expr& a, int64_t c) { return c == 1 ? a : a * c; }
Expr all_of(const Expr& a, const Expr& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a && b;
}

std::function<ScheduleFamily(const graph::Graph&, const graph::Node&)> always(
    ScheduleFamily family) {
  return [family](const graph::Graph&, const graph::Node&) { return family; };
}

OpLowering unary_op(std::function<UnaryFn(const graph::Node&)> f) {
  return OpLowering{
      .compute =
          [f](const ComputeContext& c) {
            const UnaryFn fn = f(c.node);
            const Accessor x = c.in(0);
            return NodeCompute{.outputs = {[x, fn](const Indices& idx) { return fn(x(idx)); }}};
          },
      .family = always(ScheduleFamily::Injective),
  };
}

OpLowering binary_op(BinaryFn f) {
  return binary_op([f](const graph::Node&) { return f; });
}

OpLowering binary_op(std::function<BinaryFn(const graph::Node&)> f) {
  return OpLowering{
      .compute =
          [f](const ComputeContext& c) {
            const BinaryFn fn = f(c.node);
            const graph::Shape out = c.output_shape(), a_shape = c.input_shape(0),
                               b_shape = c.input_shape(1);
            const Accessor a = c.in(0), b = c.in(1);
            return NodeCompute{.outputs = {[=](const Indices& idx) {
              return fn(a(broadcast_indices(idx, out, a_shape)),
                        b(broadcast_indices(idx, out, b_shape)));
            }}};
          },
      .family = always(ScheduleFamily::Injective),
  };
}

}  // namespace nas::lower
