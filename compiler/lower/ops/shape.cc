// Lowerings of the shape ops of compiler/graph/ops/shape.cc: each output element reads one
// input element, so every op here is an accessor inlined into its readers.
#include <algorithm>

#include "compiler/graph/ops/pad_geometry.h"
#include "compiler/graph/ops/slice_axes.h"
#include "compiler/lower/compute_util.h"
#include "compiler/support/error.h"

namespace nas::lower {

using graph::Shape;
using graph::ops::SliceAxis;
using graph::ops::slice_axes_checked;
using loop::Expr;

namespace {

OpLowering injective(ComputeFn compute) {
  return OpLowering{.compute = std::move(compute), .family = always(ScheduleFamily::Injective)};
}

// Indices into `in` of the element at `out_idx` of the same data viewed as `out`. Axes are
// matched in groups of equal element count, so a reshape that only merges or splits axes
// (Flatten, Squeeze, Unsqueeze) needs no division outside the merged group.
std::vector<Expr> reshape_indices(const std::vector<Expr>& out_idx, const Shape& out,
                                  const Shape& in) {
  std::vector<Expr> in_idx(in.size(), i32(0));
  if (graph::numel(in) == 0) return in_idx;
  size_t i = 0, o = 0;
  while (i < in.size() || o < out.size()) {
    if (i < in.size() && in[i] == 1) {
      ++i;
      continue;
    }
    if (o < out.size() && out[o] == 1) {
      ++o;
      continue;
    }
    NAS_CHECK(i < in.size() && o < out.size(), "reshape of {} to {}", graph::shape_str(in),
              graph::shape_str(out));
    const size_t i0 = i, o0 = o;
    int64_t in_count = in[i++], out_count = out[o++];
    while (in_count != out_count) {
      if (in_count < out_count) {
        NAS_CHECK(i < in.size(), "reshape of {} to {}", graph::shape_str(in), graph::shape_str(out));
        in_count *= in[i++];
      } else {
        NAS_CHECK(o < out.size(), "reshape of {} to {}", graph::shape_str(in), graph::shape_str(out));
        out_count *= out[o++];
      }
    }
    // The flat position within the group, then its coordinates in the input's axes.
    Expr flat;
    for (size_t d = o0; d < o; ++d)
      flat = flat.defined() ? flat * out[d] + out_idx[d] : out_idx[d];
    int64_t stride = in_count;
    for (size_t d = i0; d < i; ++d) {
      stride /= in[d];
      Expr coord = stride == 1 ? flat : flat / stride;
      if (d != i0) coord = coord % in[d];
      in_idx[d] = in[d] == 1 ? i32(0) : coord;
    }
  }
  return in_idx;
}

// Flatten, Reshape, Squeeze, Unsqueeze: the same elements in another shape.
NodeCompute reshape(const ComputeContext& c) {
  const Shape out = c.output_shape(), in = c.input_shape(0);
  const Accessor x = c.in(0);
  if (out == in) return NodeCompute{.outputs = {x}};
  return NodeCompute{.outputs = {[=](const Indices& idx) { return x(reshape_indices(idx, out, in)); }}};
}

NodeCompute transpose(const ComputeContext& c) {
  const size_t rank = c.input_shape(0).size();
  std::vector<int64_t> perm = c.attrs().ints("perm");
  if (perm.empty())
    for (size_t a = rank; a-- > 0;) perm.push_back(static_cast<int64_t>(a));
  const Accessor x = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    std::vector<Expr> in_idx(rank);
    for (size_t a = 0; a < rank; ++a) in_idx[static_cast<size_t>(perm[a])] = idx[a];
    return x(in_idx);
  }}};
}

// The part whose range along the axis holds the index; each part reads a clamped index,
// since a Select evaluates every part.
NodeCompute concat(const ComputeContext& c) {
  const size_t axis = static_cast<size_t>(normalized_axis(c.attrs().i("axis"), c.output_shape().size()));
  std::vector<int64_t> begins, lengths;
  int64_t offset = 0;
  std::vector<Accessor> parts;
  for (size_t p = 0; p < c.node.inputs.size(); ++p) {
    const int64_t len = c.input_shape(p)[axis];
    if (len == 0) continue;
    begins.push_back(offset);
    lengths.push_back(len);
    parts.push_back(c.in(p));
    offset += len;
  }
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    Expr value;
    for (size_t p = parts.size(); p-- > 0;) {
      std::vector<Expr> part_idx = idx;
      Expr local = begins[p] == 0 ? idx[axis] : idx[axis] - begins[p];
      if (p > 0) local = max(local, 0);
      if (p + 1 < parts.size()) local = min(local, lengths[p] - 1);
      part_idx[axis] = local;
      const Expr here = parts[p](part_idx);
      value = value.defined() ? select(idx[axis] < begins[p + 1], here, value) : here;
    }
    return value;
  }}};
}

