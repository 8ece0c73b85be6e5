// User-facing errors of ops/conv.cc, ops/norm.cc, ops/pool.cc: one small case per message.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

#include "compiler/graph/autodiff.h"
#include "compiler/graph/graph.h"
#include "compiler/support/error.h"

namespace nas::graph {
namespace {

using ::testing::HasSubstr;

TensorType f32(Shape shape) { return {DType::F32, std::move(shape)}; }

// Adds a node named 'bad' of `op` on fresh inputs of the given types and returns the
// UserError message ("" if none was thrown).
std::string node_error(std::string_view op, std::vector<TensorType> inputs, Attrs attrs = {}) {
  Graph g;
  std::vector<ValueId> ids;
  for (size_t i = 0; i < inputs.size(); ++i)
    ids.push_back(g.add_input(fmt::format("x{}", i), inputs[i]));
  try {
    g.add_node(op, ids, std::move(attrs), "bad");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

std::string conv_error(Shape x, Shape w, Attrs attrs = {}) {
  return node_error("Conv", {f32(std::move(x)), f32(std::move(w))}, std::move(attrs));
}

const Shape kX{1, 2, 5, 5};
const Shape kW{4, 2, 3, 3};

// ---- shared window attributes ------------------------------------------------------------

TEST(ConvErrors, StridesNeedTwoEntries) {
  EXPECT_THAT(conv_error(kX, kW, {{"strides", Shape{1, 1, 1}}}),
              HasSubstr("node 'bad' (Conv): strides must have 2 entries (H, W), got [1,1,1]"));
}

TEST(ConvErrors, StridesMustBePositive) {
  EXPECT_THAT(conv_error(kX, kW, {{"strides", Shape{0, 1}}}),
              HasSubstr("node 'bad' (Conv): strides must be >= 1, got [0,1]"));
}

TEST(ConvErrors, DilationsMustBePositive) {
  EXPECT_THAT(conv_error(kX, kW, {{"dilations", Shape{1, -2}}}),
              HasSubstr("node 'bad' (Conv): dilations must be >= 1, got [1,-2]"));
}

TEST(ConvErrors, PadsNeedFourEntries) {
  EXPECT_THAT(conv_error(kX, kW, {{"pads", Shape{1, 1}}}),
              HasSubstr("node 'bad' (Conv): pads must have 4 entries (top, left, bottom, "
                        "right), got [1,1]"));
}

TEST(ConvErrors, PadsMustBeNonNegative) {
  EXPECT_THAT(conv_error(kX, kW, {{"pads", Shape{0, -1, 0, 0}}}),
              HasSubstr("node 'bad' (Conv): pads must be >= 0, got [0,-1,0,0]"));
}

TEST(ConvErrors, UnknownAutoPad) {
  EXPECT_THAT(conv_error(kX, kW, {{"auto_pad", std::string("SAME")}}),
              HasSubstr("node 'bad' (Conv): auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or "
                        "VALID, got \"SAME\""));
}

TEST(ConvErrors, PadsWithAutoPad) {
  EXPECT_THAT(conv_error(kX, kW, {{"auto_pad", std::string("VALID")}, {"pads", Shape{1, 1, 1, 1}}}),
              HasSubstr("node 'bad' (Conv): pads [1,1,1,1] cannot be combined with auto_pad VALID"));
}

TEST(ConvErrors, KernelLargerThanPaddedInput) {
  EXPECT_THAT(conv_error({1, 2, 5, 2}, kW, {{"dilations", Shape{1, 1}}}),
              HasSubstr("node 'bad' (Conv): kernel extent 3 (kernel 3, dilation 1) is larger than "
                        "the padded input 2 along W"));
  EXPECT_THAT(conv_error(kX, kW, {{"dilations", Shape{3, 1}}}),
              HasSubstr("node 'bad' (Conv): kernel extent 7 (kernel 3, dilation 3) is larger than "
                        "the padded input 5 along H"));
}

TEST(ConvErrors, InputMustBeRank4) {
  EXPECT_THAT(conv_error({2, 5, 5}, kW),
              HasSubstr("node 'bad' (Conv): X must have rank 4 (N, C, H, W; only 2-D is "
                        "supported), got f32[2,5,5]"));
}

TEST(ConvErrors, InputMustBeFloat) {
  EXPECT_THAT(node_error("Conv", {{DType::I64, kX}, f32(kW)}),
              HasSubstr("node 'bad' (Conv): X must be a float tensor, got i64[1,2,5,5]"));
}

// ---- Conv --------------------------------------------------------------------------------

TEST(ConvErrors, WeightTypeDiffers) {
  EXPECT_THAT(node_error("Conv", {f32(kX), {DType::F64, kW}}),
              HasSubstr("node 'bad' (Conv): W is f64[4,2,3,3] but X is f32[1,2,5,5]"));
}

TEST(ConvErrors, BiasLength) {
  EXPECT_THAT(node_error("Conv", {f32(kX), f32(kW), f32({3})}),
              HasSubstr("node 'bad' (Conv): B must be f32[4] (one per output channel), got f32[3]"));
}

TEST(ConvErrors, GroupMustBePositive) {
  EXPECT_THAT(conv_error(kX, kW, {{"group", int64_t{0}}}),
              HasSubstr("node 'bad' (Conv): group must be >= 1, got 0"));
}

TEST(ConvErrors, InputChannelsNotDivisibleByGroup) {
  EXPECT_THAT(conv_error({1, 3, 5, 5}, {4, 1, 3, 3}, {{"group", int64_t{2}}}),
              HasSubstr("node 'bad' (Conv): input channels 3 (X [1,3,5,5]) are not divisible by "
                        "group 2"));
}

TEST(ConvErrors, ChannelsPerGroup) {
  EXPECT_THAT(conv_error(kX, {4, 2, 3, 3}, {{"group", int64_t{2}}}),
              HasSubstr("node 'bad' (Conv): W [4,2,3,3] must have 1 input channels per group (X "
                        "has 2 channels, group 2), got 2"));
}

TEST(ConvErrors, OutputChannelsNotDivisibleByGroup) {
  EXPECT_THAT(conv_error(kX, {3, 1, 3, 3}, {{"group", int64_t{2}}}),
              HasSubstr("node 'bad' (Conv): output channels 3 (W [3,1,3,3]) are not divisible by "
                        "group 2"));
}

TEST(ConvErrors, KernelShapeMismatch) {
  EXPECT_THAT(conv_error(kX, kW, {{"kernel_shape", Shape{3, 2}}}),
              HasSubstr("node 'bad' (Conv): kernel_shape [3,2] does not match W [4,2,3,3]"));
}

TEST(ConvErrors, GradientOpChecksDy) {
  EXPECT_THAT(node_error("ConvGradInput", {f32({1, 4, 2, 2}), f32(kW)},
                         {{"input_shape", Shape{1, 2, 5, 5}}}),
              HasSubstr("node 'bad' (ConvGradInput): dY must have the forward output's shape "
                        "[1,4,3,3], got [1,4,2,2]"));
  EXPECT_THAT(node_error("ConvGradWeight", {f32({1, 4, 3, 3}), f32(kX)},
                         {{"weight_shape", Shape{4, 2, 3}}}),
              HasSubstr("node 'bad' (ConvGradWeight): weight_shape must have 4 entries, got "
                        "[4,2,3]"));
}

// ---- BatchNormalization ------------------------------------------------------------------

std::string batch_norm_error(Shape scale, Attrs attrs = {}) {
  return node_error("BatchNormalization",
                    {f32({2, 3, 4, 4}), f32(std::move(scale)), f32({3}), f32({3}), f32({3})},
                    std::move(attrs));
}

TEST(BatchNormErrors, PerChannelInputs) {
  EXPECT_THAT(batch_norm_error({4}),
              HasSubstr("node 'bad' (BatchNormalization): scale must be f32[3] (one per channel "
                        "of f32[2,3,4,4]), got f32[4]"));
}

TEST(BatchNormErrors, InputMustHaveBatchAndChannels) {
  EXPECT_THAT(node_error("BatchNormalization", {f32({3}), f32({3}), f32({3}), f32({3}), f32({3})}),
              HasSubstr("node 'bad' (BatchNormalization): X must be a float tensor [N, C, ...] "
                        "of rank >= 2, got f32[3]"));
}

TEST(BatchNormErrors, NegativeEpsilon) {
  EXPECT_THAT(batch_norm_error({3}, {{"epsilon", -1.0f}}),
              HasSubstr("node 'bad' (BatchNormalization): epsilon must be >= 0, got -1"));
}

TEST(BatchNormErrors, TrainingModeValue) {
  EXPECT_THAT(batch_norm_error({3}, {{"training_mode", int64_t{2}}}),
              HasSubstr("node 'bad' (BatchNormalization): training_mode must be 0 or 1, got 2"));
}

TEST(BatchNormErrors, NoGradientThroughRunningStatistics) {
  Graph g;
  std::vector<ValueId> ids{g.add_input("x", f32({2, 1, 2, 2}))};
  for (const char* name : {"scale", "b", "mean", "var"}) ids.push_back(g.add_input(name, f32({1})));
  std::vector<ValueId> outs =
      g.add_node("BatchNormalization", ids, {{"training_mode", int64_t{1}}}, "bn");
  ValueId loss = g.add("ReduceSumTo", {outs[1]}, {{"shape", Shape{}}});
  try {
    append_gradients(g, loss, {ids[0]});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'bn' (BatchNormalization): the loss depends on output "
                                    "1 (running_mean), a running statistic"));
  }
}

// ---- pooling -----------------------------------------------------------------------------

TEST(PoolErrors, KernelShapeRequired) {
  EXPECT_THAT(node_error("MaxPool", {f32(kX)}),
              HasSubstr("node 'bad' (MaxPool): required attribute 'kernel_shape' is missing"));
}

TEST(PoolErrors, KernelShapeNeedsTwoEntries) {
  EXPECT_THAT(node_error("MaxPool", {f32(kX)}, {{"kernel_shape", Shape{2}}}),
              HasSubstr("node 'bad' (MaxPool): kernel_shape must have 2 entries, got [2]"));
}

TEST(PoolErrors, KernelShapeMustBePositive) {
  EXPECT_THAT(node_error("AveragePool", {f32(kX)}, {{"kernel_shape", Shape{2, 0}}}),
              HasSubstr("node 'bad' (AveragePool): kernel_shape must be >= 1, got [2,0]"));
}

TEST(PoolErrors, PadsSmallerThanKernel) {
  EXPECT_THAT(node_error("MaxPool", {f32(kX)},
                         {{"kernel_shape", Shape{2, 2}}, {"pads", Shape{0, 0, 2, 0}}}),
              HasSubstr("node 'bad' (MaxPool): pads must be smaller than kernel_shape [2,2], got "
                        "pads [0,0,2,0]"));
}

TEST(PoolErrors, CeilModeValue) {
  EXPECT_THAT(node_error("MaxPool", {f32(kX)},
                         {{"kernel_shape", Shape{2, 2}}, {"ceil_mode", int64_t{2}}}),
              HasSubstr("node 'bad' (MaxPool): ceil_mode must be 0 or 1, got 2"));
}

TEST(PoolErrors, CeilModeWindowStartingInPadding) {
  // W 5, pads 1+1, kernel 2, stride 2: ceil((5 + 2 - 2) / 2) + 1 = 4 windows, the last
  // starting at 3 * 2 = 6 >= 5 + 1, inside the end padding.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 1, 1, 5}});
  EXPECT_EQ(nas::testing::user_error_message([&] {
              g.add("MaxPool", {x},
                    {{"kernel_shape", Shape{1, 2}}, {"strides", Shape{1, 2}},
                     {"pads", Shape{0, 1, 0, 1}}, {"ceil_mode", int64_t{1}}}, "pool");
            }),
            "node 'pool' (MaxPool): ceil_mode makes the last window along W start in the end "
            "padding (input 5, pads 1+1, kernel 2, stride 2), where ONNX, PyTorch and ONNX "
            "Runtime disagree; use ceil_mode 0 or smaller pads");
}

TEST(PoolErrors, CountIncludePadValue) {
  EXPECT_THAT(node_error("AveragePool", {f32(kX)},
                         {{"kernel_shape", Shape{2, 2}}, {"count_include_pad", int64_t{-1}}}),
              HasSubstr("node 'bad' (AveragePool): count_include_pad must be 0 or 1, got -1"));
}

TEST(PoolErrors, KernelLargerThanInput) {
  EXPECT_THAT(node_error("AveragePool", {f32(kX)}, {{"kernel_shape", Shape{6, 2}}}),
              HasSubstr("node 'bad' (AveragePool): kernel extent 6 (kernel 6, dilation 1) is "
                        "larger than the padded input 5 along H"));
}

TEST(PoolErrors, GlobalAveragePoolRank) {
  EXPECT_THAT(node_error("GlobalAveragePool", {f32({1, 2, 3})}),
              HasSubstr("node 'bad' (GlobalAveragePool): X must have rank 4"));
}

TEST(PoolErrors, GradientOpChecksDy) {
  EXPECT_THAT(node_error("MaxPoolGrad", {f32({1, 2, 5, 5}), f32(kX)},
                         {{"kernel_shape", Shape{2, 2}}}),
              HasSubstr("node 'bad' (MaxPoolGrad): dY must have the forward output's shape "
                        "[1,2,4,4], got [1,2,5,5]"));
  EXPECT_THAT(node_error("GlobalAveragePoolGrad", {f32({1, 2, 1, 1})},
                         {{"input_shape", Shape{1, 3, 4, 4}}}),
              HasSubstr("node 'bad' (GlobalAveragePoolGrad): dY must have the forward output's "
                        "shape [1,3,1,1], got [1,2,1,1]"));
}

}  // namespace
}  // namespace nas::graph
