// Reductions: ReduceMean, ReduceMax, Softmax, and the SoftmaxCrossEntropy loss, with their
// gradient ops.
//
// ReduceMax's gradient routes dy to the first maximal element of each reduced group in
// row-major order (as MaxPool's does within a window); its forward takes that element's
// value, so both read the same element, and an empty group gives -inf (ONNX).
#include <cmath>
#include <limits>

#include "compiler/graph/ops/op_helpers.h"

namespace nas::graph {
using namespace ops;

namespace {

// Product of shape[begin, end).
int64_t dim_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

}  // namespace

// ---- ReduceMean, ReduceMax -------------------------------------------------------------

namespace {

// Which axes of a rank-`rank` tensor the `axes` attribute reduces (empty: all of them).
std::vector<bool> reduced_axes(const InferContext& c, int64_t rank) {
  const std::vector<int64_t>& axes = c.attrs().ints("axes");
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (int64_t axis : axes) {
    const std::optional<int64_t> a = normalize_axis(axis, rank);
    if (!a) c.fail("axis {} is out of range for rank {}", axis, rank);
    if (reduced[*a]) c.fail("axis {} is listed twice in axes {}", axis, shape_str(axes));
    reduced[*a] = true;
  }
  return reduced;
}

// The input shape with reduced axes set to 1 (keepdims) or removed.
Shape reduced_shape(const Shape& in, const std::vector<bool>& reduced, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

struct ReduceGeometry {
  Shape in;         // the reduced tensor's shape
  Shape kept;       // the result with keepdims (same element order as without)
  int64_t count;    // elements averaged into each result
};

ReduceGeometry reduce_geometry(const Shape& in, const Attrs& attrs) {
  const std::vector<int64_t>& axes = attrs.ints("axes");
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<bool> reduced(in.size(), axes.empty());
  for (int64_t axis : axes) reduced[*normalize_axis(axis, rank)] = true;
  ReduceGeometry g{in, reduced_shape(in, reduced, true), 1};
  for (size_t i = 0; i < in.size(); ++i)
    if (reduced[i]) g.count *= in[i];
  return g;
}

template <class T>
void reduce_mean_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  Tensor& y = c.out(0);
  const ReduceGeometry g = reduce_geometry(x.shape(), c.attrs());
  const BroadcastIndex to_out(g.in, g.kept);
  const T* px = x.data<T>();
  T* py = y.data<T>();
  std::fill(py, py + y.numel(), T(0));
  for (int64_t i = 0; i < x.numel(); ++i) py[to_out(i)] += px[i];
  for (int64_t i = 0; i < y.numel(); ++i) py[i] /= static_cast<T>(g.count);
}

// ReduceMeanGrad(dy): dx[i] = dy[reduced(i)] / count.
template <class T>
void reduce_mean_grad_kernel(const KernelContext& c) {
  const Tensor& dy = c.in(0);
  Tensor& dx = c.out(0);
  const ReduceGeometry g = reduce_geometry(dx.shape(), c.attrs());
  const BroadcastIndex from_out(g.in, g.kept);
  const T* pdy = dy.data<T>();
  T* pdx = dx.data<T>();
  for (int64_t i = 0; i < dx.numel(); ++i) pdx[i] = pdy[from_out(i)] / static_cast<T>(g.count);
}

// For each result of a reduction g of x, the index in x of the group's first maximal
// element in row-major order; -1 for an empty group.
template <class T>
std::vector<int64_t> first_maxima(const T* x, const ReduceGeometry& g) {
  const BroadcastIndex to_out(g.in, g.kept);
  std::vector<int64_t> best(static_cast<size_t>(numel(g.kept)), -1);
  for (int64_t i = 0; i < numel(g.in); ++i) {
    int64_t& b = best[to_out(i)];
    if (b < 0 || x[i] > x[b]) b = i;
  }
  return best;
}

template <class T>
void reduce_max_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const T* px = x.data<T>();
  const std::vector<int64_t> best = first_maxima(px, reduce_geometry(x.shape(), c.attrs()));
  T* py = c.out(0).data<T>();
  for (size_t o = 0; o < best.size(); ++o)
    py[o] = best[o] < 0 ? -std::numeric_limits<T>::infinity() : px[best[o]];
}

// ReduceMaxGrad(dy, x): dx[i] = dy of i's group where i is the group's first maximum, else 0.
template <class T>
void reduce_max_grad_kernel(const KernelContext& c) {
  const Tensor& x = c.in(1);
  Tensor& dx = c.out(0);
  const std::vector<int64_t> best =
      first_maxima(x.data<T>(), reduce_geometry(x.shape(), c.attrs()));
  const T* pdy = c.in(0).data<T>();
  T* pdx = dx.data<T>();
  std::fill(pdx, pdx + dx.numel(), T(0));
  for (size_t o = 0; o < best.size(); ++o)
    if (best[o] >= 0) pdx[best[o]] = pdy[o];
}

std::vector<TensorType> reduce_infer(const InferContext& c) {
  expect_float(c, 0);
  const TensorType& x = c.input(0);
  return {TensorType{x.dtype, reduced_shape(x.shape, reduced_axes(c, x.rank()),
                                            c.attrs().i("keepdims") != 0)}};
}

std::vector<AttrSpec> reduce_attrs() {
  return {{"axes", AttrKind::Ints, std::vector<int64_t>{}},
          {"keepdims", AttrKind::Int, int64_t{1}}};
}

}  // namespace

