// Shape and data-movement ops: the shape arithmetic of torch-style ONNX exports (Shape,
// Gather, Unsqueeze, Concat on i64 data; the importer folds it into constants since shapes
// are static) and the data movement of CNNs (Flatten, Reshape, Transpose, Concat, Split,
// Slice, Pad, Squeeze, Unsqueeze).
//
// Values that ONNX passes as constant inputs (Reshape's shape, Slice's starts, Pad's pads...)
// are attributes here, because shape functions see only types. Every kernel but Pad's is a
// byte copy of elements chosen by index arithmetic, so it serves f32, f64 and i64 data alike;
// Pad fills in a float constant and takes float data.
#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <variant>

#include <fmt/ranges.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/graph/ops/pad_geometry.h"
#include "compiler/graph/ops/slice_axes.h"

namespace nas::graph {
using namespace ops;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// out[i] = in[source(i)] for every element of out, whatever the element type.
template <class SourceIndex>
void copy_elements(const Tensor& in, Tensor& out, SourceIndex source) {
  NAS_CHECK(in.dtype() == out.dtype(), "copy from {} to {}", in.type().str(), out.type().str());
  const int64_t size = dtype_size(in.dtype());
  const std::byte* src = in.raw();
  std::byte* dst = out.raw();
  for (int64_t i = 0; i < out.numel(); ++i)
    std::memcpy(dst + i * size, src + source(i) * size, static_cast<size_t>(size));
}

// Same data, new shape: the kernel of every reshape-like op.
void copy_kernel(const KernelContext& c) {
  copy_elements(c.in(0), c.out(0), [](int64_t i) { return i; });
}

// Coordinates of linear index `index` in a row-major tensor of `shape`.
std::vector<int64_t> unravel(int64_t index, const Shape& shape) {
  std::vector<int64_t> coords(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    coords[axis] = index % shape[axis];
    index /= shape[axis];
  }
  return coords;
}

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

// Normalises an axis or fails naming the attribute.
int64_t axis_or_fail(const InferContext& c, const std::string& attr, int64_t axis, int64_t rank) {
  std::optional<int64_t> a = normalize_axis(axis, rank);
  if (!a)
    c.fail("{} {} is out of range for rank {} (expected {} to {})", attr, axis, rank, -rank,
           rank - 1);
  return *a;
}

// Normalised, duplicate-free axes of an Ints attribute.
std::vector<int64_t> axes_or_fail(const InferContext& c, const std::string& attr, int64_t rank) {
  std::vector<int64_t> axes;
  std::set<int64_t> seen;
  for (int64_t axis : c.attrs().ints(attr)) {
    const int64_t a = axis_or_fail(c, attr + " entry", axis, rank);
    if (!seen.insert(a).second)
      c.fail("{} {} names axis {} twice", attr, shape_str(c.attrs().ints(attr)), a);
    axes.push_back(a);
  }
  return axes;
}

// Gradient of a reshape-like op: dy reshaped back to the input's shape.
ValueId reshape_back(GradContext& g, ValueId grad, const Shape& shape) {
  const bool has_zero = std::find(shape.begin(), shape.end(), 0) != shape.end();
  return g.add("Reshape", {grad}, {{"shape", shape}, {"allowzero", int64_t{has_zero ? 1 : 0}}});
}

std::vector<ValueId> reshape_back_gradient(GradContext& g) {
  return {reshape_back(g, g.dy(), g.type(g.x(0)).shape)};
}

}  // namespace

// ---- Flatten ---------------------------------------------------------------------------

