// One test per user-facing error message of ops/activation.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/support/error.h"

namespace nas::graph {
namespace {

using ::testing::HasSubstr;

// The message of the UserError that adding the node throws ("" if none).
std::string add_error(Graph& g, std::string_view op, std::vector<ValueId> inputs, Attrs attrs) {
  try {
    g.add_node(op, std::move(inputs), std::move(attrs), "bad");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ActivationErrors, CastRejectsUnsupportedType) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {2}});
  EXPECT_THAT(add_error(g, "Cast", {x}, {{"to", int64_t{10}}}),
              HasSubstr("node 'bad' (Cast): to=10 is not a supported type; supported: 1 (FLOAT), "
                        "7 (INT64), 11 (DOUBLE)"));
}

TEST(ActivationErrors, DropoutRatioOutOfRange) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {2}});
  EXPECT_THAT(add_error(g, "Dropout", {x}, {{"ratio", 1.0f}}),
              HasSubstr("node 'bad' (Dropout): ratio must be in [0, 1), got 1"));
}

TEST(ActivationErrors, DropoutTrainingModeNotBool) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {2}});
  EXPECT_THAT(add_error(g, "Dropout", {x}, {{"training_mode", int64_t{2}}}),
              HasSubstr("node 'bad' (Dropout): training_mode must be 0 or 1, got 2"));
}

TEST(ActivationErrors, SubShapesDoNotBroadcast) {
  Graph g;
  const ValueId a = g.add_input("a", {DType::F32, {2, 3}});
  const ValueId b = g.add_input("b", {DType::F32, {4}});
  EXPECT_THAT(add_error(g, "Sub", {a, b}, {}),
              HasSubstr("node 'bad' (Sub): shapes [2,3] and [4] do not broadcast"));
}

TEST(ActivationErrors, DivInputTypesDiffer) {
  Graph g;
  const ValueId a = g.add_input("a", {DType::F32, {3}});
  const ValueId b = g.add_input("b", {DType::F64, {3}});
  EXPECT_THAT(add_error(g, "Div", {a, b}, {}),
              HasSubstr("node 'bad' (Div): inputs have different types f32[3] and f64[3]"));
}

TEST(ActivationErrors, SigmoidNeedsFloatInput) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::I64, {3}});
  EXPECT_THAT(add_error(g, "Sigmoid", {x}, {}),
              HasSubstr("node 'bad' (Sigmoid): input 0 must be a float tensor, got i64[3]"));
}

}  // namespace
}  // namespace nas::graph
