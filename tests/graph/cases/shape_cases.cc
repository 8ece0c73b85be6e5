// Cases for ops/shape.cc.
#include <algorithm>
#include <limits>

#include "compiler/support/error.h"
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// An f32 tensor holding 0, 1, 2, ...
Tensor iota_f32(Shape shape) {
  Tensor t(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Shape random_shape(Rng& rng, int64_t rank, int64_t lo, int64_t hi) {
  Shape s;
  for (int64_t i = 0; i < rank; ++i) s.push_back(random_int(rng, lo, hi));
  return s;
}

// Registers one case per entry of `params`, named "<base>_<label>".
template <class Param, class Make>
bool register_each(std::vector<std::pair<std::string, Param>> params, Make make) {
  for (auto& [label, p] : params) register_op_case(make(label, p));
  return true;
}

// ---- Flatten ---------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Flatten",
    .name = "Flatten.hand_axis2",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Flatten", {iota_f32({2, 3, 2})}, {{"axis", int64_t{2}}});
    },
    .expected = {iota_f32({6, 2})},
});

NAS_OP_CASE({
    .op = "Flatten",
    .name = "Flatten.hand_axis0",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Flatten", {iota_f32({2, 3})}, {{"axis", int64_t{0}}});
    },
    .expected = {iota_f32({1, 6})},
});

[[maybe_unused]] const bool flatten_random = register_each<int64_t>(
    {{"0", 0}, {"1", 1}, {"2", 2}, {"neg1", -1}}, [](const std::string& label, int64_t axis) {
      return OpCase{
          .op = "Flatten",
          .name = "Flatten.random_axis_" + label,
          .build = [axis](Rng& rng, Graph& g, std::vector<Tensor>& in) {
            single_op(g, in, "Flatten", {random_tensor(rng, random_shape(rng, 3, 1, 4))},
                      {{"axis", axis}});
          },
      };
    });

// ---- Reshape ---------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.hand_zero_and_minus_one",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // 0 copies dim 0 (2); -1 = 12 / 2 = 6.
      single_op(g, in, "Reshape", {iota_f32({2, 3, 2})}, {{"shape", Shape{0, -1}}});
    },
    .expected = {iota_f32({2, 6})},
});

NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.hand_i64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Reshape", {Tensor::i64({6}, {1, 2, 3, 4, 5, 6})},
                {{"shape", Shape{2, -1}}});
    },
    .expected = {Tensor::i64({2, 3}, {1, 2, 3, 4, 5, 6})},
});

NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.hand_to_scalar",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Reshape", {Tensor::f32({1, 1}, {4.5f})}, {{"shape", Shape{}}});
    },
    .expected = {Tensor::f32({}, {4.5f})},
});

// The shape arithmetic torch emits for x.view(x.size(0), -1):
// Shape(x) = [2,3,4] -> Gather(index 0) = 2 -> Unsqueeze = [2] -> Concat([2], [-1]) = [2,-1],
// and the Reshape that consumes it (with the folded value as its attribute).
NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.torch_shape_chain",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      const ValueId x = g.add_input("x", TensorType{DType::F32, {2, 3, 4}});
      in.push_back(iota_f32({2, 3, 4}));
      const ValueId shape = g.add("Shape", {x}, {}, "shape");
      const ValueId zero = g.add_constant("index0", Tensor::i64({}, {0}));
      const ValueId batch = g.add("Gather", {shape, zero}, {{"axis", int64_t{0}}}, "batch");
      const ValueId batch1 = g.add("Unsqueeze", {batch}, {{"axes", Shape{0}}}, "batch1");
      const ValueId minus_one = g.add_constant("minus_one", Tensor::i64({1}, {-1}));
      const ValueId target = g.add("Concat", {batch1, minus_one}, {{"axis", int64_t{0}}}, "target");
      const ValueId y = g.add("Reshape", {x}, {{"shape", Shape{2, -1}}}, "node");
      g.add_output(target);
      g.add_output(y);
    },
    .expected = {Tensor::i64({2}, {2, -1}), iota_f32({2, 12})},
});

NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.random_zero_minus_one",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Reshape", {random_tensor(rng, random_shape(rng, 3, 1, 4))},
                {{"shape", Shape{0, -1}}});
    },
});

