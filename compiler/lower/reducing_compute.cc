// Reducing ops as reductions per output element. Each reduces in the order its reference
// kernel accumulates (convolution: input channel, kernel row, kernel column; over an input
// stored NCHW[x]c, channel blocks, kernel row and column, then the lanes), and leaves
// to its own epilogue what the reference applies after the sum (bias, alpha and beta, the
// divisor of a mean). Sliding windows read padding through a clamped index under a Select,
// so every load stays in bounds.
#include "compiler/lower/reducing_compute.h"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "compiler/graph/op_registry.h"
#include "compiler/graph/ops/window_geometry.h"
#include "compiler/support/error.h"

namespace nas::lower {

using graph::Graph;
using graph::Node;
using graph::Shape;
using graph::ops::Window2d;
using loop::Expr;
using loop::Var;

namespace {

Expr f32(double value) { return loop::make_const(loop::Type::f32(), value); }
Expr i32(int64_t value) { return loop::make_const(loop::Type::i32(), value); }

const Shape& shape_of(const Graph& g, graph::ValueId v) { return g.type(v).shape; }

std::vector<Expr> exprs(const std::vector<Var>& vars) { return {vars.begin(), vars.end()}; }
const Indices& exprs(const Indices& indices) { return indices; }

std::vector<std::string> numbered(const std::string& prefix, size_t count) {
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) names.push_back(fmt::format("{}{}", prefix, i));
  return names;
}

// The reduction axes of one op: an axis of extent 1 is the constant 0 instead of a loop.
class ReductionAxes {
 public:
  Expr add(const std::string& name, int64_t extent) {
    if (extent == 1) return i32(0);
    axes_.push_back(loop::reduce_axis(name, extent));
    return axes_.back().var;
  }
  // A reduction needs one axis: a single-element one reduces over one loop iteration.
  std::vector<loop::Axis> list() const {
    if (axes_.empty()) return {loop::reduce_axis("r", 1)};
    return axes_;
  }