NodeCompute split(const ComputeContext& c) {
  const size_t axis = static_cast<size_t>(normalized_axis(c.attrs().i("axis"), c.input_shape(0).size()));
  const Accessor x = c.in(0);
  NodeCompute result;
  int64_t offset = 0;
  for (size_t i = 0; i < c.node.outputs.size(); ++i) {
    result.outputs.push_back([=](const Indices& idx) {
      std::vector<Expr> in_idx = idx;
      if (offset != 0) in_idx[axis] = idx[axis] + offset;
      return x(in_idx);
    });
    offset += c.output_shape(i)[axis];
  }
  return result;
}

NodeCompute slice(const ComputeContext& c) {
  const std::vector<SliceAxis> axes = slice_axes_checked(c.node, c.input_shape(0));
  const Accessor x = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    std::vector<Expr> in_idx(idx.size());
    for (size_t a = 0; a < idx.size(); ++a) {
      Expr e = axes[a].step == 1 ? idx[a] : idx[a] * axes[a].step;
      in_idx[a] = axes[a].start == 0 ? e : e + axes[a].start;
    }
    return x(in_idx);
  }}};
}

// dX = SliceGrad(dY): zeros of input_shape with dY where Slice reads. Along each axis, input
// coordinate i was read as dY's j = (i - start) / step when that is integral and in
// [0, len) (len: dY's extent); the element reads dY at its (clamped) j under a Select, 0
// elsewhere.
NodeCompute slice_grad(const ComputeContext& c) {
  const Shape xs = c.output_shape(), ys = c.input_shape(0);
  const std::vector<SliceAxis> axes = slice_axes_checked(c.node, xs);
  const Accessor dy = c.in(0);
  bool empty = false;
  for (int64_t d : ys) empty = empty || d == 0;
  return NodeCompute{.outputs = {[=](const Indices& idx) -> Expr {
    if (empty) return f32(0);
    std::vector<Expr> at(idx.size());
    Expr valid;
    for (size_t a = 0; a < idx.size(); ++a) {
      const int64_t start = axes[a].start, step = axes[a].step, len = ys[a];
      if (step == 1 && start == 0 && len == xs[a]) {
        at[a] = idx[a];
        continue;
      }
      const int64_t s = step > 0 ? step : -step;
      // d = (i - start) * sign(step), over i in [0, xs[a]).
      const Expr d = step > 0 ? plus(idx[a], -start) : i32(start) - idx[a];
      const int64_t lowest = step > 0 ? -start : start - (xs[a] - 1);
      const int64_t highest = step > 0 ? xs[a] - 1 - start : start;
      Expr ok, dc = d;
      if (lowest < 0) {
        ok = d >= 0;
        dc = max(dc, 0);
      }
      if (s > 1) ok = all_of(ok, eq(d % s, i32(0)));
      Expr j = s == 1 ? dc : dc / s;
      if (highest > (len - 1) * s) {
        ok = all_of(ok, d <= (len - 1) * s);
        j = min(j, len - 1);
      }
      at[a] = j;
      valid = all_of(valid, ok);
    }
    Expr value = dy(at);
    return valid.defined() ? select(valid, value, f32(0)) : value;
  }}};
}

// Pad (graph/ops/pad_geometry.h): along each padded axis, output element o reads input
// element i = o - begin; constant mode reads it at an index clamped into the input under a
// Select (which evaluates both sides), edge mode at the clamped index, reflect mode at its
// mirror image min(|i|, 2 (n - 1) - |i|), exact within the pads the shape function allows.
// Only the sides with a positive pad need the clamp or the mirror.
NodeCompute pad(const ComputeContext& c) {
  using graph::ops::PadMode;
  const graph::ops::PadGeometry p = graph::ops::pad_of(c.attrs(), c.input_shape(0));
  const auto value = static_cast<double>(c.attrs().f("constant_value"));
  const Accessor x = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    std::vector<Expr> at(idx.size());
    Expr inside;
    for (size_t a = 0; a < idx.size(); ++a) {
      const int64_t begin = p.begin[a], end = p.end[a], n = p.in[a];
      const Expr i = plus(idx[a], -begin);
      at[a] = i;
      if (p.mode == PadMode::Reflect) {
        if (begin > 0) at[a] = max(at[a], -at[a]);
        if (end > 0) at[a] = min(at[a], i32(2 * (n - 1)) - at[a]);
        continue;
      }
      if (begin > 0) {
        if (p.mode == PadMode::Constant) inside = all_of(inside, i >= 0);
        at[a] = max(at[a], 0);
      }
      if (end > 0) {
        if (p.mode == PadMode::Constant) inside = all_of(inside, i < n);
        at[a] = min(at[a], n - 1);
      }
    }
    const Expr read = x(at);
    return inside.defined() ? select(inside, read, f32(value)) : read;
  }}};
}