OpDef make_op_ReduceMean() {
  return OpDef{
      .name = "ReduceMean",
      .doc = "mean over `axes` (empty: all axes), keeping them as size 1 when keepdims",
      .attrs = reduce_attrs(),
      .fusion = FusionClass::Reduction,
      .infer = reduce_infer,
      .kernel = NAS_FLOAT_KERNEL(reduce_mean_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("ReduceMeanGrad", {g.dy()},
                      {{"axes", g.node.attrs.ints("axes")},
                       {"keepdims", g.node.attrs.i("keepdims")},
                       {"input_shape", g.type(g.x(0)).shape}})};
      },
      .flops = [](const InferContext& c) {
        // One add per input element, one divide per output element.
        const TensorType& x = c.input(0);
        return x.numel() + numel(reduced_shape(x.shape, reduced_axes(c, x.rank()), false));
      },
      .onnx = {.op_type = "ReduceMean",
               .since_opset = 11,
               .attr_inputs = {{"axes", 1, 18, DType::I64}}},
  };
}

OpDef make_op_ReduceMeanGrad() {
  return OpDef{
      .name = "ReduceMeanGrad",
      .doc = "gradient of ReduceMean: dy broadcast back to input_shape, divided by the count",
      .attrs = {{"axes", AttrKind::Ints, std::vector<int64_t>{}},
                {"keepdims", AttrKind::Int, int64_t{1}},
                {"input_shape", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Broadcast,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_float(c, 0);
        const Shape& in = c.attrs().ints("input_shape");
        const Shape expected = reduced_shape(in, reduced_axes(c, static_cast<int64_t>(in.size())),
                                             c.attrs().i("keepdims") != 0);
        if (c.input(0).shape != expected)
          c.fail("dy is {}, the ReduceMean output is {}", shape_str(c.input(0).shape),
                 shape_str(expected));
        return {TensorType{c.input(0).dtype, in}};
      },
      .kernel = NAS_FLOAT_KERNEL(reduce_mean_grad_kernel),
      .gradient_of = "ReduceMean",
      .flops = [](const InferContext& c) { return numel(c.attrs().ints("input_shape")); },
  };
}

OpDef make_op_ReduceMax() {
  return OpDef{
      .name = "ReduceMax",
      .doc = "maximum over `axes` (empty: all axes), keeping them as size 1 when keepdims",
      .attrs = reduce_attrs(),
      .fusion = FusionClass::Reduction,
      .infer = reduce_infer,
      .kernel = NAS_FLOAT_KERNEL(reduce_max_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("ReduceMaxGrad", {g.dy(), g.x(0)},
                      {{"axes", g.node.attrs.ints("axes")},
                       {"keepdims", g.node.attrs.i("keepdims")}})};
      },
      .flops = [](const InferContext& c) { return c.input(0).numel(); },  // one comparison each
      .onnx = {.op_type = "ReduceMax",
               .since_opset = 13,
               .attr_inputs = {{"axes", 1, 18, DType::I64}}},
  };
}