OpDef make_op_Flatten() {
  return OpDef{
      .name = "Flatten",
      .doc = "2-D view [prod(dims[:axis]), prod(dims[axis:])]",
      .attrs = {{"axis", AttrKind::Int, int64_t{1}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        const int64_t rank = x.rank();
        int64_t axis = c.attrs().i("axis");
        if (axis < -rank || axis > rank)
          c.fail("axis {} is out of range for rank {} (expected {} to {})", axis, rank, -rank,
                 rank);
        if (axis < 0) axis += rank;
        const auto split = static_cast<size_t>(axis);
        return {TensorType{x.dtype, {product(x.shape, 0, split),
                                     product(x.shape, split, x.shape.size())}}};
      },
      .kernel = copy_kernel,
      .gradient = reshape_back_gradient,
      .onnx = {.op_type = "Flatten", .since_opset = 13},
  };
}

// ---- Reshape ---------------------------------------------------------------------------

OpDef make_op_Reshape() {
  return OpDef{
      .name = "Reshape",
      .doc = "same data under `shape` (0 copies the input dim unless allowzero, -1 is inferred)",
      .attrs = {{"shape", AttrKind::Ints, std::nullopt},
                {"allowzero", AttrKind::Int, int64_t{0}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        const Shape& spec = c.attrs().ints("shape");
        const bool allowzero = c.attrs().i("allowzero") != 0;
        Shape out(spec.size());
        int64_t inferred = -1;  // position of the -1
        int64_t known = 1;
        for (size_t i = 0; i < spec.size(); ++i) {
          const int64_t d = spec[i];
          if (d == -1) {
            if (inferred >= 0) c.fail("shape {} has more than one -1", shape_str(spec));
            inferred = static_cast<int64_t>(i);
            continue;
          }
          if (d < -1) c.fail("shape {} has negative dimension {}", shape_str(spec), d);
          if (d == 0 && !allowzero) {
            if (static_cast<int64_t>(i) >= x.rank())
              c.fail("shape {} copies dimension {} (a 0) but the input {} has rank {}",
                     shape_str(spec), i, x.str(), x.rank());
            out[i] = x.shape[i];
          } else {
            out[i] = d;
          }
          known *= out[i];
        }
        if (allowzero && inferred >= 0 && std::find(spec.begin(), spec.end(), 0) != spec.end())
          c.fail("shape {} has both 0 and -1, which allowzero=1 forbids", shape_str(spec));
        if (inferred >= 0) {
          if (known == 0 || x.numel() % known != 0)
            c.fail("cannot infer the -1 of shape {} for input {} ({} elements)",
                   shape_str(spec), x.str(), x.numel());
          out[static_cast<size_t>(inferred)] = x.numel() / known;
        }
        if (numel(out) != x.numel())
          c.fail("shape {} resolves to {} ({} elements) but the input {} has {}",
                 shape_str(spec), shape_str(out), numel(out), x.str(), x.numel());
        return {TensorType{x.dtype, out}};
      },
      .kernel = copy_kernel,
      .gradient = reshape_back_gradient,
      .onnx = {.op_type = "Reshape",
               .since_opset = 14,
               .attr_inputs = {{"shape", 1, 5, DType::I64}}},
  };
}

// ---- Transpose -------------------------------------------------------------------------

namespace {
std::vector<int64_t> perm_of(const Attrs& attrs, int64_t rank) {
  std::vector<int64_t> perm = attrs.ints("perm");
  if (perm.empty())
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  return perm;
}

void transpose_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  Tensor& y = c.out(0);
  const std::vector<int64_t> perm = perm_of(c.attrs(), x.rank());
  const std::vector<int64_t> in_strides = contiguous_strides(x.shape());
  copy_elements(x, y, [&](int64_t i) {
    const std::vector<int64_t> coords = unravel(i, y.shape());
    int64_t source = 0;
    for (size_t a = 0; a < coords.size(); ++a) source += coords[a] * in_strides[perm[a]];
    return source;
  });
}
}  // namespace

OpDef make_op_Transpose() {
  return OpDef{
      .name = "Transpose",
      .doc = "permutes axes: out.shape[i] = in.shape[perm[i]] (empty perm reverses)",
      .attrs = {{"perm", AttrKind::Ints, std::vector<int64_t>{}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        const std::vector<int64_t> perm = perm_of(c.attrs(), x.rank());
        std::vector<int64_t> sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        bool is_perm = static_cast<int64_t>(perm.size()) == x.rank();
        for (size_t i = 0; is_perm && i < sorted.size(); ++i)
          is_perm = sorted[i] == static_cast<int64_t>(i);
        if (!is_perm)
          c.fail("perm {} is not a permutation of 0..{} for input {}", shape_str(perm),
                 x.rank() - 1, x.str());
        Shape out;
        for (int64_t p : perm) out.push_back(x.shape[p]);
        return {TensorType{x.dtype, out}};
      },
      .kernel = transpose_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        const std::vector<int64_t> perm = perm_of(g.node.attrs, g.type(g.x(0)).rank());
        std::vector<int64_t> inverse(perm.size());
        for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
        return {g.add("Transpose", {g.dy()}, {{"perm", inverse}})};
      },
      .onnx = {.op_type = "Transpose", .since_opset = 13},
  };
}

// ---- Concat ----------------------------------------------------------------------------

namespace {
// Copies `parts` into / out of one tensor along `axis`: the common loop of Concat and
// Split. For each outer index, part p's block of dim_p * inner elements sits at offset
// (sum of earlier dims) * inner in the whole tensor's row of total * inner elements.
void concat_blocks(const std::vector<const Tensor*>& parts, Tensor& whole, int64_t axis) {
  const int64_t size = dtype_size(whole.dtype());
  const auto a = static_cast<size_t>(axis);
  const int64_t outer = product(whole.shape(), 0, a);
  const int64_t inner = product(whole.shape(), a + 1, whole.shape().size());
  const int64_t row = whole.dim(axis) * inner;
  int64_t offset = 0;
  for (const Tensor* part : parts) {
    NAS_CHECK(part->dtype() == whole.dtype(), "concat of {} into {}", part->type().str(),
              whole.type().str());
    const int64_t block = part->dim(axis) * inner;
    if (block == 0) continue;  // empty part: nothing to copy (and its data may be null)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(whole.raw() + (o * row + offset) * size, part->raw() + o * block * size,
                  static_cast<size_t>(block * size));
    offset += block;
  }
}

void split_blocks(const Tensor& whole, const std::vector<Tensor*>& parts, int64_t axis) {
  const int64_t size = dtype_size(whole.dtype());
  const auto a = static_cast<size_t>(axis);
  const int64_t outer = product(whole.shape(), 0, a);
  const int64_t inner = product(whole.shape(), a + 1, whole.shape().size());
  const int64_t row = whole.dim(axis) * inner;
  int64_t offset = 0;
  for (Tensor* part : parts) {
    NAS_CHECK(part->dtype() == whole.dtype(), "split of {} into {}", whole.type().str(),
              part->type().str());
    const int64_t block = part->dim(axis) * inner;
    if (block == 0) continue;  // empty part: nothing to copy (and its data may be null)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(part->raw() + o * block * size, whole.raw() + (o * row + offset) * size,
                  static_cast<size_t>(block * size));
    offset += block;
  }
}