// Gather of f32 data at constant indices (ViT's attention splits its packed q, k and v
// so): output (outer.., k.., inner..) reads data (outer.., indices[k], inner..); several
// indices become selects over their flat position. Gathers of i64 shape data are folded on
// import.
NodeCompute gather(const ComputeContext& c) {
  const Shape& data = c.input_shape(0);
  const graph::Tensor& indices = c.graph.constant(c.node.inputs[1]);
  const auto axis = static_cast<size_t>(normalized_axis(c.attrs().i("axis"), data.size()));
  const int64_t dim = data[axis];
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < indices.numel(); ++i) {
    const int64_t r = indices.data<int64_t>()[i];
    if (r < -dim || r >= dim)
      user_error("node '{}' (Gather): index {} is out of range for axis {} of size {} "
                 "(expected {} to {})",
                 c.node.name, r, axis, dim, -dim, dim - 1);
    rows.push_back(r < 0 ? r + dim : r);
  }
  const Shape index_shape = indices.shape();
  const Accessor x = c.in(0);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    std::vector<Expr> at(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(axis));
    Expr flat = i32(0);  // the output's position in `indices`
    for (size_t d = 0; d < index_shape.size(); ++d) flat = flat * index_shape[d] + idx[axis + d];
    Expr row = i32(rows.back());
    for (size_t k = rows.size() - 1; k-- > 0;)
      row = select(eq(flat, i32(static_cast<int64_t>(k))), i32(rows[k]), row);
    at.push_back(row);
    at.insert(at.end(), idx.begin() + static_cast<std::ptrdiff_t>(axis + index_shape.size()),
              idx.end());
    return x(at);
  }}};
}

// Gathers the kernels compute: f32 data at constant indices, at most kMaxGatherIndices of
// them (each more is one more select per element).
constexpr int64_t kMaxGatherIndices = 64;
std::optional<std::string> gather_refuses(const graph::Graph& g, const graph::Node& node) {
  if (g.type(node.inputs[0]).dtype != graph::DType::F32)
    return "Gather computes on i64 shape data, which constant folding removes from graphs "
           "with static shapes; it is not compiled";
  if (!g.is_constant(node.inputs[1]))
    return "Gather at computed indices is not compiled (constant indices are)";
  if (g.type(node.inputs[1]).numel() > kMaxGatherIndices)
    return fmt::format("Gather of more than {} indices is not compiled", kMaxGatherIndices);
  return std::nullopt;
}

OpLowering shape_data(const graph::OpDef& op) {
  return not_lowered(op.name + " computes on i64 shape data, which constant folding removes from "
                     "graphs with static shapes; it is not compiled");
}

}  // namespace

OpLowering lower_op_Flatten(const graph::OpDef&) { return injective(reshape); }
OpLowering lower_op_Reshape(const graph::OpDef&) { return injective(reshape); }
OpLowering lower_op_Squeeze(const graph::OpDef&) { return injective(reshape); }
OpLowering lower_op_Unsqueeze(const graph::OpDef&) { return injective(reshape); }
OpLowering lower_op_Transpose(const graph::OpDef&) { return injective(transpose); }
OpLowering lower_op_Concat(const graph::OpDef&) { return injective(concat); }
OpLowering lower_op_Split(const graph::OpDef&) { return injective(split); }
OpLowering lower_op_Slice(const graph::OpDef&) { return injective(slice); }
OpLowering lower_op_Pad(const graph::OpDef&) { return injective(pad); }
OpLowering lower_op_Shape(const graph::OpDef& op) { return shape_data(op); }
OpLowering lower_op_Gather(const graph::OpDef&) {
  OpLowering lowering = injective(gather);
  lowering.refuses = gather_refuses;
  lowering.i64_inputs = {1};  // the indices: read at compile time, handed over unused
  return lowering;
}
OpLowering lower_op_ConstantOfShape(const graph::OpDef& op) { return shape_data(op); }
OpLowering lower_op_SliceGrad(const graph::OpDef&) { return injective(slice_grad); }

}  // namespace nas::lower
