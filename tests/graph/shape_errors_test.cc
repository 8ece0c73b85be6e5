// One test per user-facing error message of ops/shape.cc.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/support/error.h"

namespace nas::graph {
namespace {

using ::testing::HasSubstr;

TensorType f32(Shape shape) { return TensorType{DType::F32, std::move(shape)}; }
TensorType i64(Shape shape) { return TensorType{DType::I64, std::move(shape)}; }

// Adds node "n" of `op` over fresh inputs of the given types; returns the error message.
std::string error_of(std::string_view op, std::vector<TensorType> inputs, Attrs attrs) {
  Graph g;
  std::vector<ValueId> ids;
  for (size_t i = 0; i < inputs.size(); ++i)
    ids.push_back(g.add_input(fmt::format("x{}", i), inputs[i]));
  try {
    g.add_node(op, ids, std::move(attrs), "n");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_SHAPE_ERROR(op, inputs, attrs, what)                          \
  do {                                                                       \
    const std::string message = error_of(op, inputs, attrs);                 \
    EXPECT_THAT(message, HasSubstr("node 'n' (" op "): "));                  \
    EXPECT_THAT(message, HasSubstr(what));                                   \
  } while (0)

using Types = std::vector<TensorType>;

TEST(ShapeErrors, FlattenAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Flatten", (Types{f32({2, 3})}), (Attrs{{"axis", int64_t{3}}}),
                     "axis 3 is out of range for rank 2 (expected -2 to 2)");
}

TEST(ShapeErrors, ReshapeTwoMinusOnes) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({6})}), (Attrs{{"shape", Shape{-1, -1}}}),
                     "shape [-1,-1] has more than one -1");
}

TEST(ShapeErrors, ReshapeNegativeDim) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({6})}), (Attrs{{"shape", Shape{-2, 3}}}),
                     "shape [-2,3] has negative dimension -2");
}

TEST(ShapeErrors, ReshapeZeroPastRank) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({6})}), (Attrs{{"shape", Shape{6, 0}}}),
                     "shape [6,0] copies dimension 1 (a 0) but the input f32[6] has rank 1");
}

TEST(ShapeErrors, ReshapeAllowzeroWithMinusOne) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({0, 3})}),
                     (Attrs{{"shape", Shape{0, -1}}, {"allowzero", int64_t{1}}}),
                     "shape [0,-1] has both 0 and -1, which allowzero=1 forbids");
}

TEST(ShapeErrors, ReshapeCannotInfer) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({7})}), (Attrs{{"shape", Shape{2, -1}}}),
                     "cannot infer the -1 of shape [2,-1] for input f32[7] (7 elements)");
}

TEST(ShapeErrors, ReshapeElementCount) {
  EXPECT_SHAPE_ERROR("Reshape", (Types{f32({2, 3})}), (Attrs{{"shape", Shape{0, 4}}}),
                     "shape [0,4] resolves to [2,4] (8 elements) but the input f32[2,3] has 6");
}

TEST(ShapeErrors, TransposeBadPerm) {
  EXPECT_SHAPE_ERROR("Transpose", (Types{f32({2, 3})}), (Attrs{{"perm", Shape{0, 0}}}),
                     "perm [0,0] is not a permutation of 0..1 for input f32[2,3]");
}

TEST(ShapeErrors, ConcatScalar) {
  EXPECT_SHAPE_ERROR("Concat", (Types{f32({})}), (Attrs{{"axis", int64_t{0}}}),
                     "input 0 is a scalar f32[]; Concat needs rank >= 1");
}

TEST(ShapeErrors, ConcatAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Concat", (Types{f32({2}), f32({3})}), (Attrs{{"axis", int64_t{-2}}}),
                     "axis -2 is out of range for rank 1 (expected -1 to 0)");
}

TEST(ShapeErrors, ConcatMismatch) {
  EXPECT_SHAPE_ERROR("Concat", (Types{f32({2, 3}), f32({2, 4})}), (Attrs{{"axis", int64_t{0}}}),
                     "input 1 is f32[2,4] but input 0 is f32[2,3]; they must agree except on "
                     "axis 0");
}

TEST(ShapeErrors, ConcatMixedDtypes) {
  EXPECT_SHAPE_ERROR("Concat", (Types{f32({2}), i64({2})}), (Attrs{{"axis", int64_t{0}}}),
                     "input 1 is i64[2] but input 0 is f32[2]");
}

TEST(ShapeErrors, SplitScalar) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({})}), (Attrs{{"num_outputs", int64_t{1}}}),
                     "input is a scalar f32[]; Split needs rank >= 1");
}

TEST(ShapeErrors, SplitAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}),
                     (Attrs{{"axis", int64_t{1}}, {"num_outputs", int64_t{2}}}),
                     "axis 1 is out of range for rank 1");
}