void concat_kernel(const KernelContext& c) {
  Tensor& y = c.out(0);
  const int64_t axis = *normalize_axis(c.attrs().i("axis"), y.rank());
  std::vector<const Tensor*> parts;
  for (size_t i = 0; i < c.inputs.size(); ++i) parts.push_back(&c.in(i));
  concat_blocks(parts, y, axis);
}
}  // namespace

OpDef make_op_Concat() {
  return OpDef{
      .name = "Concat",
      .doc = "joins the inputs along `axis`",
      .min_inputs = 1,
      .max_inputs = 1 << 20,
      .attrs = {{"axis", AttrKind::Int, std::nullopt}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& first = c.input(0);
        if (first.rank() == 0) c.fail("input 0 is a scalar {}; Concat needs rank >= 1", first.str());
        const int64_t axis = axis_or_fail(c, "axis", c.attrs().i("axis"), first.rank());
        Shape out = first.shape;
        out[axis] = 0;
        for (size_t i = 0; i < c.num_inputs(); ++i) {
          const TensorType& t = c.input(i);
          bool same = t.dtype == first.dtype && t.rank() == first.rank();
          for (int64_t a = 0; same && a < t.rank(); ++a)
            same = a == axis || t.shape[a] == first.shape[a];
          if (!same)
            c.fail("input {} is {} but input 0 is {}; they must agree except on axis {}", i,
                   t.str(), first.str(), axis);
          out[axis] += t.shape[axis];
        }
        return {TensorType{first.dtype, out}};
      },
      .kernel = concat_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        const int64_t rank = g.type(g.y(0)).rank();
        const int64_t axis = *normalize_axis(g.node.attrs.i("axis"), rank);
        std::vector<ValueId> grads(g.node.inputs.size(), kNoValue);
        int64_t offset = 0;
        for (size_t i = 0; i < g.node.inputs.size(); ++i) {
          const int64_t len = g.type(g.x(i)).shape[axis];
          if (g.wants_grad(i))
            grads[i] = g.add("Slice", {g.dy()},
                             {{"starts", std::vector<int64_t>{offset}},
                              {"ends", std::vector<int64_t>{offset + len}},
                              {"axes", std::vector<int64_t>{axis}}});
          offset += len;
        }
        return grads;
      },
      .onnx = {.op_type = "Concat", .since_opset = 13},
  };
}

// ---- Split -----------------------------------------------------------------------------