NAS_OP_CASE({
    .op = "Reshape",
    .name = "Reshape.random_permuted_dims",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      // [a,b,c] -> [c, b (copied by 0), a (inferred)]
      const Shape s = random_shape(rng, 3, 1, 4);
      single_op(g, in, "Reshape", {random_tensor(rng, s)}, {{"shape", Shape{s[2], 0, -1}}});
    },
});

// ---- Transpose -------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Transpose",
    .name = "Transpose.hand_default_perm",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Transpose", {iota_f32({2, 3})});
    },
    // [[0,1,2],[3,4,5]]^T
    .expected = {Tensor::f32({3, 2}, {0, 3, 1, 4, 2, 5})},
});

NAS_OP_CASE({
    .op = "Transpose",
    .name = "Transpose.hand_perm",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Transpose", {iota_f32({2, 1, 3})}, {{"perm", Shape{2, 0, 1}}});
    },
    // out[k][i][0] = x[i][0][k] = 3i + k, out shape [3,2,1].
    .expected = {Tensor::f32({3, 2, 1}, {0, 3, 1, 4, 2, 5})},
});

NAS_OP_CASE({
    .op = "Transpose",
    .name = "Transpose.random_perm",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t rank = random_int(rng, 2, 4);
      Shape perm;
      for (int64_t i = 0; i < rank; ++i) perm.push_back(i);
      for (int64_t i = rank - 1; i > 0; --i) std::swap(perm[i], perm[random_int(rng, 0, i)]);
      single_op(g, in, "Transpose", {random_tensor(rng, random_shape(rng, rank, 1, 4))},
                {{"perm", perm}});
    },
});

// Perms that are not their own inverse, so the gradient's inverse perm is really tested.
[[maybe_unused]] const bool transpose_cyclic = register_each<Shape>(
    {{"120", {1, 2, 0}}, {"0312", {0, 3, 1, 2}}}, [](const std::string& label, Shape perm) {
      return OpCase{
          .op = "Transpose",
          .name = "Transpose.random_perm_" + label,
          .build = [perm](Rng& rng, Graph& g, std::vector<Tensor>& in) {
            const auto rank = static_cast<int64_t>(perm.size());
            single_op(g, in, "Transpose", {random_tensor(rng, random_shape(rng, rank, 2, 4))},
                      {{"perm", perm}});
          },
      };
    });

NAS_OP_CASE({
    .op = "Transpose",
    .name = "Transpose.random_default_perm",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Transpose", {random_tensor(rng, random_shape(rng, 3, 1, 5))});
    },
});

// ---- Concat ----------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Concat",
    .name = "Concat.hand_last_axis",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Concat",
                {Tensor::f32({2, 1}, {1, 2}), Tensor::f32({2, 2}, {3, 4, 5, 6})},
                {{"axis", int64_t{-1}}});
    },
    .expected = {Tensor::f32({2, 3}, {1, 3, 4, 2, 5, 6})},
});

NAS_OP_CASE({
    .op = "Concat",
    .name = "Concat.hand_i64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Concat", {Tensor::i64({1}, {1}), Tensor::i64({2}, {-1, 7})},
                {{"axis", int64_t{0}}});
    },
    .expected = {Tensor::i64({3}, {1, -1, 7})},
});

NAS_OP_CASE({
    .op = "Concat",
    .name = "Concat.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t n = random_int(rng, 2, 3);
      const int64_t axis = random_int(rng, -3, 2);
      const Shape base = random_shape(rng, 3, 1, 4);
      std::vector<Tensor> parts;
      for (int64_t i = 0; i < n; ++i) {
        Shape s = base;
        s[axis < 0 ? axis + 3 : axis] = random_int(rng, 1, 3);
        parts.push_back(random_tensor(rng, s));
      }
      single_op(g, in, "Concat", parts, {{"axis", axis}});
    },
});

// ---- Split -----------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Split",
    .name = "Split.hand_sizes",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Split", {iota_f32({2, 4})},
                {{"axis", int64_t{1}}, {"split", Shape{1, 3}}});
    },
    // [[0,1,2,3],[4,5,6,7]] -> columns {0} and {1,2,3}
    .expected = {Tensor::f32({2, 1}, {0, 4}), Tensor::f32({2, 3}, {1, 2, 3, 5, 6, 7})},
});