OpDef make_op_ReduceMaxGrad() {
  return OpDef{
      .name = "ReduceMaxGrad",
      .doc = "gradient of ReduceMax: dy at the first maximum (row-major) of each reduced group "
             "of x, 0 elsewhere; inputs (dy, x)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = reduce_attrs(),
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_float(c, 1);
        const TensorType& x = c.input(1);
        const bool keepdims = c.attrs().i("keepdims") != 0;
        const TensorType expected{x.dtype,
                                  reduced_shape(x.shape, reduced_axes(c, x.rank()), keepdims)};
        if (c.input(0) != expected)
          c.fail("dy is {}, the ReduceMax output is {}", c.input(0).str(), expected.str());
        return {x};
      },
      .kernel = NAS_FLOAT_KERNEL(reduce_max_grad_kernel),
      .gradient_of = "ReduceMax",
      // The forward's comparisons again, then one store per element.
      .flops = [](const InferContext& c) { return 2 * c.input(1).numel(); },
  };
}

// ---- Softmax ---------------------------------------------------------------------------

namespace {

// A tensor seen as [outer, len, inner] around one axis.
struct AxisGeometry {
  int64_t outer, len, inner;
  int64_t at(int64_t o, int64_t k, int64_t i) const { return (o * len + k) * inner + i; }
};

AxisGeometry axis_geometry(const Shape& shape, int64_t axis) {
  const auto a = static_cast<size_t>(*normalize_axis(axis, static_cast<int64_t>(shape.size())));
  return {dim_product(shape, 0, a), shape[a], dim_product(shape, a + 1, shape.size())};
}

std::vector<TensorType> softmax_infer(const InferContext& c) {
  expect_float(c, 0);
  const int64_t axis = c.attrs().i("axis");
  if (!normalize_axis(axis, c.input(0).rank()))
    c.fail("axis {} is out of range for input {}", axis, c.input(0).str());
  return {c.input(0)};
}

// log(softmax(x)) along the middle axis of g, stable: x - max - log(sum(exp(x - max))).
template <class T>
void log_softmax(const AxisGeometry& g, const T* x, T* out) {
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      T max = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < g.len; ++k) max = std::max(max, x[g.at(o, k, i)]);
      T sum = 0;
      for (int64_t k = 0; k < g.len; ++k) sum += std::exp(x[g.at(o, k, i)] - max);
      const T log_sum = std::log(sum);
      for (int64_t k = 0; k < g.len; ++k) out[g.at(o, k, i)] = x[g.at(o, k, i)] - max - log_sum;
    }
}

template <class T>
void softmax_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const AxisGeometry g = axis_geometry(x.shape(), c.attrs().i("axis"));
  const T* px = x.data<T>();
  T* py = c.out(0).data<T>();
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      T max = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < g.len; ++k) max = std::max(max, px[g.at(o, k, i)]);
      T sum = 0;
      for (int64_t k = 0; k < g.len; ++k) {
        py[g.at(o, k, i)] = std::exp(px[g.at(o, k, i)] - max);
        sum += py[g.at(o, k, i)];
      }
      for (int64_t k = 0; k < g.len; ++k) py[g.at(o, k, i)] /= sum;
    }
}

