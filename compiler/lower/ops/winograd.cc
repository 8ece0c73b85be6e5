// Lowering of WinogradConv (compiler/graph/ops/winograd.cc) in the reference's three
// steps, over the tiles p of the output (n, tile row, tile column, in order):
//
//   stage padded [N, rows, cols, C]: the input with its padding over every tile's patch,
//                          channels last (the one stage that tests for the borders);
//   stage V [t*t, P, C]  = B^T d B per tile and input channel;
//   stage M [t*t, P, K]  = sum over c of V[e, p, c] * U[e, c, k]: t*t matrix products,
//                          which the default schedule runs as one dense product;
//   output [N, K, H, W]  = A^T M A at each element of its tile, plus the bias: a reduction
//                          of one term, so that the convolution's epilogue (activation,
//                          residual add) joins it as it joins a Conv.
//
// Each element of V is the sum of its nonzero terms, chosen by its place e = (a, b) in the
// tile through a chain of selects on e; each output element likewise by its place (i, j).
// The default schedule unrolls those loops (lower/default_schedule.cc), the selects fold,
// and within one unrolled tile LLVM shares the row sums (sum over j of B^T[b, j] d[i, j])
// between the elements that read them: the two transforms run as separable matrix
// products without a stage of their own. U, constant, is packed along K like a dense B.
#include <algorithm>

#include "compiler/graph/ops/winograd_transform.h"
#include "compiler/lower/compute_util.h"