NAS_OP_CASE({
    .op = "Split",
    .name = "Split.hand_equal",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Split", {Tensor::f32({4}, {1, 2, 3, 4})}, {{"num_outputs", int64_t{2}}});
    },
    .expected = {Tensor::f32({2}, {1, 2}), Tensor::f32({2}, {3, 4})},
});

NAS_OP_CASE({
    .op = "Split",
    .name = "Split.random_sizes",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t axis = random_int(rng, -3, 2);
      Shape sizes;
      for (int64_t i = random_int(rng, 2, 3); i > 0; --i) sizes.push_back(random_int(rng, 1, 3));
      Shape s = random_shape(rng, 3, 1, 4);
      int64_t total = 0;
      for (int64_t d : sizes) total += d;
      s[axis < 0 ? axis + 3 : axis] = total;
      single_op(g, in, "Split", {random_tensor(rng, s)}, {{"axis", axis}, {"split", sizes}});
    },
});

NAS_OP_CASE({
    .op = "Split",
    .name = "Split.random_equal",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const int64_t parts = random_int(rng, 1, 3);
      Shape s = random_shape(rng, 2, 1, 4);
      s[1] = parts * random_int(rng, 1, 3);
      single_op(g, in, "Split", {random_tensor(rng, s)},
                {{"axis", int64_t{-1}}, {"num_outputs", parts}});
    },
});

// Only outputs 0 and 2 reach the loss: output 1's gradient is a zeros constant.
NAS_OP_CASE({
    .op = "Split",
    .name = "Split.random_unused_output",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s{random_int(rng, 1, 3), 6};
      const ValueId x = g.add_input("x", TensorType{DType::F32, s});
      in.push_back(random_tensor(rng, s));
      std::vector<ValueId> outs = g.add_node(
          "Split", {x}, {{"axis", int64_t{1}}, {"split", Shape{1, 2, 3}}}, "node");
      g.add_output(outs[0]);
      g.add_output(outs[2]);
    },
});

// ---- Slice, SliceGrad ------------------------------------------------------------------

// Rows 0 and 2 (start 0, end INT64_MAX, step 2); columns 3 and 1 (start -1 -> 3, end -5 ->
// -1 clamped to -1 for a negative step, step -2).
const Attrs kHandSlice = {{"starts", Shape{0, -1}},
                          {"ends", Shape{kMax, -5}},
                          {"axes", Shape{0, 1}},
                          {"steps", Shape{2, -2}}};

NAS_OP_CASE({
    .op = "Slice",
    .name = "Slice.hand_steps",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Slice", {iota_f32({3, 4})}, kHandSlice);
    },
    // x[0][3], x[0][1], x[2][3], x[2][1]
    .expected = {Tensor::f32({2, 2}, {3, 1, 11, 9})},
});

NAS_OP_CASE({
    .op = "Slice",
    .name = "Slice.hand_i64_clamped_end",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Slice", {Tensor::i64({4}, {10, 20, 30, 40})},
                {{"starts", Shape{1}}, {"ends", Shape{100}}});
    },
    .expected = {Tensor::i64({3}, {20, 30, 40})},
});

NAS_OP_CASE({
    .op = "Slice",
    .name = "Slice.hand_reverse",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // start -1 -> 3, end INT64_MIN -> clamped to -1: the whole axis backwards.
      single_op(g, in, "Slice", {iota_f32({2, 4})},
                {{"starts", Shape{-1}}, {"ends", Shape{kMin}}, {"axes", Shape{-1}},
                 {"steps", Shape{-1}}});
    },
    .expected = {Tensor::f32({2, 4}, {3, 2, 1, 0, 7, 6, 5, 4})},
});

NAS_OP_CASE({
    .op = "SliceGrad",
    .name = "SliceGrad.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      Attrs attrs = kHandSlice;
      attrs.set("input_shape", Shape{3, 4});
      single_op(g, in, "SliceGrad", {Tensor::f32({2, 2}, {1, 2, 3, 4})}, attrs);
    },
    // dy lands where Slice.hand_steps read: (0,3)=1 (0,1)=2 (2,3)=3 (2,1)=4.
    .expected = {Tensor::f32({3, 4}, {0, 2, 0, 1, 0, 0, 0, 0, 0, 4, 0, 3})},
    .onnx = false,
});