 private:
  std::vector<loop::Axis> axes_;
};

Expr plus(const Expr& a, int64_t c) { return c == 0 ? a : a + c; }
Expr times(const Expr& a, int64_t c) { return c == 1 ? a : a * c; }
Expr all_of(const Expr& a, const Expr& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a && b;
}

// Tap k of the window at output position o along one axis: the input index (clamped into
// the input where padding is possible) and whether it lies inside (undefined: always).
struct Tap {
  Expr index, inside;
};

// The largest input index a tap reaches along an axis (padding when >= the input size).
int64_t highest_tap(const Window2d& w, int axis) {
  return (w.out[axis] - 1) * w.stride[axis] - w.pad_begin[axis] +
         (w.kernel[axis] - 1) * w.dilation[axis];
}

bool reaches_padding(const Window2d& w, int axis) {
  return w.pad_begin[axis] > 0 || highest_tap(w, axis) >= w.in[axis];
}

Tap window_tap(const Window2d& w, int axis, const Expr& o, const Expr& k) {
  const Expr at = plus(times(o, w.stride[axis]), -w.pad_begin[axis]) + times(k, w.dilation[axis]);
  Tap tap{at, Expr()};
  if (w.pad_begin[axis] > 0) {
    tap.inside = at >= 0;
    tap.index = max(tap.index, 0);
  }
  if (highest_tap(w, axis) >= w.in[axis]) {
    tap.inside = all_of(tap.inside, at < w.in[axis]);
    tap.index = min(tap.index, w.in[axis] - 1);
  }
  return tap;
}

// How many taps of the window at output position o lie inside the input along one axis,
// as an f32: the count of most positions, and selects for the positions near the borders.
// (Counted at compile time, so the kernel holds no integer-to-float conversion.)
Expr valid_tap_count(const Window2d& w, int axis, const Expr& o) {
  std::map<int64_t, int64_t> frequency;
  std::vector<int64_t> counts(static_cast<size_t>(w.out[axis]), 0);
  for (int64_t p = 0; p < w.out[axis]; ++p) {
    for (int64_t k = 0; k < w.kernel[axis]; ++k)
      counts[static_cast<size_t>(p)] += w.inside(axis, w.input_at(axis, p, k));
    ++frequency[counts[static_cast<size_t>(p)]];
  }
  const int64_t common =
      std::ranges::max_element(frequency, {}, [](const auto& f) { return f.second; })->first;
  Expr count = f32(static_cast<double>(common));
  for (int64_t p = 0; p < w.out[axis]; ++p)
    if (counts[static_cast<size_t>(p)] != common)
      count = select(eq(o, i32(p)), f32(static_cast<double>(counts[static_cast<size_t>(p)])), count);
  return count;
}

// Whether some output position along an axis has a window of padding only.
bool has_empty_window(const Window2d& w, int axis) {
  for (int64_t o = 0; o < w.out[axis]; ++o) {
    bool any = false;
    for (int64_t k = 0; k < w.kernel[axis] && !any; ++k) any = w.inside(axis, w.input_at(axis, o, k));
    if (!any) return true;
  }
  return false;
}

// ---- Convolution ---------------------------------------------------------------------

// With its input stored NCHW[x]c (input_block x > 1), a convolution of one group sums the
// input channels as blocks of x (outermost) and lanes of a block (innermost), so each
// tap reads x adjacent channels.
NodeCompute conv(const Graph& g, const Node& node, const std::vector<Accessor>& in,
                 int64_t input_block) {
  const Shape xs = shape_of(g, node.inputs[0]), ws = shape_of(g, node.inputs[1]);
  const Window2d win = graph::ops::window_of(node.attrs, {xs[2], xs[3]}, {ws[2], ws[3]});
  const int64_t group = node.attrs.i("group"), per_group_in = ws[1];
  const int64_t per_group_out = ws[0] / group;
  const Accessor x = in[0], w = in[1];
  const Accessor b = in.size() > 2 ? in[2] : Accessor();
  ReducingCompute r;
  r.family = per_group_in == 1 && group > 1 ? "depthwise_conv2d" : "conv2d";
  r.shape = shape_of(g, node.outputs[0]);
  r.axis_names = {"n", "co", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const bool by_blocks = group == 1 && input_block > 1 && per_group_in % input_block == 0;
    const Expr ci_outer = by_blocks ? axes.add("cib", per_group_in / input_block)
                                    : axes.add("ci", per_group_in);
    const Expr kh = axes.add("kh", ws[2]), kw = axes.add("kw", ws[3]);
    const Expr ci = by_blocks ? times(ci_outer, input_block) + axes.add("cil", input_block)
                              : ci_outer;
    Expr channel = ci;
    if (group > 1) {
      const Expr first = times(per_group_out == 1 ? Expr(v[1]) : v[1] / per_group_out, per_group_in);
      channel = per_group_in == 1 ? first : first + ci;
    }
    const Tap th = window_tap(win, 0, v[2], kh), tw = window_tap(win, 1, v[3], kw);
    Expr xv = x({v[0], channel, th.index, tw.index});
    if (Expr inside = all_of(th.inside, tw.inside); inside.defined())
      xv = select(inside, xv, f32(0));
    return loop::sum(xv * w({v[1], ci, kh, kw}), axes.list());
  };
  if (b) r.finish = [b](const Expr& reduced, const Indices& v) { return reduced + b({v[1]}); };
  return NodeCompute{.reducing = std::move(r)};
}

// ---- Pooling -------------------------------------------------------------------------

NodeCompute pool(const Graph& g, const Node& node, const std::vector<Accessor>& in, bool is_max) {
  const Shape xs = shape_of(g, node.inputs[0]);
  const std::vector<int64_t>& kernel = node.attrs.ints("kernel_shape");
  const Window2d win = graph::ops::window_of(node.attrs, {xs[2], xs[3]}, {kernel[0], kernel[1]});
  const Accessor x = in[0];
  const float padding = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
  ReducingCompute r;
  r.family = "pool";
  r.shape = shape_of(g, node.outputs[0]);
  r.axis_names = {"n", "c", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr kh = axes.add("kh", win.kernel[0]), kw = axes.add("kw", win.kernel[1]);
    const Tap th = window_tap(win, 0, v[2], kh), tw = window_tap(win, 1, v[3], kw);
    Expr xv = x({v[0], v[1], th.index, tw.index});
    if (Expr inside = all_of(th.inside, tw.inside); inside.defined())
      xv = select(inside, xv, f32(padding));
    return is_max ? loop::maximum(xv, axes.list()) : loop::sum(xv, axes.list());
  };
  if (is_max) {
    // The reference gives the lowest finite value for a window of padding only.
    if (has_empty_window(win, 0) || has_empty_window(win, 1))
      r.finish = [](const Expr& reduced, const Indices&) {
        return max(reduced, f32(std::numeric_limits<float>::lowest()));
      };
  } else if (node.attrs.i("count_include_pad") != 0) {
    const double divisor = static_cast<double>(win.kernel[0] * win.kernel[1]);
    r.finish = [divisor](const Expr& reduced, const Indices&) {
      return reduced / f32(divisor);
    };
  } else {
    r.finish = [win](const Expr& reduced, const Indices& v) {
      if (!reaches_padding(win, 0) && !reaches_padding(win, 1))
        return reduced / f32(static_cast<double>(win.kernel[0] * win.kernel[1]));
      return reduced / (valid_tap_count(win, 0, v[2]) * valid_tap_count(win, 1, v[3]));
    };
  }
  return NodeCompute{.reducing = std::move(r)};
}

NodeCompute global_average_pool(const Graph& g, const Node& node, const std::vector<Accessor>& in) {
  const Shape xs = shape_of(g, node.inputs[0]);
  const Accessor x = in[0];
  ReducingCompute r;
  r.family = "pool";
  r.shape = shape_of(g, node.outputs[0]);
  r.axis_names = {"n", "c", "oh", "ow"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr h = axes.add("h", xs[2]), w = axes.add("w", xs[3]);
    return loop::sum(x({v[0], v[1], h, w}), axes.list());
  };
  const double spatial = static_cast<double>(xs[2] * xs[3]);
  r.finish = [spatial](const Expr& reduced, const Indices&) { return reduced / f32(spatial); };
  return NodeCompute{.reducing = std::move(r)};
}

// ---- Dense ---------------------------------------------------------------------------

NodeCompute gemm(const Graph& g, const Node& node, const std::vector<Accessor>& in) {
  const Shape as = shape_of(g, node.inputs[0]), ys = shape_of(g, node.outputs[0]);
  const bool ta = node.attrs.i("transA") != 0, tb = node.attrs.i("transB") != 0;
  const float alpha = node.attrs.f("alpha"), beta = node.attrs.f("beta");
  const int64_t k_extent = ta ? as[0] : as[1];
  const Accessor a = in[0], b = in[1];
  ReducingCompute r;
  r.family = "dense";
  r.shape = ys;
  r.axis_names = {"i", "j"};
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr k = axes.add("k", k_extent);
    const Expr av = ta ? a({k, v[0]}) : a({v[0], k});
    const Expr bv = tb ? b({v[1], k}) : b({k, v[1]});
    return loop::sum(av * bv, axes.list());
  };
  const bool has_c = in.size() > 2 && in[2];
  if (alpha != 1.0f || has_c) {
    const Accessor c = has_c ? in[2] : Accessor();
    const Shape cs = has_c ? shape_of(g, node.inputs[2]) : Shape{};
    r.finish = [=](const Expr& reduced, const Indices& v) {
      Expr y = alpha == 1.0f ? reduced : f32(alpha) * reduced;
      if (has_c) {
        const Expr cv = c(broadcast_indices(exprs(v), ys, cs));
        y = y + (beta == 1.0f ? cv : f32(beta) * cv);
      }
      return y;
    };
  }
  return NodeCompute{.reducing = std::move(r)};
}

