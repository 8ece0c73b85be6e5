// The compute definitions of elementwise, broadcast and injective ops as accessors, and the
// dispatch to the reducing ops (reducing_compute.cc). Each accessor writes the reference
// kernel's arithmetic in the same order, so results agree to the last bit where the
// reference's operations are the same f32 operations.
#include "compiler/lower/op_compute.h"

#include <algorithm>
#include <limits>

#include "compiler/graph/op_registry.h"
#include "compiler/lower/reducing_compute.h"
#include "compiler/support/error.h"

namespace nas::lower {

using graph::Graph;
using graph::Node;
using graph::Shape;
using loop::Expr;

namespace {

Expr f32(double value) { return loop::make_const(loop::Type::f32(), value); }
Expr i32(int64_t value) { return loop::make_const(loop::Type::i32(), value); }

const Shape& shape_of(const Graph& g, graph::ValueId v) { return g.type(v).shape; }

// ---- Elementwise ---------------------------------------------------------------------

using UnaryFn = std::function<Expr(const Expr&)>;
using BinaryFn = std::function<Expr(const Expr&, const Expr&)>;

Accessor unary(const Accessor& x, UnaryFn f) {
  return [x, f](const std::vector<Expr>& idx) { return f(x(idx)); };
}

Accessor binary(const Graph& g, const Node& node, const std::vector<Accessor>& in, BinaryFn f) {
  const Shape out = shape_of(g, node.outputs[0]);
  const Shape a_shape = shape_of(g, node.inputs[0]), b_shape = shape_of(g, node.inputs[1]);
  const Accessor a = in[0], b = in[1];
  return [=](const std::vector<Expr>& idx) {
    return f(a(broadcast_indices(idx, out, a_shape)), b(broadcast_indices(idx, out, b_shape)));
  };
}

std::optional<UnaryFn> unary_fn(const Node& node) {
  const std::string& op = node.op_name();
  const graph::Attrs& attrs = node.attrs;
  if (op == "Relu") return [](const Expr& x) { return select(x > 0.0, x, f32(0)); };
  if (op == "Clip") {
    const float lo = attrs.f("min"), hi = attrs.f("max");
    return [lo, hi](const Expr& x) { return min(max(x, f32(lo)), f32(hi)); };
  }
  if (op == "HardSigmoid") {
    const float alpha = attrs.f("alpha"), beta = attrs.f("beta");
    return [alpha, beta](const Expr& x) {
      return max(f32(0), min(f32(1), f32(alpha) * x + f32(beta)));
    };
  }
  if (op == "HardSwish")
    return [](const Expr& x) { return x * max(f32(0), min(f32(1), x / f32(6) + f32(0.5))); };
  if (op == "Sigmoid")
    // Both branches as the reference writes them, so exp never overflows into the result.
    return [](const Expr& x) {
      const Expr e = exp(x);
      return select(x >= 0.0, f32(1) / (f32(1) + exp(-x)), e / (f32(1) + e));
    };
  if (op == "Identity" || op == "Dropout" || op == "Cast")
    return [](const Expr& x) { return x; };
  return std::nullopt;
}

std::optional<BinaryFn> binary_fn(const std::string& op) {
  if (op == "Add") return [](const Expr& a, const Expr& b) { return a + b; };
  if (op == "Sub") return [](const Expr& a, const Expr& b) { return a - b; };
  if (op == "Mul") return [](const Expr& a, const Expr& b) { return a * b; };
  if (op == "Div") return [](const Expr& a, const Expr& b) { return a / b; };
  return std::nullopt;
}

// Inference batch normalization, per channel (axis 1).
Accessor batch_norm(const Node& node, const std::vector<Accessor>& in) {
  const float eps = node.attrs.f("epsilon");
  const Accessor x = in[0], scale = in[1], bias = in[2], mean = in[3], var = in[4];
  return [=](const std::vector<Expr>& idx) {
    const std::vector<Expr> c{idx[1]};
    return scale(c) * (x(idx) - mean(c)) / sqrt(var(c) + f32(eps)) + bias(c);
  };
}

// ---- Injective -------------------------------------------------------------------------

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

Accessor reshape(const Graph& g, const Node& node, const Accessor& x) {
  const Shape out = shape_of(g, node.outputs[0]), in = shape_of(g, node.inputs[0]);
  if (out == in) return x;
  return [=](const std::vector<Expr>& idx) { return x(reshape_indices(idx, out, in)); };
}

Accessor transpose(const Graph& g, const Node& node, const Accessor& x) {
  const size_t rank = shape_of(g, node.inputs[0]).size();
  std::vector<int64_t> perm = node.attrs.ints("perm");
  if (perm.empty())
    for (size_t a = rank; a-- > 0;) perm.push_back(static_cast<int64_t>(a));
  return [=](const std::vector<Expr>& idx) {
    std::vector<Expr> in_idx(rank);
    for (size_t a = 0; a < rank; ++a) in_idx[static_cast<size_t>(perm[a])] = idx[a];
    return x(in_idx);
  };
}

int64_t normalized_axis(int64_t axis, size_t rank) {
  const std::optional<int64_t> a = graph::normalize_axis(axis, static_cast<int64_t>(rank));
  NAS_CHECK(a.has_value(), "axis {} of rank {}", axis, rank);
  return *a;
}

// The part whose range along the axis holds the index; each part reads a clamped index,
// since a Select evaluates every part.
Accessor concat(const Graph& g, const Node& node, const std::vector<Accessor>& in) {
  const size_t axis =
      static_cast<size_t>(normalized_axis(node.attrs.i("axis"), shape_of(g, node.outputs[0]).size()));
  std::vector<int64_t> begins, lengths;
  int64_t offset = 0;
  std::vector<Accessor> parts;
  for (size_t p = 0; p < node.inputs.size(); ++p) {
    const int64_t len = shape_of(g, node.inputs[p])[axis];
    if (len == 0) continue;
    begins.push_back(offset);
    lengths.push_back(len);
    parts.push_back(in[p]);
    offset += len;
  }
  return [=](const std::vector<Expr>& idx) {
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
  };
}

std::vector<Accessor> split(const Graph& g, const Node& node, const Accessor& x) {
  const size_t rank = shape_of(g, node.inputs[0]).size();
  const size_t axis = static_cast<size_t>(normalized_axis(node.attrs.i("axis"), rank));
  std::vector<Accessor> outs;
  int64_t offset = 0;
  for (graph::ValueId v : node.outputs) {
    outs.push_back([=](const std::vector<Expr>& idx) {
      std::vector<Expr> in_idx = idx;
      if (offset != 0) in_idx[axis] = idx[axis] + offset;
      return x(in_idx);
    });
    offset += shape_of(g, v)[axis];
  }
  return outs;
}

// ONNX Slice (opset 13) per axis: start and step of the elements read, as the reference
// resolves them (negative indices count from the end, then clamp).
struct SliceAxis {
  int64_t start = 0, step = 1;
};

std::vector<SliceAxis> slice_axes(const Shape& shape, const graph::Attrs& attrs) {
  const std::vector<int64_t>& starts = attrs.ints("starts");
  std::vector<int64_t> axes = attrs.ints("axes"), steps = attrs.ints("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  std::vector<SliceAxis> out(shape.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    const auto a = static_cast<size_t>(normalized_axis(axes[i], shape.size()));
    const int64_t dim = shape[a], step = steps[i];
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    start = step > 0 ? std::clamp<int64_t>(start, 0, dim) : std::clamp<int64_t>(start, 0, dim - 1);
    out[a] = {start, step};
  }
  return out;
}

Accessor slice(const Graph& g, const Node& node, const Accessor& x) {
  const std::vector<SliceAxis> axes = slice_axes(shape_of(g, node.inputs[0]), node.attrs);
  return [=](const std::vector<Expr>& idx) {
    std::vector<Expr> in_idx(idx.size());
    for (size_t a = 0; a < idx.size(); ++a) {
      Expr e = axes[a].step == 1 ? idx[a] : idx[a] * axes[a].step;
      in_idx[a] = axes[a].start == 0 ? e : e + axes[a].start;
    }
    return x(in_idx);
  };
}

}  // namespace

std::vector<Expr> broadcast_indices(const std::vector<Expr>& indices, const Shape& out,
                                    const Shape& in) {
  NAS_CHECK(indices.size() == out.size() && in.size() <= out.size(),
            "broadcast of {} to {} at {} indices", graph::shape_str(in), graph::shape_str(out),
            indices.size());
  const size_t offset = out.size() - in.size();
  std::vector<Expr> result;
  for (size_t d = 0; d < in.size(); ++d)
    result.push_back(in[d] == out[d + offset] ? indices[d + offset] : i32(0));
  return result;
}

NodeCompute compute_node(const Graph& g, const Node& node, const std::vector<Accessor>& in,
                         const StageNamer& namer, const std::vector<int64_t>& channel_blocks) {
  const std::string& op = node.op_name();
  NodeCompute result;
  if (std::optional<UnaryFn> f = unary_fn(node)) {
    result.outputs = {unary(in[0], *f)};
  } else if (std::optional<BinaryFn> f = binary_fn(op)) {
    result.outputs = {binary(g, node, in, *f)};
  } else if (op == "BatchNormalization") {
    result.outputs = {batch_norm(node, in)};
  } else if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze") {
    result.outputs = {reshape(g, node, in[0])};
  } else if (op == "Transpose") {
    result.outputs = {transpose(g, node, in[0])};
  } else if (op == "Concat") {
    result.outputs = {concat(g, node, in)};
  } else if (op == "Split") {
    result.outputs = split(g, node, in[0]);
  } else if (op == "Slice") {
    result.outputs = {slice(g, node, in[0])};
  } else {
    return reducing_compute(g, node, in, namer, channel_blocks);
  }
  return result;
}

}  // namespace nas::lower