// SoftmaxGrad(dy, y): dx = y * (dy - sum(dy * y, axis)).
template <class T>
void softmax_grad_kernel(const KernelContext& c) {
  const AxisGeometry g = axis_geometry(c.in(0).shape(), c.attrs().i("axis"));
  const T* pdy = c.in(0).data<T>();
  const T* py = c.in(1).data<T>();
  T* pdx = c.out(0).data<T>();
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      T dot = 0;
      for (int64_t k = 0; k < g.len; ++k) dot += pdy[g.at(o, k, i)] * py[g.at(o, k, i)];
      for (int64_t k = 0; k < g.len; ++k)
        pdx[g.at(o, k, i)] = py[g.at(o, k, i)] * (pdy[g.at(o, k, i)] - dot);
    }
}

}  // namespace

OpDef make_op_Softmax() {
  return OpDef{
      .name = "Softmax",
      .doc = "exp(x) / sum(exp(x)) along `axis`, computed stably (opset 13 semantics)",
      .attrs = {{"axis", AttrKind::Int, int64_t{-1}}},
      .fusion = FusionClass::Reduction,
      .infer = softmax_infer,
      .kernel = NAS_FLOAT_KERNEL(softmax_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("SoftmaxGrad", {g.dy(), g.y(0)}, {{"axis", g.node.attrs.i("axis")}})};
      },
      // max, subtract-and-exp, sum, divide per element.
      .flops = [](const InferContext& c) { return 4 * c.input(0).numel(); },
      .onnx = {.op_type = "Softmax", .since_opset = 13},
  };
}

OpDef make_op_SoftmaxGrad() {
  return OpDef{
      .name = "SoftmaxGrad",
      .doc = "gradient of Softmax: y * (dy - sum(dy * y, axis)); inputs (dy, y)",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = {{"axis", AttrKind::Int, int64_t{-1}}},
      .fusion = FusionClass::Reduction,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_float(c, 1);
        if (c.input(0) != c.input(1))
          c.fail("dy {} and y {} differ in type", c.input(0).str(), c.input(1).str());
        return softmax_infer(c);
      },
      .kernel = NAS_FLOAT_KERNEL(softmax_grad_kernel),
      .gradient_of = "Softmax",
      .flops = [](const InferContext& c) { return 4 * c.input(0).numel(); },
  };
}

// ---- SoftmaxCrossEntropy ---------------------------------------------------------------

namespace {

// ONNX's ignore_index has no default; this sentinel means "no ignored label". The ONNX
// exporter omits the attribute when it holds the sentinel.
constexpr int64_t kNoIgnoreIndex = std::numeric_limits<int64_t>::min();

// Shape checks shared by the loss and its gradient op. Inputs: scores [N,C,d...] at
// `scores`, labels i64 [N,d...] at scores+1, optional weights [C] at scores+2.
void check_cross_entropy_inputs(const InferContext& c, size_t scores) {
  expect_float(c, scores);
  const TensorType& s = c.input(scores);
  const TensorType& l = c.input(scores + 1);
  if (s.rank() < 2) c.fail("scores must be [N, C, ...] of rank >= 2, got {}", s.str());
  if (l.dtype != DType::I64) c.fail("labels must be i64, got {}", l.str());
  Shape expected{s.shape[0]};
  expected.insert(expected.end(), s.shape.begin() + 2, s.shape.end());
  if (l.shape != expected)
    c.fail("labels must be {} for scores {}, got {}", shape_str(expected), shape_str(s.shape),
           shape_str(l.shape));
  if (c.has_input(scores + 2)) {
    const TensorType& w = c.input(scores + 2);
    if (w.dtype != s.dtype || w.shape != Shape{s.shape[1]})
      c.fail("weights must be {} (one per class), got {}",
             TensorType{s.dtype, {s.shape[1]}}.str(), w.str());
  }
  const std::string& reduction = c.attrs().s("reduction");
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    c.fail("reduction must be \"mean\", \"sum\" or \"none\", got \"{}\"", reduction);
}

// Per-sample data of the loss: log-probabilities, and for each sample (n, d...) its label's
// weight (0 when ignored), plus the divisor of "mean".
template <class T>
struct CrossEntropyParts {
  AxisGeometry geometry;     // scores as [N, C, D]
  std::vector<T> log_prob;   // scores' shape
  std::vector<T> weight;     // [N*D]
  std::vector<int64_t> label;
  T weight_sum = 0;