// numpy matmul: batch axes broadcast, a rank-1 A is a row and a rank-1 B a column whose
// axis the result drops.
NodeCompute matmul(const Graph& g, const Node& node, const std::vector<Accessor>& in) {
  const Shape as = shape_of(g, node.inputs[0]), bs = shape_of(g, node.inputs[1]);
  const Shape ys = shape_of(g, node.outputs[0]);
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  const Shape a_batch = a_vec ? Shape{} : Shape(as.begin(), as.end() - 2);
  const Shape b_batch = b_vec ? Shape{} : Shape(bs.begin(), bs.end() - 2);
  const size_t batch_rank = ys.size() - (a_vec ? 0 : 1) - (b_vec ? 0 : 1);
  const Shape batch(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(batch_rank));
  const int64_t k_extent = as.back();
  const Accessor a = in[0], b = in[1];
  ReducingCompute r;
  r.family = "dense";
  r.shape = ys;
  r.axis_names = numbered("b", batch_rank);
  if (!a_vec) r.axis_names.push_back("i");
  if (!b_vec) r.axis_names.push_back("j");
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    const Expr k = axes.add("k", k_extent);
    const std::vector<Expr> batch_idx(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(batch_rank));
    std::vector<Expr> a_idx{k}, b_idx{k};
    if (!a_vec) {
      a_idx = broadcast_indices(batch_idx, batch, a_batch);
      a_idx.insert(a_idx.end(), {v[batch_rank], k});
    }
    if (!b_vec) {
      b_idx = broadcast_indices(batch_idx, batch, b_batch);
      b_idx.insert(b_idx.end(), {k, v[batch_rank + (a_vec ? 0 : 1)]});
    }
    return loop::sum(a(a_idx) * b(b_idx), axes.list());
  };
  return NodeCompute{.reducing = std::move(r)};
}