namespace {
void split_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  const int64_t axis = *normalize_axis(c.attrs().i("axis"), x.rank());
  split_blocks(x, std::vector<Tensor*>(c.outputs.begin(), c.outputs.end()), axis);
}
}  // namespace

OpDef make_op_Split() {
  return OpDef{
      .name = "Split",
      .doc = "splits along `axis` into parts of sizes `split`, or num_outputs equal parts",
      .num_outputs = -1,
      .attrs = {{"axis", AttrKind::Int, int64_t{0}},
                {"split", AttrKind::Ints, std::vector<int64_t>{}},
                {"num_outputs", AttrKind::Int, int64_t{0}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        if (x.rank() == 0) c.fail("input is a scalar {}; Split needs rank >= 1", x.str());
        const int64_t axis = axis_or_fail(c, "axis", c.attrs().i("axis"), x.rank());
        const int64_t dim = x.shape[axis];
        std::vector<int64_t> sizes = c.attrs().ints("split");
        const int64_t count = c.attrs().i("num_outputs");
        if (count < 0) c.fail("num_outputs is {}, expected >= 1 (or 0 to use split)", count);
        if (sizes.empty()) {
          if (count == 0) c.fail("needs either split sizes or num_outputs");
          if (dim % count != 0)
            c.fail("axis {} of input {} (size {}) does not split into {} equal parts", axis,
                   x.str(), dim, count);
          sizes.assign(static_cast<size_t>(count), dim / count);
        } else {
          if (count != 0 && count != static_cast<int64_t>(sizes.size()))
            c.fail("split {} has {} sizes but num_outputs is {}", shape_str(sizes),
                   sizes.size(), count);
          int64_t total = 0;
          for (int64_t s : sizes) {
            if (s < 0) c.fail("split {} has negative size {}", shape_str(sizes), s);
            total += s;
          }
          if (total != dim)
            c.fail("split {} sums to {} but axis {} of input {} has size {}", shape_str(sizes),
                   total, axis, x.str(), dim);
        }
        std::vector<TensorType> outs;
        for (int64_t s : sizes) {
          TensorType t = x;
          t.shape[axis] = s;
          outs.push_back(t);
        }
        return outs;
      },
      .kernel = split_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        std::vector<ValueId> parts;
        for (size_t i = 0; i < g.node.outputs.size(); ++i) {
          ValueId d = g.dy(i);
          if (d == kNoValue)
            d = g.graph.add_constant(g.graph.fresh_name(g.node.name + ".zeros"),
                                     Tensor(g.type(g.y(i))));
          parts.push_back(d);
        }
        return {g.add("Concat", parts, {{"axis", g.node.attrs.i("axis")}})};
      },
      .onnx = {.op_type = "Split",
               .since_opset = 13,
               .attr_inputs = {{"split", 1, 13, DType::I64}}},
  };
}

// ---- Slice, SliceGrad ------------------------------------------------------------------

namespace {
std::vector<SliceAxis> slice_axes_or_fail(const InferContext& c, const Shape& shape) {
  auto result = slice_axes(shape, c.attrs());
  if (auto* error = std::get_if<std::string>(&result)) c.fail_message(*error);
  return std::get<std::vector<SliceAxis>>(result);
}

Shape sliced_shape(const std::vector<SliceAxis>& axes) {
  Shape out;
  for (const SliceAxis& a : axes) out.push_back(a.len);
  return out;
}

// Linear index in the full tensor of element `i` of the slice.
int64_t slice_source(int64_t i, const Shape& sliced, const std::vector<SliceAxis>& axes,
                     const std::vector<int64_t>& full_strides) {
  const std::vector<int64_t> coords = unravel(i, sliced);
  int64_t source = 0;
  for (size_t a = 0; a < coords.size(); ++a)
    source += (axes[a].start + coords[a] * axes[a].step) * full_strides[a];
  return source;
}

void slice_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  Tensor& y = c.out(0);
  const std::vector<SliceAxis> axes = slice_axes_checked(c.node, x.shape());
  const std::vector<int64_t> strides = contiguous_strides(x.shape());
  copy_elements(x, y, [&](int64_t i) { return slice_source(i, y.shape(), axes, strides); });
}