namespace nas::lower {

using graph::Shape;
using loop::Expr;

namespace {

// sum of coefficient * term over the nonzero coefficients (+1 and -1 without a multiply),
// starting from a positive one where there is one (no 0 - x).
Expr linear_combination(std::vector<std::pair<double, Expr>> terms) {
  std::stable_partition(terms.begin(), terms.end(), [](const auto& t) { return t.first > 0; });
  Expr sum;
  for (const auto& [coefficient, term] : terms) {
    if (coefficient == 0) continue;
    const bool unit = coefficient == 1 || coefficient == -1;
    const Expr scaled = unit ? term : f32(std::abs(coefficient)) * term;
    if (!sum.defined()) sum = coefficient < 0 ? f32(0) - scaled : scaled;
    else sum = coefficient < 0 ? sum - scaled : sum + scaled;
  }
  return sum.defined() ? sum : f32(0);
}

// sum over (i, j) of left(i) * right(j) * term(i, j), as sum_i left(i) * (sum_j right(j) *
// term(i, j)) over the nonzero coefficients: a row of B^T d B (left = B^T[a, .], right =
// B^T[b, .]) or of A^T M A.
Expr two_sided(int64_t t, const std::function<double(int64_t)>& left,
               const std::function<double(int64_t)>& right,
               const std::function<Expr(int64_t, int64_t)>& term) {
  std::vector<std::pair<double, Expr>> rows;
  for (int64_t i = 0; i < t; ++i) {
    if (left(i) == 0) continue;
    std::vector<std::pair<double, Expr>> row;
    for (int64_t j = 0; j < t; ++j)
      if (right(j) != 0) row.emplace_back(right(j), term(i, j));
    rows.emplace_back(left(i), linear_combination(row));
  }
  return linear_combination(rows);
}

// choose(place) among `count` values by a chain of selects on `place`.
Expr select_by(const Expr& place, int64_t count, const std::function<Expr(int64_t)>& value) {
  Expr chosen = value(count - 1);
  for (int64_t e = count - 2; e >= 0; --e) chosen = select(eq(place, i32(e)), value(e), chosen);
  return chosen;
}

NodeCompute winograd_conv(const ComputeContext& c) {
  const Shape xs = c.input_shape(0), ys = c.output_shape();
  const int64_t m = c.attrs().i("tile");
  const graph::winograd::Matrices& f = graph::winograd::matrices(m);
  const int64_t t = f.t, tt = t * t;
  const int64_t channels = xs[1], outputs = ys[1];
  const int64_t tiles_h = graph::winograd::tiles(ys[2], m), tiles_w = graph::winograd::tiles(ys[3], m);
  const int64_t tiles = xs[0] * tiles_h * tiles_w;
  const std::vector<int64_t>& pads = c.attrs().ints("pads");
  const Accessor x = c.in(0), u = c.in(1);
  const Accessor bias = c.has_input(2) ? c.in(2) : Accessor();
  const std::string name = c.graph.value(c.node.outputs[0]).name;

  // The input with its padding, channels last, over every tile's patch: the transform then
  // reads it without a test, and loads a vector of channels at once.
  const int64_t rows = tiles_h * m + 2, cols = tiles_w * m + 2;
  const loop::Tensor padded = loop::compute(
      c.namer(name + "_padded"), {xs[0], rows, cols, channels},
      [&](const std::vector<loop::Var>& at) {
        const Expr r = plus(Expr(at[1]), -pads[0]), col = plus(Expr(at[2]), -pads[1]);
        const Expr inside = r >= 0 && r < xs[2] && col >= 0 && col < xs[3];
        const Expr clamped_r = min(max(r, 0), xs[2] - 1), clamped_c = min(max(col, 0), xs[3] - 1);
        return select(inside, x({at[0], at[3], clamped_r, clamped_c}), f32(0));
      },
      {.axis_names = {"n", "y", "x", "c"}});

  const loop::Tensor v = loop::compute(
      c.namer(name + "_v"), {tt, tiles, channels},
      [&](const std::vector<loop::Var>& at) {
        const Expr p = at[1];
        const Expr n = p / (tiles_h * tiles_w), th = p / tiles_w % tiles_h, tw = p % tiles_w;
        const auto d = [&](int64_t i, int64_t j) {
          return padded({n, plus(times(th, m), i), plus(times(tw, m), j), at[2]});
        };
        return select_by(at[0], tt, [&](int64_t e) {
          return two_sided(
              t, [&](int64_t i) { return f.BT(e / t, i); }, [&](int64_t j) { return f.BT(e % t, j); }, d);
        });
      },
      {.axis_names = {std::string(kWinogradTapAxis), "tile", "c"}});

  const loop::Tensor products = loop::compute(
      c.namer(name + "_m"), {tt, tiles, outputs},
      [&](const std::vector<loop::Var>& at) {
        ReductionAxes axes;
        const Expr ci = axes.add("c", channels);
        return loop::sum(v({at[0], at[1], ci}) * u({at[0], ci, at[2]}), axes.list());
      },
      {.axis_names = {"tap", "tile", "k"}});

  ReducingCompute r;
  r.shape = ys;
  r.axis_names = {"n", "k", "h", "w"};
  r.body = [=](const Indices& at) {
    const Expr th = at[2] / m, tw = at[3] / m;
    const Expr p = (at[0] * tiles_h + th) * tiles_w + tw;
    const Expr value = select_by(at[2] % m, m, [&](int64_t i) {
      return select_by(at[3] % m, m, [&](int64_t j) {
        return two_sided(
            t, [&](int64_t a) { return f.AT(i, a); }, [&](int64_t b) { return f.AT(j, b); },
            [&](int64_t a, int64_t b) { return products({i32(a * t + b), p, at[1]}); });
      });
    });
    ReductionAxes axes;
    return loop::sum(value, axes.list());
  };
  if (bias) r.finish = [bias](const Expr& reduced, const Indices& at) { return reduced + bias({at[1]}); };
  NodeCompute result;
  result.stages = {padded, v, products};
  result.reducing = std::move(r);
  return result;
}

}  // namespace

OpLowering lower_op_WinogradConv(const graph::OpDef&) {
  return OpLowering{
      .compute = winograd_conv,
      .family = always(ScheduleFamily::WinogradConv2d),
      // U [t*t, C, K] in blocks of a vector of output channels, as a dense product's B.
      .packed_input = [](const graph::Node&) -> std::optional<PackedInput> {
        return PackedInput{1, -1};
      },
  };
}

}  // namespace nas::lower