TEST(ShapeErrors, SplitNegativeNumOutputs) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}), (Attrs{{"num_outputs", int64_t{-1}}}),
                     "num_outputs is -1, expected >= 1 (or 0 to use split)");
}

TEST(ShapeErrors, SplitNeedsSizesOrCount) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}), (Attrs{}),
                     "needs either split sizes or num_outputs");
}

TEST(ShapeErrors, SplitUneven) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({5})}), (Attrs{{"num_outputs", int64_t{2}}}),
                     "axis 0 of input f32[5] (size 5) does not split into 2 equal parts");
}

TEST(ShapeErrors, SplitCountMismatch) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}),
                     (Attrs{{"split", Shape{1, 3}}, {"num_outputs", int64_t{3}}}),
                     "split [1,3] has 2 sizes but num_outputs is 3");
}

TEST(ShapeErrors, SplitNegativeSize) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}), (Attrs{{"split", Shape{5, -1}}}),
                     "split [5,-1] has negative size -1");
}

TEST(ShapeErrors, SplitWrongSum) {
  EXPECT_SHAPE_ERROR("Split", (Types{f32({4})}), (Attrs{{"split", Shape{1, 2}}}),
                     "split [1,2] sums to 3 but axis 0 of input f32[4] has size 4");
}

Attrs slice(Shape starts, Shape ends, Shape axes = {}, Shape steps = {}) {
  return {{"starts", starts}, {"ends", ends}, {"axes", axes}, {"steps", steps}};
}

TEST(ShapeErrors, SliceStartsEndsLength) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4})}), slice({0}, {1, 2}),
                     "starts [0] and ends [1,2] differ in length");
}

TEST(ShapeErrors, SliceAxesLength) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4, 4})}), slice({0}, {1}, {0, 1}),
                     "axes [0,1] has 2 entries but starts has 1");
}

TEST(ShapeErrors, SliceStepsLength) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4})}), slice({0}, {1}, {0}, {1, 1}),
                     "steps [1,1] has 2 entries but starts has 1");
}

TEST(ShapeErrors, SliceAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4})}), slice({0}, {1}, {-2}),
                     "axis -2 is out of range for rank 1 (expected -1 to 0)");
}

TEST(ShapeErrors, SliceDuplicateAxis) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4, 4})}), slice({0, 0}, {1, 1}, {1, -1}),
                     "axes [1,-1] names axis 1 twice");
}

TEST(ShapeErrors, SliceZeroStep) {
  EXPECT_SHAPE_ERROR("Slice", (Types{f32({4})}), slice({0}, {1}, {0}, {0}),
                     "steps [0] has a zero step");
}

TEST(ShapeErrors, SliceGradNegativeInputShape) {
  Attrs attrs = slice({0}, {1});
  attrs.set("input_shape", Shape{-4});
  EXPECT_SHAPE_ERROR("SliceGrad", (Types{f32({1})}), attrs,
                     "input_shape [-4] has a negative dimension");
}

TEST(ShapeErrors, SliceGradWrongDy) {
  Attrs attrs = slice({0}, {2});
  attrs.set("input_shape", Shape{4});
  EXPECT_SHAPE_ERROR("SliceGrad", (Types{f32({3})}), attrs,
                     "dy is f32[3] but slicing input_shape [4] gives [2]");
}

TEST(ShapeErrors, PadMissingPads) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}), (Attrs{}),
                     "required attribute 'pads' is missing");
}

TEST(ShapeErrors, PadIntegerInput) {
  EXPECT_SHAPE_ERROR("Pad", (Types{i64({3})}), (Attrs{{"pads", Shape{1, 1}}}),
                     "input 0 must be a float tensor, got i64[3]");
}

TEST(ShapeErrors, PadUnsupportedMode) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}),
                     (Attrs{{"pads", Shape{0, 1, 0, 1}}, {"mode", std::string("wrap")}}),
                     "mode \"wrap\" is not supported (supported: \"constant\", \"reflect\", "
                     "\"edge\")");
}

TEST(ShapeErrors, PadPadsLength) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}), (Attrs{{"pads", Shape{1, 1}}}),
                     "pads [1,1] has 2 entries, expected 4 (a begin for each of the 2 axes "
                     "padded, then an end for each)");
}

TEST(ShapeErrors, PadAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}),
                     (Attrs{{"pads", Shape{1, 1}}, {"axes", Shape{2}}}),
                     "axes entry 2 is out of range for rank 2 (expected -2 to 1)");
}

TEST(ShapeErrors, PadDuplicateAxis) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}),
                     (Attrs{{"pads", Shape{1, 1, 1, 1}}, {"axes", Shape{1, -1}}}),
                     "axes [1,-1] names axis 1 twice");
}

TEST(ShapeErrors, PadRemovesMoreThanTheAxis) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}), (Attrs{{"pads", Shape{0, -2, 0, -2}}}),
                     "pads [0,-2,0,-2] remove 4 elements from axis 1, which has 3");
}