// dx = zeros(input_shape) with dy written where the slice read.
void slice_grad_kernel(const KernelContext& c) {
  const Tensor& dy = c.in(0);
  Tensor& dx = c.out(0);
  const std::vector<SliceAxis> axes = slice_axes_checked(c.node, dx.shape());
  const std::vector<int64_t> strides = contiguous_strides(dx.shape());
  const int64_t size = dtype_size(dx.dtype());
  std::fill(dx.raw(), dx.raw() + dx.nbytes(), std::byte{0});  // all-zero bytes are 0 in every dtype
  for (int64_t i = 0; i < dy.numel(); ++i)
    std::memcpy(dx.raw() + slice_source(i, dy.shape(), axes, strides) * size,
                dy.raw() + i * size, static_cast<size_t>(size));
}

std::vector<AttrSpec> slice_attr_specs() {
  return {
      {"starts", AttrKind::Ints, std::nullopt},
      {"ends", AttrKind::Ints, std::nullopt},
      {"axes", AttrKind::Ints, std::vector<int64_t>{}},
      {"steps", AttrKind::Ints, std::vector<int64_t>{}},
  };
}

Attrs slice_attrs_of(const Attrs& attrs) {
  Attrs out;
  for (const char* name : {"starts", "ends", "axes", "steps"}) out.set(name, attrs.get(name));
  return out;
}
}  // namespace

OpDef make_op_Slice() {
  return OpDef{
      .name = "Slice",
      .doc = "x[starts:ends:steps] on `axes`, with ONNX's negative indices and clamping",
      .attrs = slice_attr_specs(),
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        return {TensorType{x.dtype, sliced_shape(slice_axes_or_fail(c, x.shape))}};
      },
      .kernel = slice_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        Attrs attrs = slice_attrs_of(g.node.attrs);
        attrs.set("input_shape", g.type(g.x(0)).shape);
        return {g.add("SliceGrad", {g.dy()}, attrs)};
      },
      .onnx = {.op_type = "Slice",
               .since_opset = 13,
               .attr_inputs = {{"starts", 1, 10, DType::I64},
                               {"ends", 2, 10, DType::I64},
                               {"axes", 3, 10, DType::I64},
                               {"steps", 4, 10, DType::I64}}},
  };
}

OpDef make_op_SliceGrad() {
  std::vector<AttrSpec> attrs = slice_attr_specs();
  attrs.push_back({"input_shape", AttrKind::Ints, std::nullopt});
  return OpDef{
      .name = "SliceGrad",
      .doc = "zeros of input_shape with dy scattered where Slice (same attrs) reads",
      .attrs = attrs,
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& dy = c.input(0);
        const Shape& full = c.attrs().ints("input_shape");
        for (int64_t d : full)
          if (d < 0) c.fail("input_shape {} has a negative dimension", shape_str(full));
        const Shape sliced = sliced_shape(slice_axes_or_fail(c, full));
        if (dy.shape != sliced)
          c.fail("dy is {} but slicing input_shape {} gives {}", dy.str(), shape_str(full),
                 shape_str(sliced));
        return {TensorType{dy.dtype, full}};
      },
      .kernel = slice_grad_kernel,
      .gradient = [](GradContext& g) -> std::vector<ValueId> {
        return {g.add("Slice", {g.dy()}, slice_attrs_of(g.node.attrs))};
      },
      .gradient_of = "Slice",
  };
}

// ---- Pad -------------------------------------------------------------------------------

namespace {

template <class T>
void pad_kernel(const KernelContext& c) {
  const Tensor& x = c.in(0);
  Tensor& y = c.out(0);
  const PadGeometry p = pad_of(c.attrs(), x.shape());
  const std::vector<int64_t> strides = contiguous_strides(x.shape());
  const auto value = static_cast<T>(c.attrs().f("constant_value"));
  const T* px = x.data<T>();
  T* py = y.data<T>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    const std::vector<int64_t> coords = unravel(i, y.shape());
    int64_t source = 0;
    bool inside = true;
    for (size_t a = 0; inside && a < coords.size(); ++a) {
      const std::optional<int64_t> s = p.source(a, coords[a]);
      if (s) source += *s * strides[a];
      inside = s.has_value();
    }
    py[i] = inside ? px[source] : value;
  }
}

// Pads of rank `rank`, zero but for (begin, end) on `axis`.
std::vector<int64_t> pads_on(size_t rank, size_t axis, int64_t begin, int64_t end) {
  std::vector<int64_t> pads(2 * rank, 0);
  pads[axis] = begin;
  pads[rank + axis] = end;
  return pads;
}