// Draws a slice of every axis of a rank-3 tensor (some axes left out, negative axis
// numbers, indices past either end) until the result is not empty.
Attrs random_slice(Rng& rng, const Shape& shape, bool negative_steps) {
  for (;;) {
    Shape starts, ends, axes, steps;
    for (int64_t a = 0; a < 3; ++a) {
      if (random_int(rng, 0, 3) == 0) continue;  // axis left whole
      const int64_t d = shape[a];
      axes.push_back(random_int(rng, 0, 1) ? a : a - 3);
      int64_t step = random_int(rng, 1, 3);
      if (negative_steps || random_int(rng, 0, 1)) step = -step;
      steps.push_back(step);
      starts.push_back(random_int(rng, -d - 2, d + 2));
      const int64_t end_kind = random_int(rng, 0, 3);
      ends.push_back(end_kind == 0 ? (step > 0 ? kMax : kMin) : random_int(rng, -d - 3, d + 3));
    }
    Attrs attrs{{"starts", starts}, {"ends", ends}, {"axes", axes}, {"steps", steps}};
    Graph probe;
    const ValueId x = probe.add_input("x", TensorType{DType::F32, shape});
    if (probe.type(probe.add("Slice", {x}, attrs)).numel() > 0) return attrs;
  }
}

NAS_OP_CASE({
    .op = "Slice",
    .name = "Slice.random",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s = random_shape(rng, 3, 2, 5);
      const Attrs attrs = random_slice(rng, s, false);
      single_op(g, in, "Slice", {random_tensor(rng, s)}, attrs);
    },
});

NAS_OP_CASE({
    .op = "Slice",
    .name = "Slice.random_negative_steps",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s = random_shape(rng, 3, 2, 5);
      const Attrs attrs = random_slice(rng, s, true);
      single_op(g, in, "Slice", {random_tensor(rng, s)}, attrs);
    },
});

// ---- Pad -------------------------------------------------------------------------------

// [[1,2,3],[4,5,6]] with a row of 9s before and two columns of 9s after.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_constant",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {{"pads", Shape{1, 0, 0, 2}}, {"constant_value", 9.0f}});
    },
    .expected = {Tensor::f32({3, 5}, {9, 9, 9, 9, 9,  //
                                      1, 2, 3, 9, 9,  //
                                      4, 5, 6, 9, 9})},
});

// Negative pads remove: [1,2,3,4,5] without its first two, then a 0 after.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_constant_negative",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({1, 5}, {1, 2, 3, 4, 5})},
                {{"pads", Shape{0, -2, 0, 1}}});
    },
    .expected = {Tensor::f32({1, 4}, {3, 4, 5, 0})},
});

// Reflection without repeating the edge: 3,2 | 1,2,3,4 | 3,2,1.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_reflect",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({1, 4}, {1, 2, 3, 4})},
                {{"pads", Shape{0, 2, 0, 3}}, {"mode", std::string("reflect")}});
    },
    .expected = {Tensor::f32({1, 9}, {3, 2, 1, 2, 3, 4, 3, 2, 1})},
});

// Remove the first element, then reflect at the end: 2,3,4,5 | 4,3.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_reflect_negative",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({5}, {1, 2, 3, 4, 5})},
                {{"pads", Shape{-1, 2}}, {"mode", std::string("reflect")}});
    },
    .expected = {Tensor::f32({6}, {2, 3, 4, 5, 4, 3})},
});

// [[1,2],[3,4]]: the first row repeated before, the first column once before and the last
// twice after.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_edge",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({2, 2}, {1, 2, 3, 4})},
                {{"pads", Shape{1, 1, 0, 2}}, {"mode", std::string("edge")}});
    },
    .expected = {Tensor::f32({3, 5}, {1, 1, 2, 2, 2,  //
                                      1, 1, 2, 2, 2,  //
                                      3, 3, 4, 4, 4})},
});