  CrossEntropyParts(const KernelContext& c, size_t scores) {
    const Tensor& s = c.in(scores);
    const Tensor& labels = c.in(scores + 1);
    geometry = axis_geometry(s.shape(), 1);
    log_prob.resize(static_cast<size_t>(s.numel()));
    log_softmax(geometry, s.data<T>(), log_prob.data());
    const int64_t ignore = c.attrs().i("ignore_index");
    const T* w = c.has_input(scores + 2) ? c.in(scores + 2).data<T>() : nullptr;
    const int64_t* pl = labels.data<int64_t>();
    for (int64_t i = 0; i < labels.numel(); ++i) {
      const int64_t l = pl[i];
      label.push_back(l);
      if (l == ignore) {
        weight.push_back(0);
        continue;
      }
      if (l < 0 || l >= geometry.len)
        user_error("node '{}' ({}): label {} at index {} is outside [0, {})", c.node.name,
                   c.node.op_name(), l, i, geometry.len);
      weight.push_back(w ? w[l] : T(1));
      weight_sum += weight.back();
    }
  }
  // Index in scores of sample i's class k.
  int64_t at(int64_t i, int64_t k) const {
    return geometry.at(i / geometry.inner, k, i % geometry.inner);
  }
};

template <class T>
void cross_entropy_kernel(const KernelContext& c) {
  const CrossEntropyParts<T> p(c, 0);
  const std::string& reduction = c.attrs().s("reduction");
  T* loss = c.out(0).data<T>();
  T total = 0;
  for (size_t i = 0; i < p.label.size(); ++i) {
    const T li = p.weight[i] == T(0) ? T(0) : -p.weight[i] * p.log_prob[p.at(i, p.label[i])];
    if (reduction == "none") loss[i] = li;
    total += li;
  }
  if (reduction == "sum") loss[0] = total;
  if (reduction == "mean") loss[0] = total / p.weight_sum;  // ONNX: 0/0 when all ignored
  if (c.outputs.size() > 1)
    std::copy(p.log_prob.begin(), p.log_prob.end(), c.out(1).data<T>());
}

// SoftmaxCrossEntropyGrad(dloss, scores, labels[, weights]) -> dscores:
// dscores[n,k] = coef[n] * (softmax[n,k] - (k == label[n])), coef = weight * dloss[n]
// ("none"), weight * dloss ("sum") or weight * dloss / sum of weights ("mean").
template <class T>
void cross_entropy_grad_kernel(const KernelContext& c) {
  const CrossEntropyParts<T> p(c, 1);
  const std::string& reduction = c.attrs().s("reduction");
  const T* dloss = c.in(0).data<T>();
  T* ds = c.out(0).data<T>();
  for (size_t i = 0; i < p.label.size(); ++i) {
    T coef = p.weight[i] * (reduction == "none" ? dloss[i] : dloss[0]);
    if (reduction == "mean") coef /= p.weight_sum;
    for (int64_t k = 0; k < p.geometry.len; ++k) {
      const int64_t at = p.at(static_cast<int64_t>(i), k);
      ds[at] = coef * (std::exp(p.log_prob[at]) - (k == p.label[i] ? T(1) : T(0)));
    }
  }
}

Shape cross_entropy_loss_shape(const InferContext& c, size_t labels) {
  return c.attrs().s("reduction") == "none" ? c.input(labels).shape : Shape{};
}

std::vector<AttrSpec> cross_entropy_attrs() {
  return {{"reduction", AttrKind::String, std::string("mean")},
          {"ignore_index", AttrKind::Int, kNoIgnoreIndex}};
}

// The log_prob output's gradient: d/dscores of sum(dlp * log_softmax(scores)) is
// dlp - softmax(scores) * sum(dlp, classes), built from registered ops.
ValueId log_prob_gradient(GradContext& g, ValueId dlp) {
  const Shape& shape = g.type(g.x(0)).shape;
  Shape summed = shape;
  summed[1] = 1;
  const ValueId softmax = g.add("Softmax", {g.x(0)}, {{"axis", int64_t{1}}});
  const ValueId sum = g.add("ReduceSumTo", {dlp}, {{"shape", summed}});
  const ValueId minus_one =
      g.graph.add_constant(g.graph.fresh_name(g.node.name + ".minus_one"), Tensor::scalar_f32(-1));
  const ValueId correction = g.add("Mul", {g.add("Mul", {softmax, sum}), minus_one});
  return g.add("Add", {dlp, correction});
}

}  // namespace