ValueId pad_axis(GradContext& g, ValueId v, size_t axis, int64_t begin, int64_t end) {
  const size_t rank = g.type(v).shape.size();
  return g.add("Pad", {v}, {{"pads", pads_on(rank, axis, begin, end)}});
}

ValueId slice_axis(GradContext& g, ValueId v, size_t axis, int64_t start, int64_t end,
                   int64_t step = 1) {
  return g.add("Slice", {v},
               {{"starts", std::vector<int64_t>{start}},
                {"ends", std::vector<int64_t>{end}},
                {"axes", std::vector<int64_t>{static_cast<int64_t>(axis)}},
                {"steps", std::vector<int64_t>{step}}});
}

ValueId sum_axis(GradContext& g, ValueId v, size_t axis) {
  Shape kept = g.type(v).shape;
  kept[axis] = 1;
  return g.add("ReduceSumTo", {v}, {{"shape", kept}});
}

// The gradient of padding one axis of `n` elements by begin, end >= 0 in reflect or edge
// mode: the part of dy that copied the input, plus each pad's part of dy moved back to the
// elements the pad read (reversed for reflect, summed onto the edge element for edge).
ValueId unpad_axis(GradContext& g, ValueId dy, PadMode mode, size_t axis, int64_t begin,
                   int64_t end, int64_t n) {
  ValueId dx = slice_axis(g, dy, axis, begin, begin + n);
  auto add = [&](ValueId part) { dx = g.add("Add", {dx, part}); };
  if (mode == PadMode::Reflect) {
    // Output begin - 1 - k read input 1 + k, output begin + n + k read input n - 2 - k.
    constexpr int64_t kToTheStart = std::numeric_limits<int64_t>::min();
    if (begin > 0)
      add(pad_axis(g, slice_axis(g, dy, axis, begin - 1, kToTheStart, -1), axis, 1,
                   n - 1 - begin));
    if (end > 0)
      add(pad_axis(g, slice_axis(g, dy, axis, begin + n + end - 1, begin + n - 1, -1), axis,
                   n - 1 - end, 1));
  } else {
    if (begin > 0)
      add(pad_axis(g, sum_axis(g, slice_axis(g, dy, axis, 0, begin), axis), axis, 0, n - 1));
    if (end > 0)
      add(pad_axis(g, sum_axis(g, slice_axis(g, dy, axis, begin + n, begin + n + end), axis),
                   axis, n - 1, 0));
  }
  return dx;
}

// Constant mode: dy without what was added and with zeros where elements were removed, a
// Pad by the negated pads. Reflect and edge: axis by axis (the modes pad each axis on its
// own), undo the padding (unpad_axis), then put zeros back where negative pads removed.
std::vector<ValueId> pad_gradient(GradContext& g) {
  const Shape in = g.type(g.x(0)).shape;
  const PadGeometry p = pad_of(g.node.attrs, in);
  if (p.mode == PadMode::Constant) {
    std::vector<int64_t> pads;
    for (int64_t b : p.begin) pads.push_back(-b);
    for (int64_t e : p.end) pads.push_back(-e);
    return {g.add("Pad", {g.dy()}, {{"pads", pads}})};
  }
  ValueId dx = g.dy();
  for (size_t a = 0; a < in.size(); ++a) {
    const int64_t cut_begin = std::max<int64_t>(-p.begin[a], 0);
    const int64_t cut_end = std::max<int64_t>(-p.end[a], 0);
    const int64_t added_begin = std::max<int64_t>(p.begin[a], 0);
    const int64_t added_end = std::max<int64_t>(p.end[a], 0);
    if (added_begin > 0 || added_end > 0)
      dx = unpad_axis(g, dx, p.mode, a, added_begin, added_end, in[a] - cut_begin - cut_end);
    if (cut_begin > 0 || cut_end > 0) dx = pad_axis(g, dx, a, cut_begin, cut_end);
  }
  return {dx};
}

}  // namespace