// Opset 18's axes: pads for the last axis only. No opset-17 form, so not exported.
NAS_OP_CASE({
    .op = "Pad",
    .name = "Pad.hand_axes",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Pad", {Tensor::f32({2, 2}, {1, 2, 3, 4})},
                {{"pads", Shape{1, 1}}, {"axes", Shape{-1}}, {"constant_value", 7.0f}});
    },
    .expected = {Tensor::f32({2, 4}, {7, 1, 2, 7, 7, 3, 4, 7})},
    .onnx = false,
});

// Random pads in [-1, 2] on each axis of a rank-3 tensor with 3 to 5 elements per axis;
// for reflect each positive pad is kept below what the negative pads leave.
Attrs random_pad(Rng& rng, const Shape& shape, const std::string& mode) {
  const size_t rank = shape.size();
  Shape pads(2 * rank);
  for (size_t a = 0; a < rank; ++a) {
    int64_t& begin = pads[a];
    int64_t& end = pads[rank + a];
    begin = random_int(rng, -1, 2);
    end = random_int(rng, -1, 2);
    const int64_t left = shape[a] - std::max<int64_t>(-begin, 0) - std::max<int64_t>(-end, 0);
    if (mode == "reflect") {
      begin = std::min(begin, left - 1);
      end = std::min(end, left - 1);
    }
  }
  return {{"pads", pads},
          {"mode", mode},
          {"constant_value", static_cast<float>(random_int(rng, -2, 2)) / 2}};
}

[[maybe_unused]] const bool pad_random_cases = register_each<std::string>(
    {{"constant", "constant"}, {"reflect", "reflect"}, {"edge", "edge"}},
    [](const std::string& label, const std::string& mode) {
      return OpCase{
          .op = "Pad",
          .name = "Pad.random_" + label,
          .build = [mode](Rng& rng, Graph& g, std::vector<Tensor>& in) {
            const Shape s = random_shape(rng, 3, 3, 5);
            const Attrs attrs = random_pad(rng, s, mode);
            single_op(g, in, "Pad", {random_tensor(rng, s)}, attrs);
          },
      };
    });

// ---- Squeeze, Unsqueeze ----------------------------------------------------------------

NAS_OP_CASE({
    .op = "Squeeze",
    .name = "Squeeze.hand_all",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Squeeze", {Tensor::f32({1, 3, 1}, {1, 2, 3})});
    },
    .expected = {Tensor::f32({3}, {1, 2, 3})},
});

NAS_OP_CASE({
    .op = "Squeeze",
    .name = "Squeeze.hand_negative_axis",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Squeeze", {Tensor::f32({1, 3, 1}, {1, 2, 3})}, {{"axes", Shape{-1}}});
    },
    .expected = {Tensor::f32({1, 3}, {1, 2, 3})},
});

NAS_OP_CASE({
    .op = "Squeeze",
    .name = "Squeeze.hand_i64_to_scalar",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Squeeze", {Tensor::i64({1}, {5})}, {{"axes", Shape{0}}});
    },
    .expected = {Tensor::i64({}, {5})},
});

NAS_OP_CASE({
    .op = "Squeeze",
    .name = "Squeeze.random_negative_axes",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s{random_int(rng, 2, 4), 1, random_int(rng, 2, 4), 1};
      const Shape axes = random_int(rng, 0, 1) ? Shape{-1} : Shape{1, -1};
      single_op(g, in, "Squeeze", {random_tensor(rng, s)}, {{"axes", axes}});
    },
});

NAS_OP_CASE({
    .op = "Squeeze",
    .name = "Squeeze.random_all",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape s{1, random_int(rng, 2, 4), 1, random_int(rng, 2, 4)};
      single_op(g, in, "Squeeze", {random_tensor(rng, s)});
    },
});

NAS_OP_CASE({
    .op = "Unsqueeze",
    .name = "Unsqueeze.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // Output rank 3: axes 0 and -1 -> 2.
      single_op(g, in, "Unsqueeze", {Tensor::f32({3}, {1, 2, 3})}, {{"axes", Shape{0, -1}}});
    },
    .expected = {Tensor::f32({1, 3, 1}, {1, 2, 3})},
});