OpDef make_op_SoftmaxCrossEntropy() {
  return OpDef{
      .name = "SoftmaxCrossEntropy",
      .doc = "cross-entropy of softmax(scores) along axis 1 with i64 labels; optional class "
             "weights, ignore_index; outputs loss and log_prob",
      .min_inputs = 2,
      .max_inputs = 3,
      // The shape function always gives both outputs; ONNX nodes may list only the loss.
      .num_outputs = 2,
      .min_outputs = 1,
      .attrs = cross_entropy_attrs(),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        check_cross_entropy_inputs(c, 0);
        const DType t = c.input(0).dtype;
        return {TensorType{t, cross_entropy_loss_shape(c, 1)}, c.input(0)};
      },
      .kernel = NAS_FLOAT_KERNEL(cross_entropy_kernel),
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        if (g.wants_grad(2))
          user_error("node '{}' (SoftmaxCrossEntropy): the gradient with respect to the class "
                     "weights (input 2) is not supported; make the weights a constant",
                     g.node.name);
        std::vector<ValueId> grads(g.node.inputs.size(), kNoValue);  // labels: none
        if (!g.wants_grad(0)) return grads;
        ValueId dscores = kNoValue;
        if (g.dy(0) != kNoValue) {
          std::vector<ValueId> inputs{g.dy(0), g.x(0), g.x(1)};
          if (g.node.inputs.size() > 2) inputs.push_back(g.x(2));
          dscores = g.add("SoftmaxCrossEntropyGrad", inputs,
                          {{"reduction", g.node.attrs.s("reduction")},
                           {"ignore_index", g.node.attrs.i("ignore_index")}});
        }
        if (g.node.outputs.size() > 1 && g.dy(1) != kNoValue) {
          const ValueId from_log_prob = log_prob_gradient(g, g.dy(1));
          dscores = dscores == kNoValue ? from_log_prob : g.add("Add", {dscores, from_log_prob});
        }
        grads[0] = dscores;
        return grads;
      },
      // Per score: max, subtract-and-exp, sum, log-softmax; per sample: pick, weight, add.
      .flops = [](const InferContext& c) {
        return 4 * c.input(0).numel() + 3 * c.input(1).numel();
      },
      .onnx = {.op_type = "SoftmaxCrossEntropyLoss", .since_opset = 12},
  };
}

OpDef make_op_SoftmaxCrossEntropyGrad() {
  return OpDef{
      .name = "SoftmaxCrossEntropyGrad",
      .doc = "gradient of SoftmaxCrossEntropy's loss wrt scores; inputs (dloss, scores, "
             "labels[, weights])",
      .min_inputs = 3,
      .max_inputs = 4,
      .attrs = cross_entropy_attrs(),
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        check_cross_entropy_inputs(c, 1);
        const TensorType expected{c.input(1).dtype, cross_entropy_loss_shape(c, 2)};
        if (c.input(0) != expected)
          c.fail("dloss must be {}, got {}", expected.str(), c.input(0).str());
        return {c.input(1)};
      },
      .kernel = NAS_FLOAT_KERNEL(cross_entropy_grad_kernel),
      .gradient_of = "SoftmaxCrossEntropy",
      .flops = [](const InferContext& c) { return 4 * c.input(1).numel(); },
  };
}

}  // namespace nas::graph