OpDef make_op_Pad() {
  return OpDef{
      .name = "Pad",
      .doc = "pads `axes` (empty: all) by `pads` (ONNX: begins, then ends; negative removes) "
             "with constant_value, or by reflection or the edge element (`mode`)",
      .attrs = {{"pads", AttrKind::Ints, std::nullopt},
                {"constant_value", AttrKind::Float, 0.0f},
                {"mode", AttrKind::String, std::string("constant")},
                {"axes", AttrKind::Ints, std::vector<int64_t>{}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        expect_float(c, 0);
        const TensorType& x = c.input(0);
        return {TensorType{x.dtype, pad_or_fail(c, x.shape).out_shape()}};
      },
      .kernel = NAS_FLOAT_KERNEL(pad_kernel),
      .gradient = pad_gradient,
      // Opset 18's `axes` input: the importer accepts opsets up to 17, whose Pad pads every
      // axis; a graph whose Pad names axes has no opset-17 form and does not export.
      .onnx = {.op_type = "Pad",
               .since_opset = 13,
               .attr_inputs = {{"pads", 1, 11, DType::I64},
                               {"constant_value", 2, 11, DType::F32},
                               {"axes", 3, 18, DType::I64}}},
  };
}

// ---- Squeeze, Unsqueeze ----------------------------------------------------------------

OpDef make_op_Squeeze() {
  return OpDef{
      .name = "Squeeze",
      .doc = "removes the size-1 `axes` (empty: every size-1 axis)",
      .attrs = {{"axes", AttrKind::Ints, std::vector<int64_t>{}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        std::vector<bool> drop(x.shape.size(), false);
        if (c.attrs().ints("axes").empty()) {
          for (size_t a = 0; a < x.shape.size(); ++a) drop[a] = x.shape[a] == 1;
        } else {
          for (int64_t a : axes_or_fail(c, "axes", x.rank())) {
            if (x.shape[a] != 1)
              c.fail("axis {} of input {} has size {}, expected 1", a, x.str(), x.shape[a]);
            drop[a] = true;
          }
        }
        Shape out;
        for (size_t a = 0; a < x.shape.size(); ++a)
          if (!drop[a]) out.push_back(x.shape[a]);
        return {TensorType{x.dtype, out}};
      },
      .kernel = copy_kernel,
      .gradient = reshape_back_gradient,
      .onnx = {.op_type = "Squeeze",
               .since_opset = 13,
               .attr_inputs = {{"axes", 1, 13, DType::I64}}},
  };
}

OpDef make_op_Unsqueeze() {
  return OpDef{
      .name = "Unsqueeze",
      .doc = "inserts size-1 axes at `axes` (positions in the output)",
      .attrs = {{"axes", AttrKind::Ints, std::nullopt}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& x = c.input(0);
        if (c.attrs().ints("axes").empty()) c.fail("axes is empty, expected at least one axis");
        const int64_t rank = x.rank() + static_cast<int64_t>(c.attrs().ints("axes").size());
        std::vector<bool> inserted(static_cast<size_t>(rank), false);
        for (int64_t a : axes_or_fail(c, "axes", rank)) inserted[a] = true;
        Shape out;
        size_t next = 0;
        for (int64_t a = 0; a < rank; ++a) out.push_back(inserted[a] ? 1 : x.shape[next++]);
        return {TensorType{x.dtype, out}};
      },
      .kernel = copy_kernel,
      .gradient = reshape_back_gradient,
      .onnx = {.op_type = "Unsqueeze",
               .since_opset = 13,
               .attr_inputs = {{"axes", 1, 13, DType::I64}}},
  };
}

// ---- Shape -----------------------------------------------------------------------------

namespace {
// [start, end) of Shape's output within the input's dims (opset 15: negative counts from
// the end, then clamp to [0, rank]).
std::pair<int64_t, int64_t> shape_range(const Attrs& attrs, int64_t rank) {
  auto clamp = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp(attrs.i("start"));
  return {start, std::max(start, clamp(attrs.i("end")))};
}

void shape_kernel(const KernelContext& c) {
  const Shape& dims = c.in(0).shape();
  const auto [start, end] = shape_range(c.attrs(), c.in(0).rank());
  int64_t* y = c.out(0).data<int64_t>();
  for (int64_t i = start; i < end; ++i) y[i - start] = dims[i];
}
}  // namespace

OpDef make_op_Shape() {
  return OpDef{
      .name = "Shape",
      .doc = "the input's dims [start:end] as an i64 vector",
      .attrs = {{"start", AttrKind::Int, int64_t{0}}, {"end", AttrKind::Int, kInt64Max}},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const auto [start, end] = shape_range(c.attrs(), c.input(0).rank());
        return {TensorType{DType::I64, {end - start}}};
      },
      .kernel = shape_kernel,
      .not_differentiable = "its output is an integer shape",
      .onnx = {.op_type = "Shape", .since_opset = 15},
  };
}

// ---- Gather ----------------------------------------------------------------------------

namespace {
void gather_kernel(const KernelContext& c) {
  const Tensor& data = c.in(0);
  const Tensor& indices = c.in(1);
  Tensor& y = c.out(0);
  const int64_t axis = *normalize_axis(c.attrs().i("axis"), data.rank());
  const auto a = static_cast<size_t>(axis);
  const int64_t dim = data.dim(axis);
  const int64_t inner = product(data.shape(), a + 1, data.shape().size());
  const int64_t count = indices.numel();
  const int64_t* index = indices.data<int64_t>();
  for (int64_t k = 0; k < count; ++k)
    if (index[k] < -dim || index[k] >= dim)
      user_error("node '{}' (Gather): index {} is out of range for axis {} of size {} "
                 "(expected {} to {})",
                 c.node.name, index[k], axis, dim, -dim, dim - 1);
  // Output element (outer o, index k, inner i) reads data (o, index[k], i).
  copy_elements(data, y, [&](int64_t out) {
    const int64_t i = out % inner;
    const int64_t k = out / inner % count;
    const int64_t o = out / inner / count;
    const int64_t row = index[k] < 0 ? index[k] + dim : index[k];
    return (o * dim + row) * inner + i;
  });
}
}  // namespace

OpDef make_op_Gather() {
  return OpDef{
      .name = "Gather",
      .doc = "data[..., indices, ...] on `axis`: shape data[:axis] + indices + data[axis+1:]",
      .min_inputs = 2,
      .max_inputs = 2,
      .attrs = {{"axis", AttrKind::Int, int64_t{0}}},
      .fusion = FusionClass::Injective,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const TensorType& data = c.input(0);
        const TensorType& indices = c.input(1);
        if (data.rank() == 0) c.fail("data is a scalar {}; Gather needs rank >= 1", data.str());
        if (indices.dtype != DType::I64) c.fail("indices must be i64, got {}", indices.str());
        const int64_t axis = axis_or_fail(c, "axis", c.attrs().i("axis"), data.rank());
        Shape out(data.shape.begin(), data.shape.begin() + axis);
        out.insert(out.end(), indices.shape.begin(), indices.shape.end());
        out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
        return {TensorType{data.dtype, out}};
      },
      .kernel = gather_kernel,
      .not_differentiable = "Gather only carries folded shape arithmetic here",
      .onnx = {.op_type = "Gather", .since_opset = 13},
  };
}