NAS_OP_CASE({
    .op = "Unsqueeze",
    .name = "Unsqueeze.hand_i64_scalar",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Unsqueeze", {Tensor::i64({}, {7})}, {{"axes", Shape{0}}});
    },
    .expected = {Tensor::i64({1}, {7})},
});

NAS_OP_CASE({
    .op = "Unsqueeze",
    .name = "Unsqueeze.random_negative_axes",
    .build = [](Rng& rng, Graph& g, std::vector<Tensor>& in) {
      const Shape axes_options[] = {{-1}, {0, -1}, {-4, 1}, {2}};
      const Shape axes = axes_options[random_int(rng, 0, 3)];
      single_op(g, in, "Unsqueeze", {random_tensor(rng, random_shape(rng, 2, 1, 5))},
                {{"axes", axes}});
    },
});

// ---- Shape -----------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Shape",
    .name = "Shape.hand",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Shape", {Tensor(DType::F32, {2, 3, 4})});
    },
    .expected = {Tensor::i64({3}, {2, 3, 4})},
});

NAS_OP_CASE({
    .op = "Shape",
    .name = "Shape.hand_start_end",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      // start 1, end -1 -> 3 - 1 = 2: dims [1:2]
      single_op(g, in, "Shape", {Tensor(DType::F32, {2, 3, 4})},
                {{"start", int64_t{1}}, {"end", int64_t{-1}}});
    },
    .expected = {Tensor::i64({1}, {3})},
});

// ---- Gather ----------------------------------------------------------------------------

NAS_OP_CASE({
    .op = "Gather",
    .name = "Gather.hand_rows",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gather", {iota_f32({3, 2}), Tensor::i64({2, 2}, {0, -1, 2, 1})});
    },
    // rows 0, 2 (= -1), 2, 1 of [[0,1],[2,3],[4,5]]
    .expected = {Tensor::f32({2, 2, 2}, {0, 1, 4, 5, 4, 5, 2, 3})},
});

NAS_OP_CASE({
    .op = "Gather",
    .name = "Gather.hand_axis1_scalar_index",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gather", {iota_f32({2, 3}), Tensor::i64({}, {-1})},
                {{"axis", int64_t{1}}});
    },
    .expected = {Tensor::f32({2}, {2, 5})},
});

// Constant indices, as a model holds them (the compiled form needs them so).
NAS_OP_CASE({
    .op = "Gather",
    .name = "Gather.hand_constant_indices",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      in.push_back(iota_f32({2, 3, 2}));
      const ValueId x = g.add_input("x", in.back().type());
      const ValueId at = g.add_constant("at", Tensor::i64({3}, {2, -3, 1}));
      g.add_output(g.add("Gather", {x, at}, {{"axis", int64_t{1}}}, "node"));
    },
    // columns 2, 0 (= -3) and 1 of each [3, 2] slice of 0..11
    .expected = {Tensor::f32({2, 3, 2}, {4, 5, 0, 1, 2, 3, 10, 11, 6, 7, 8, 9})},
});

NAS_OP_CASE({
    .op = "Gather",
    .name = "Gather.hand_i64_shape",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "Gather", {Tensor::i64({4}, {1, 3, 224, 224}), Tensor::i64({}, {0})});
    },
    .expected = {Tensor::i64({}, {1})},
});

// ---- ConstantOfShape -------------------------------------------------------------------

NAS_OP_CASE({
    .op = "ConstantOfShape",
    .name = "ConstantOfShape.hand_f32",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ConstantOfShape", {}, {{"shape", Shape{2, 2}}, {"value", 1.5f}});
    },
    .expected = {Tensor::f32({2, 2}, {1.5f, 1.5f, 1.5f, 1.5f})},
});

NAS_OP_CASE({
    .op = "ConstantOfShape",
    .name = "ConstantOfShape.hand_i64",
    .build = [](Rng&, Graph& g, std::vector<Tensor>& in) {
      single_op(g, in, "ConstantOfShape", {},
                {{"shape", Shape{3}}, {"value", 7.0f}, {"dtype", int64_t{7}}});
    },
    .expected = {Tensor::i64({3}, {7, 7, 7})},
});

}  // namespace
}  // namespace nas::testing