// ---- Mean, Softmax ---------------------------------------------------------------------

NodeCompute reduce_mean(const Graph& g, const Node& node, const std::vector<Accessor>& in) {
  const Shape xs = shape_of(g, node.inputs[0]);
  const std::vector<int64_t>& axes_attr = node.attrs.ints("axes");
  std::vector<bool> reduced(xs.size(), axes_attr.empty());
  for (int64_t axis : axes_attr)
    reduced[static_cast<size_t>(*graph::normalize_axis(axis, static_cast<int64_t>(xs.size())))] = true;
  const bool keepdims = node.attrs.i("keepdims") != 0;
  int64_t count = 1;
  for (size_t d = 0; d < xs.size(); ++d)
    if (reduced[d]) count *= xs[d];
  const Accessor x = in[0];
  ReducingCompute r;
  r.family = "reduce";
  r.shape = shape_of(g, node.outputs[0]);
  r.axis_names = numbered("i", r.shape.size());
  r.body = [=](const Indices& v) {
    ReductionAxes axes;
    std::vector<Expr> idx;
    size_t out = 0;
    for (size_t d = 0; d < xs.size(); ++d) {
      if (reduced[d]) {
        idx.push_back(axes.add(fmt::format("r{}", d), xs[d]));
        if (keepdims) ++out;
      } else {
        idx.push_back(v[out++]);
      }
    }
    return loop::sum(x(idx), axes.list());
  };
  r.finish = [count](const Expr& sum, const Indices&) {
    return sum / f32(static_cast<double>(count));
  };
  return NodeCompute{.reducing = std::move(r)};
}

// Two reductions along the axis, kept with a size-1 axis (the maximum, then the sum of
// exp(x - max)), and the quotient per element, as the reference computes it.
NodeCompute softmax(const Graph& g, const Node& node, const std::vector<Accessor>& in,
                    const StageNamer& namer) {
  const Shape xs = shape_of(g, node.inputs[0]);
  const auto axis = static_cast<size_t>(
      *graph::normalize_axis(node.attrs.i("axis"), static_cast<int64_t>(xs.size())));
  Shape kept = xs;
  kept[axis] = 1;
  const Accessor x = in[0];
  const std::string base = g.value(node.outputs[0]).name;
  const loop::ComputeOptions options{.axis_names = numbered("i", xs.size())};
  auto along_axis = [=](const std::vector<Var>& v, const Expr& k) {
    std::vector<Expr> idx = exprs(v);
    idx[axis] = k;
    return idx;
  };
  const loop::Tensor max_stage = loop::compute(
      namer(base + "_max"), kept,
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[axis]);
        return loop::maximum(x(along_axis(v, k.var)), {k});
      },
      options);
  const loop::Tensor sum_stage = loop::compute(
      namer(base + "_sum"), kept,
      [&](const std::vector<Var>& v) {
        const loop::Axis k = loop::reduce_axis("k", xs[axis]);
        return loop::sum(exp(x(along_axis(v, k.var)) - max_stage(exprs(v))), {k});
      },
      options);
  NodeCompute result;
  result.stages = {max_stage, sum_stage};
  result.outputs = {[=](const std::vector<Expr>& idx) {
    std::vector<Expr> at_kept = idx;
    at_kept[axis] = i32(0);
    return exp(x(idx) - max_stage(at_kept)) / sum_stage(at_kept);
  }};
  return result;
}

}  // namespace

NodeCompute reducing_compute(const Graph& g, const Node& node, const std::vector<Accessor>& in,
                             const StageNamer& namer, const std::vector<int64_t>& channel_blocks) {
  const std::string& op = node.op_name();
  if (op == "Conv") return conv(g, node, in, channel_blocks.empty() ? 1 : channel_blocks[0]);
  if (op == "MaxPool") return pool(g, node, in, true);
  if (op == "AveragePool") return pool(g, node, in, false);
  if (op == "GlobalAveragePool") return global_average_pool(g, node, in);
  if (op == "Gemm") return gemm(g, node, in);
  if (op == "MatMul") return matmul(g, node, in);
  if (op == "ReduceMean") return reduce_mean(g, node, in);
  if (op == "Softmax") return softmax(g, node, in, namer);
  NAS_CHECK(false, "node '{}': no compute definition for {}", node.name, op);
  return {};
}

}  // namespace nas::lower