// ---- ConstantOfShape -------------------------------------------------------------------

namespace {
// ONNX TensorProto element types we accept.
constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxInt64 = 7;

void constant_of_shape_kernel(const KernelContext& c) {
  Tensor& y = c.out(0);
  const float value = c.attrs().f("value");
  switch (y.dtype()) {  // f32 outputs run as f64 in double-precision checks
    case DType::F32: std::fill_n(y.data<float>(), y.numel(), value); break;
    case DType::F64: std::fill_n(y.data<double>(), y.numel(), double{value}); break;
    case DType::I64:
      std::fill_n(y.data<int64_t>(), y.numel(), static_cast<int64_t>(value));
      break;
  }
}
}  // namespace

OpDef make_op_ConstantOfShape() {
  return OpDef{
      .name = "ConstantOfShape",
      .doc = "a tensor of `shape` filled with `value`, of ONNX element type `dtype` (1 f32, 7 i64)",
      .min_inputs = 0,
      .max_inputs = 0,
      .attrs = {{"shape", AttrKind::Ints, std::nullopt},
                {"value", AttrKind::Float, 0.0f},
                {"dtype", AttrKind::Int, kOnnxFloat}},
      .fusion = FusionClass::Opaque,
      .infer = [](const InferContext& c) -> std::vector<TensorType> {
        const Shape& shape = c.attrs().ints("shape");
        for (int64_t d : shape)
          if (d < 0) c.fail("shape {} has negative dimension {}", shape_str(shape), d);
        const int64_t dtype = c.attrs().i("dtype");
        if (dtype != kOnnxFloat && dtype != kOnnxInt64)
          c.fail("dtype {} is not supported (expected 1 for FLOAT or 7 for INT64)", dtype);
        return {TensorType{dtype == kOnnxInt64 ? DType::I64 : DType::F32, shape}};
      },
      .kernel = constant_of_shape_kernel,
      .not_differentiable = "it has no inputs",
      .onnx = {.op_type = "ConstantOfShape",
               .since_opset = 9,
               .attr_inputs = {{"shape", 0, 9, DType::I64}}},
  };
}

}  // namespace nas::graph