TEST(ShapeErrors, PadReflectWiderThanTheAxis) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 3})}),
                     (Attrs{{"pads", Shape{0, 3, 0, 0}}, {"mode", std::string("reflect")}}),
                     "reflect mode needs each pad smaller than its axis: pads [0,3,0,0] pad "
                     "axis 1 of size 3 by 3");
}

TEST(ShapeErrors, PadReflectWiderThanWhatNegativePadsLeave) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({4})}),
                     (Attrs{{"pads", Shape{-2, 2}}, {"mode", std::string("reflect")}}),
                     "pads [-2,2] pad axis 0 of size 4 (2 after the negative pads) by 2");
}

TEST(ShapeErrors, PadEdgeOfAnEmptyAxis) {
  EXPECT_SHAPE_ERROR("Pad", (Types{f32({2, 0})}),
                     (Attrs{{"pads", Shape{0, 1, 0, 0}}, {"mode", std::string("edge")}}),
                     "edge mode cannot pad axis 1 of size 0: it has no edge element");
}

TEST(ShapeErrors, SqueezeNotOne) {
  EXPECT_SHAPE_ERROR("Squeeze", (Types{f32({1, 3})}), (Attrs{{"axes", Shape{-1}}}),
                     "axis 1 of input f32[1,3] has size 3, expected 1");
}

TEST(ShapeErrors, SqueezeAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Squeeze", (Types{f32({1, 3})}), (Attrs{{"axes", Shape{2}}}),
                     "axes entry 2 is out of range for rank 2 (expected -2 to 1)");
}

TEST(ShapeErrors, SqueezeDuplicateAxis) {
  EXPECT_SHAPE_ERROR("Squeeze", (Types{f32({1, 3})}), (Attrs{{"axes", Shape{0, -2}}}),
                     "axes [0,-2] names axis 0 twice");
}

TEST(ShapeErrors, UnsqueezeEmptyAxes) {
  EXPECT_SHAPE_ERROR("Unsqueeze", (Types{f32({3})}), (Attrs{{"axes", Shape{}}}),
                     "axes is empty, expected at least one axis");
}

TEST(ShapeErrors, UnsqueezeAxisOutOfRange) {
  // The output has rank 2, so axes lie in -2..1.
  EXPECT_SHAPE_ERROR("Unsqueeze", (Types{f32({3})}), (Attrs{{"axes", Shape{2}}}),
                     "axes entry 2 is out of range for rank 2 (expected -2 to 1)");
}

TEST(ShapeErrors, UnsqueezeMissingAxes) {
  EXPECT_SHAPE_ERROR("Unsqueeze", (Types{f32({3})}), (Attrs{}),
                     "required attribute 'axes' is missing");
}

TEST(ShapeErrors, GatherScalarData) {
  EXPECT_SHAPE_ERROR("Gather", (Types{f32({}), i64({})}), (Attrs{}),
                     "data is a scalar f32[]; Gather needs rank >= 1");
}

TEST(ShapeErrors, GatherFloatIndices) {
  EXPECT_SHAPE_ERROR("Gather", (Types{f32({3}), f32({2})}), (Attrs{}),
                     "indices must be i64, got f32[2]");
}

TEST(ShapeErrors, GatherAxisOutOfRange) {
  EXPECT_SHAPE_ERROR("Gather", (Types{f32({3}), i64({2})}), (Attrs{{"axis", int64_t{1}}}),
                     "axis 1 is out of range for rank 1 (expected -1 to 0)");
}

TEST(ShapeErrors, GatherIndexOutOfRangeAtRun) {
  Graph g;
  const ValueId data = g.add_input("data", f32({2, 3}));
  const ValueId indices = g.add_input("indices", i64({2}));
  g.add_output(g.add("Gather", {data, indices}, {{"axis", int64_t{1}}}, "n"));
  try {
    run_reference(g, {Tensor(f32({2, 3})), Tensor::i64({2}, {0, -4})});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'n' (Gather): index -4 is out of range for axis 1 "
                                    "of size 3 (expected -3 to 2)"));
  }
}

TEST(ShapeErrors, ConstantOfShapeNegativeDim) {
  EXPECT_SHAPE_ERROR("ConstantOfShape", (Types{}), (Attrs{{"shape", Shape{2, -1}}}),
                     "shape [2,-1] has negative dimension -1");
}

TEST(ShapeErrors, ConstantOfShapeDtype) {
  EXPECT_SHAPE_ERROR("ConstantOfShape", (Types{}),
                     (Attrs{{"shape", Shape{2}}, {"dtype", int64_t{6}}}),
                     "dtype 6 is not supported (expected 1 for FLOAT or 7 for INT64)");
}

}  // namespace
}  // namespace nas::graph
