// ONNX import of hand-built models: constants, folding, dead code, input shapes, the
// special cases of older opsets, and one test per import error message.
#include "compiler/onnx/onnx_import.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/op_registry.h"
#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/support/error.h"
#include "tests/graph/op_cases.h"
#include "tests/onnx/onnx_test_models.h"

namespace nas::testing {
namespace {

using namespace graph;
using onnx_io::import_onnx_bytes;
using ::testing::HasSubstr;

#define REQUIRE_OPS(...)                                                              \
  for (const char* op : {__VA_ARGS__})                                                \
    if (!OpRegistry::instance().find(op)) GTEST_SKIP() << "op " << op << " is not registered"

Graph import(const OnnxModel& m, onnx_io::ImportOptions options = {}) {
  return import_onnx_bytes(m.bytes(), "m.onnx", options);
}

std::string import_error(const OnnxModel& m, onnx_io::ImportOptions options = {}) {
  try {
    import(m, options);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string import_error_bytes(const std::string& bytes) {
  try {
    import_onnx_bytes(bytes, "m.onnx");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> op_sequence(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.nodes()) ops.push_back(n.op_name());
  return ops;
}

TEST(OnnxImport, InitializerBecomesAConstantAndNamesAreKept) {
  OnnxModel m;
  m.input("x", {2, 3}).initializer("w", Tensor::f32({3}, {1, 2, 3})).output("y");
  m.node("Add", {"x", "w"}, {"y"}, "add");
  Graph g = import(m);
  EXPECT_EQ(print_graph(g),
            "graph test(%x: f32[2,3]) {\n"
            "  const %w: f32[3]\n"
            "  %y: f32[2,3] = Add(%x, %w)  # add\n"
            "  return %y\n"
            "}\n");
}

TEST(OnnxImport, GraphInputWithInitializerIsAConstant) {
  OnnxModel m;
  m.input("x", {2}).input("w", {2}).initializer("w", Tensor::f32({2}, {5, 6})).output("y");
  m.node("Mul", {"x", "w"}, {"y"});
  Graph g = import(m);
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_TRUE(g.is_constant(*g.find("w")));
}

TEST(OnnxImport, ConstantNodesFoldAndDeadCodeGoes) {
  // c = 2 + 3 folds to 5; y = x * c; the Relu is dead.
  OnnxModel m;
  m.input("x", {3}).output("y");
  m.constant("two", Tensor::scalar_f32(2));
  auto& three = m.node("Constant", {}, {"three"});
  add_attr(three, "value_float", 3.0f);
  m.node("Add", {"two", "three"}, {"c"});
  m.node("Relu", {"x"}, {"dead"});
  m.node("Mul", {"x", "c"}, {"y"});
  Graph g = import(m);
  EXPECT_EQ(op_sequence(g), std::vector<std::string>{"Mul"});
  ASSERT_EQ(g.constants().size(), 1u);
  EXPECT_EQ(g.constants().begin()->second, Tensor::scalar_f32(5));
  std::vector<Tensor> out = run_reference(g, {Tensor::f32({3}, {1, 2, 3})});
  EXPECT_EQ(out[0], Tensor::f32({3}, {5, 10, 15}));
}

TEST(OnnxImport, ConstantNodeKinds) {
  OnnxModel m;
  m.output("a", {}, onnx::TensorProto::INT64, true).output("b", {2}, onnx::TensorProto::INT64);
  m.output("c", {2});
  add_attr(m.node("Constant", {}, {"a"}), "value_int", int64_t(7));
  add_attr(m.node("Constant", {}, {"b"}), "value_ints", std::vector<int64_t>{1, 2});
  auto* floats = m.node("Constant", {}, {"c"}).add_attribute();
  floats->set_name("value_floats");
  floats->set_type(onnx::AttributeProto::FLOATS);
  floats->add_floats(0.5f);
  floats->add_floats(1.5f);
  std::vector<Tensor> out = run_reference(import(m), {});
  EXPECT_EQ(out[0], Tensor::i64({}, {7}));
  EXPECT_EQ(out[1], Tensor::i64({2}, {1, 2}));
  EXPECT_EQ(out[2], Tensor::f32({2}, {0.5f, 1.5f}));
}

TEST(OnnxImport, ShapeFoldsFromTheType) {
  OnnxModel m;
  m.input("x", {2, 3, 5}).output("s", {3}, onnx::TensorProto::INT64).output("t", {1}, onnx::TensorProto::INT64);
  m.node("Shape", {"x"}, {"s"});
  auto& tail = m.node("Shape", {"x"}, {"t"});
  add_attr(tail, "start", int64_t(-1));
  Graph g = import(m);
  EXPECT_TRUE(g.nodes().empty());
  std::vector<Tensor> out = run_reference(g, {Tensor(DType::F32, {2, 3, 5})});
  EXPECT_EQ(out[0], Tensor::i64({3}, {2, 3, 5}));
  EXPECT_EQ(out[1], Tensor::i64({1}, {5}));
}

// Every op case, exported, with its initializers turned into Constant nodes: attribute
// inputs given by Constant nodes import like initializers.
TEST(OnnxImport, AttributeInputsFromConstantNodes) {
  int checked = 0;
  for (const OpCase& c : op_cases()) {
    if (!c.onnx) continue;
    SCOPED_TRACE(c.name);
    Rng rng(1);
    Graph g;
    std::vector<Tensor> inputs;
    c.build(rng, g, inputs);
    onnx::ModelProto model;
    try {
      ASSERT_TRUE(model.ParseFromString(onnx_io::export_onnx_bytes(g)));
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();  // the round-trip test reports it too
      continue;
    }
    onnx::GraphProto* graph = model.mutable_graph();
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (const onnx::TensorProto& t : graph->initializer()) {
      onnx::NodeProto* n = nodes.Add();
      n->set_op_type("Constant");
      n->set_name(t.name() + ".const");
      n->add_output(t.name());
      auto* a = n->add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      *a->mutable_t() = t;
      a->mutable_t()->clear_name();
    }
    graph->clear_initializer();
    for (const onnx::NodeProto& n : graph->node()) *nodes.Add() = n;
    graph->mutable_node()->Swap(&nodes);
    Graph back = import_onnx_bytes(model.SerializeAsString(), c.name);
    if (!import_folds(g)) {
      EXPECT_EQ(print_graph(back), print_graph(g));
    }
    EXPECT_EQ(run_reference(back, inputs), run_reference(g, inputs));
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(OnnxImport, AttributeInputsFromInitializers) {
  REQUIRE_OPS("Reshape");
  OnnxModel m;
  m.input("x", {2, 3}).initializer("shape", Tensor::i64({2}, {3, 2})).output("y");
  m.node("Reshape", {"x", "shape"}, {"y"}, "r");
  Graph g = import(m);
  ASSERT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.nodes()[0].attrs.ints("shape"), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(g.constants().empty());
  EXPECT_EQ(g.type(g.outputs()[0]).shape, (Shape{3, 2}));
}

TEST(OnnxImport, AttributeInputMustBeConstant) {
  REQUIRE_OPS("Reshape");
  OnnxModel m;
  m.input("x", {2, 3}).input("shape", {2}, onnx::TensorProto::INT64).output("y");
  m.node("Reshape", {"x", "shape"}, {"y"}, "r");
  EXPECT_THAT(import_error(m), HasSubstr("node 'r' (Reshape, opset 17): input 1 (shape) must be a constant"));
}

// What torch.onnx.export writes for x.view(x.size(0), -1).
TEST(OnnxImport, TorchShapeArithmeticFoldsAway) {
  REQUIRE_OPS("Reshape", "Gather", "Unsqueeze", "Concat");
  OnnxModel m(13);
  m.input("x", {-1, 3, 4}).output("y");
  m.node("Shape", {"x"}, {"s"});
  m.constant("zero", Tensor::i64({}, {0}));
  add_attr(m.node("Gather", {"s", "zero"}, {"n"}), "axis", int64_t(0));
  m.constant("axes", Tensor::i64({1}, {0}));
  m.node("Unsqueeze", {"n", "axes"}, {"n1"});
  m.constant("minus_one", Tensor::i64({1}, {-1}));
  add_attr(m.node("Concat", {"n1", "minus_one"}, {"shape"}), "axis", int64_t(0));
  m.node("Reshape", {"x", "shape"}, {"y"}, "view");
  onnx_io::ImportOptions options;
  options.input_shapes["x"] = {2, 3, 4};
  Graph g = import(m, options);
  EXPECT_EQ(op_sequence(g), std::vector<std::string>{"Reshape"});
  EXPECT_TRUE(g.constants().empty());
  EXPECT_EQ(g.type(g.outputs()[0]).shape, (Shape{2, 12}));
}

// What torch.onnx.export writes for x.chunk(2, dim=1) (ShuffleNetV2's channel split): the
// half of the channel count in i64 arithmetic, folded away.
TEST(OnnxImport, IntegerShapeArithmeticFoldsAway) {
  REQUIRE_OPS("Slice", "Gather", "Unsqueeze");
  OnnxModel m(17);
  m.input("x", {1, 8, 4, 4}).output("y");
  m.node("Shape", {"x"}, {"s"});
  m.constant("one", Tensor::i64({}, {1}));
  m.constant("two", Tensor::i64({}, {2}));
  add_attr(m.node("Gather", {"s", "one"}, {"c"}), "axis", int64_t(0));
  m.node("Add", {"c", "one"}, {"c1"});
  m.node("Div", {"c1", "two"}, {"half"});  // (8 + 1) / 2 = 4, truncated
  m.constant("zero_axis", Tensor::i64({1}, {0}));
  m.node("Unsqueeze", {"half", "zero_axis"}, {"end"});
  m.constant("start", Tensor::i64({1}, {0}));
  m.constant("axes", Tensor::i64({1}, {1}));
  m.node("Slice", {"x", "start", "end", "axes"}, {"y"}, "chunk");
  Graph g = import(m);
  EXPECT_EQ(op_sequence(g), std::vector<std::string>{"Slice"});
  EXPECT_EQ(g.type(g.outputs()[0]).shape, (Shape{1, 4, 4, 4}));
}

// Each folded op with ONNX's semantics: integer Div truncates, Mod takes the divisor's sign
// (fmod = 0) or the dividend's (fmod = 1), booleans are 0 and 1, shapes broadcast.
TEST(OnnxImport, IntegerArithmeticOnConstantsFollowsOnnx) {
  OnnxModel m(17);
  const int i64 = onnx::TensorProto::INT64;
  m.input("x", {1, 8}).output("mod0", {2}, i64).output("mod1", {2}, i64).output("div", {2}, i64)
      .output("where", {2}, i64).output("third", {}, i64).output("sum", {2, 3}, i64)
      .output("neg", {2}, i64).output("big", {2}, i64);
  m.constant("a", Tensor::i64({2}, {-7, 7}));
  m.constant("b", Tensor::i64({2}, {3, -3}));
  m.node("Mod", {"a", "b"}, {"mod0"});
  add_attr(m.node("Mod", {"a", "b"}, {"mod1"}), "fmod", int64_t(1));
  m.constant("twos", Tensor::i64({2}, {2, 2}));
  m.node("Div", {"a", "twos"}, {"div"});
  m.constant("p", Tensor::i64({2}, {1, 2}));
  m.constant("q", Tensor::i64({2}, {1, 3}));
  m.node("Equal", {"p", "q"}, {"same"});
  m.constant("yes", Tensor::i64({2}, {10, 20}));
  m.constant("no", Tensor::i64({2}, {30, 40}));
  m.node("Where", {"same", "yes", "no"}, {"where"});
  // floor(channels / 3) through floats, as torch writes integer division of sizes.
  m.node("Shape", {"x"}, {"s"});
  m.constant("last", Tensor::i64({}, {1}));
  add_attr(m.node("Gather", {"s", "last"}, {"c"}), "axis", int64_t(0));
  add_attr(m.node("Cast", {"c"}, {"cf"}), "to", int64_t(onnx::TensorProto::FLOAT));
  m.constant("three", Tensor::f32({}, {3.0f}));
  m.node("Div", {"cf", "three"}, {"q3"});
  m.node("Floor", {"q3"}, {"f3"});
  add_attr(m.node("Cast", {"f3"}, {"third"}), "to", int64_t(onnx::TensorProto::INT64));
  m.constant("col", Tensor::i64({2, 1}, {1, 2}));
  m.constant("row", Tensor::i64({3}, {10, 20, 30}));
  m.node("Add", {"col", "row"}, {"sum"});
  m.node("Neg", {"a"}, {"neg"});
  // INT64_MAX ("to the end" in torch's slices) passes through exactly.
  const int64_t end = std::numeric_limits<int64_t>::max();
  m.constant("ends", Tensor::i64({2}, {end, 5}));
  m.constant("caps", Tensor::i64({2}, {end, 9}));
  m.node("Min", {"ends", "caps"}, {"big"});
  const Graph g = import(m);
  EXPECT_TRUE(g.nodes().empty());
  const std::vector<Tensor> out = run_reference(g, {Tensor(DType::F32, {1, 8})});
  EXPECT_EQ(out[0], Tensor::i64({2}, {2, -2}));
  EXPECT_EQ(out[1], Tensor::i64({2}, {-1, 1}));
  EXPECT_EQ(out[2], Tensor::i64({2}, {-3, 3}));
  EXPECT_EQ(out[3], Tensor::i64({2}, {10, 40}));
  EXPECT_EQ(out[4], Tensor::i64({}, {2}));
  EXPECT_EQ(out[5], Tensor::i64({2, 3}, {11, 21, 31, 12, 22, 32}));
  EXPECT_EQ(out[6], Tensor::i64({2}, {7, -7}));
  EXPECT_EQ(out[7], Tensor::i64({2}, {end, 5}));
}

// ViT's class token, expanded to the batch, and its attention scale, the square root of a
// head's width read from a shape: both constants, folded.
TEST(OnnxImport, ExpandAndSqrtOfConstantsFold) {
  OnnxModel m(17);
  m.input("x", {1, 4, 8}).output("tokens", {2, 1, 3}).output("scale", {});
  m.constant("cls", Tensor::f32({1, 1, 3}, {1.0f, 2.0f, 3.0f}));
  m.constant("batch", Tensor::i64({3}, {2, 1, 1}));
  m.node("Expand", {"cls", "batch"}, {"tokens"});
  m.node("Shape", {"x"}, {"s"});
  m.constant("last", Tensor::i64({}, {2}));
  add_attr(m.node("Gather", {"s", "last"}, {"width"}), "axis", int64_t(0));
  add_attr(m.node("Cast", {"width"}, {"wf"}), "to", int64_t(onnx::TensorProto::FLOAT));
  m.node("Sqrt", {"wf"}, {"scale"});
  const Graph g = import(m);
  EXPECT_TRUE(g.nodes().empty());
  const std::vector<Tensor> out = run_reference(g, {Tensor(DType::F32, {1, 4, 8})});
  EXPECT_EQ(out[0], Tensor::f32({2, 1, 3}, {1.0f, 2.0f, 3.0f, 1.0f, 2.0f, 3.0f}));
  EXPECT_NEAR(out[1].at(0), std::sqrt(8.0), 1e-6);
  OnnxModel bad(17);
  bad.input("x", {1}).output("y", {2, 3});
  bad.constant("v", Tensor::f32({3}, {1.0f, 2.0f, 3.0f}));
  bad.constant("to", Tensor::i64({2}, {2, 4}));
  bad.node("Expand", {"v", "to"}, {"y"}, "grow");
  EXPECT_EQ(import_error(bad),
            "m.onnx: node 'grow' (Expand, opset 17): the shapes of the inputs do not broadcast "
            "([3], [2,4])");
  OnnxModel negative(17);
  negative.input("x", {1}).output("y", {3});
  negative.constant("v", Tensor::f32({3}, {1.0f, 2.0f, 3.0f}));
  negative.constant("to", Tensor::i64({1}, {-3}));
  negative.node("Expand", {"v", "to"}, {"y"}, "grow");
  EXPECT_EQ(import_error(negative),
            "m.onnx: node 'grow' (Expand, opset 17): Expand to a negative extent -3");
  OnnxModel matrix(17);
  matrix.input("x", {1}).output("y", {3});
  matrix.constant("v", Tensor::f32({3}, {1.0f, 2.0f, 3.0f}));
  matrix.constant("to", Tensor::i64({1, 1}, {3}));
  matrix.node("Expand", {"v", "to"}, {"y"}, "grow");
  EXPECT_EQ(import_error(matrix),
            "m.onnx: node 'grow' (Expand, opset 17): Expand's shape must be a 1-D integer "
            "tensor, got [1,1]");
}

// Swin's shifted-window masks and scale: Range, ScatterND and Pow of constants, folded.
TEST(OnnxImport, RangeScatterAndPowOfConstantsFold) {
  OnnxModel m(17);
  const int i64 = onnx::TensorProto::INT64;
  m.input("x", {1}).output("range", {3}, i64).output("scattered", {3, 2}).output("power", {2});
  m.constant("start", Tensor::i64({}, {2}));
  m.constant("limit", Tensor::i64({}, {9}));
  m.constant("delta", Tensor::i64({}, {3}));
  m.node("Range", {"start", "limit", "delta"}, {"range"});
  m.constant("zeros", Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0}));
  m.constant("rows", Tensor::i64({2, 1}, {2, -3}));
  m.constant("values", Tensor::f32({2, 2}, {1, 2, 3, 4}));
  m.node("ScatterND", {"zeros", "rows", "values"}, {"scattered"});
  m.constant("width", Tensor::f32({2}, {4.0f, 16.0f}));
  m.constant("half", Tensor::f32({}, {-0.5f}));
  m.node("Pow", {"width", "half"}, {"power"});
  const Graph g = import(m);
  EXPECT_TRUE(g.nodes().empty());
  const std::vector<Tensor> out = run_reference(g, {Tensor(DType::F32, {1})});
  EXPECT_EQ(out[0], Tensor::i64({3}, {2, 5, 8}));
  EXPECT_EQ(out[1], Tensor::f32({3, 2}, {3, 4, 0, 0, 1, 2}));
  EXPECT_EQ(out[2], Tensor::f32({2}, {0.5f, 0.25f}));
  OnnxModel zero(17);
  zero.input("x", {1}).output("r", {1}, i64);
  zero.constant("a", Tensor::i64({}, {0}));
  zero.constant("b", Tensor::i64({}, {4}));
  zero.node("Range", {"a", "b", "a"}, {"r"}, "steps");
  EXPECT_EQ(import_error(zero), "m.onnx: node 'steps' (Range, opset 17): Range with a delta of 0");
  OnnxModel far(17);
  far.input("x", {1}).output("s", {3, 2});
  far.constant("zeros", Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0}));
  far.constant("rows", Tensor::i64({1, 1}, {3}));
  far.constant("values", Tensor::f32({1, 2}, {1, 2}));
  far.node("ScatterND", {"zeros", "rows", "values"}, {"s"}, "mask");
  EXPECT_EQ(import_error(far),
            "m.onnx: node 'mask' (ScatterND, opset 17): ScatterND index 3 is out of range for "
            "axis 0 of size 3");
  OnnxModel short_updates(17);
  short_updates.input("x", {1}).output("s", {3, 2});
  short_updates.constant("zeros", Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0}));
  short_updates.constant("rows", Tensor::i64({1, 1}, {0}));
  short_updates.constant("values", Tensor::f32({1}, {1}));
  short_updates.node("ScatterND", {"zeros", "rows", "values"}, {"s"}, "mask");
  EXPECT_EQ(import_error(short_updates),
            "m.onnx: node 'mask' (ScatterND, opset 17): ScatterND's updates [1] do not match 1 "
            "slices of 2 elements");
  OnnxModel vector_range(17);
  vector_range.input("x", {1}).output("r", {1}, i64);
  vector_range.constant("a", Tensor::i64({2}, {0, 1}));
  vector_range.constant("b", Tensor::i64({}, {4}));
  vector_range.node("Range", {"a", "b", "b"}, {"r"}, "steps");
  EXPECT_EQ(import_error(vector_range),
            "m.onnx: node 'steps' (Range, opset 17): Range takes scalars, got [2]");
  OnnxModel deep_indices(17);
  deep_indices.input("x", {1}).output("s", {3, 2});
  deep_indices.constant("zeros", Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0}));
  deep_indices.constant("rows", Tensor::i64({1, 3}, {0, 0, 0}));  // 3 axes of a 2-D value
  deep_indices.constant("values", Tensor::f32({2}, {1, 2}));
  deep_indices.node("ScatterND", {"zeros", "rows", "values"}, {"s"}, "mask");
  EXPECT_EQ(import_error(deep_indices),
            "m.onnx: node 'mask' (ScatterND, opset 17): ScatterND's indices must be integers "
            "[.., k] with k <= 2, got [1,3]");
}

TEST(OnnxImportErrors, IntegerArithmeticErrorsNameTheNode) {
  OnnxModel m(17);
  m.input("x", {1}).output("q", {2}, onnx::TensorProto::INT64);
  m.constant("a", Tensor::i64({2}, {4, 5}));
  m.constant("z", Tensor::i64({2}, {1, 0}));
  m.node("Div", {"a", "z"}, {"q"}, "split_size");
  EXPECT_EQ(import_error(m), "m.onnx: node 'split_size' (Div, opset 17): integer division by zero");
  OnnxModel b(17);
  b.input("x", {1}).output("s", {2}, onnx::TensorProto::INT64);
  b.constant("a", Tensor::i64({2}, {4, 5}));
  b.constant("c", Tensor::i64({3}, {1, 2, 3}));
  b.node("Add", {"a", "c"}, {"s"}, "sizes");
  EXPECT_EQ(import_error(b),
            "m.onnx: node 'sizes' (Add, opset 17): the shapes of the inputs do not broadcast "
            "([2], [3])");
}

// Softmax before opset 13 normalises over the input flattened to 2-D at `axis`.
TEST(OnnxImport, LegacySoftmaxOnANonLastAxis) {
  REQUIRE_OPS("Softmax", "Flatten", "Reshape");
  OnnxModel m(11);
  m.input("x", {2, 3, 2, 2}).output("y");
  add_attr(m.node("Softmax", {"x"}, {"y"}, "sm"), "axis", int64_t(1));
  Graph g = import(m);
  EXPECT_EQ(op_sequence(g), (std::vector<std::string>{"Flatten", "Softmax", "Reshape"}));
  Rng rng(1);
  Tensor x = random_tensor(rng, {2, 3, 2, 2});
  Tensor y = run_reference(g, {x})[0];
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t b = 0; b < 2; ++b) {  // each batch row of 12 sums to one, in proportion to exp
    double sum = 0;
    for (int64_t i = 0; i < 12; ++i) sum += std::exp(x.at(b * 12 + i));
    for (int64_t i = 0; i < 12; ++i)
      EXPECT_NEAR(y.at(b * 12 + i), std::exp(x.at(b * 12 + i)) / sum, 1e-6);
  }
}

TEST(OnnxImport, LegacySoftmaxOnTheLastAxisIsOneNode) {
  REQUIRE_OPS("Softmax");
  OnnxModel m(11);
  m.input("x", {2, 5}).output("y");
  m.node("Softmax", {"x"}, {"y"});  // default axis 1 = last
  EXPECT_EQ(op_sequence(import(m)), std::vector<std::string>{"Softmax"});
}

TEST(OnnxImport, SymbolicDimsTakeTheGivenShape) {
  OnnxModel m;
  m.input("x", {-1, 3}).output("y");
  m.node("Relu", {"x"}, {"y"});
  onnx_io::ImportOptions options;
  options.input_shapes["x"] = {4, 3};
  EXPECT_EQ(import(m, options).type(0), (TensorType{DType::F32, {4, 3}}));
  EXPECT_THAT(import_error(m), HasSubstr("m.onnx: input 'x' (f32[N,3]): dim 0 ('N') is not static"));
  options.input_shapes["x"] = {4, 5};
  EXPECT_THAT(import_error(m, options),
              HasSubstr("input 'x': expected f32[N,3], got shape [4,5] (dim 1 must be 3)"));
  options.input_shapes["x"] = {4};
  EXPECT_THAT(import_error(m, options), HasSubstr("input 'x': expected f32[N,3], got shape [4]"));
  options.input_shapes = {{"z", {1}}};
  EXPECT_THAT(import_error(m, options), HasSubstr("m.onnx: no graph input named 'z' (inputs: x)"));
}

// Pad as torch exports it (opset 11+): pads and constant_value as constant inputs, from an
// initializer or a Constant node; mode as an attribute.
TEST(OnnxImport, PadTakesPadsAndConstantValueFromInputs) {
  REQUIRE_OPS("Pad");
  OnnxModel m(11);
  m.input("x", {1, 2, 3}).output("c").output("r");
  m.initializer("pads", Tensor::i64({6}, {0, 0, 1, 0, 1, 0}));
  m.constant("value", Tensor::scalar_f32(-1));
  m.node("Pad", {"x", "pads", "value"}, {"c"}, "constant_pad");
  add_attr(m.node("Pad", {"x", "pads"}, {"r"}, "reflect_pad"), "mode", std::string("reflect"));
  Graph g = import(m);
  ASSERT_EQ(op_sequence(g), (std::vector<std::string>{"Pad", "Pad"}));
  EXPECT_EQ(g.nodes()[0].attrs.ints("pads"), (std::vector<int64_t>{0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(g.nodes()[0].attrs.f("constant_value"), -1.0f);
  EXPECT_EQ(g.nodes()[1].attrs.s("mode"), "reflect");
  EXPECT_TRUE(g.constants().empty());
  const std::vector<Tensor> out = run_reference(g, {Tensor::f32({1, 2, 3}, {1, 2, 3, 4, 5, 6})});
  // A column before, a row after: -1s there, or the reflection (the row after is row 0).
  EXPECT_EQ(out[0], Tensor::f32({1, 3, 4}, {-1, 1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1}));
  EXPECT_EQ(out[1], Tensor::f32({1, 3, 4}, {2, 1, 2, 3, 5, 4, 5, 6, 2, 1, 2, 3}));
}

TEST(OnnxImport, ReduceMaxTakesAxesAsAnAttribute) {
  REQUIRE_OPS("ReduceMax");
  OnnxModel m(13);
  m.input("x", {2, 3}).output("y");
  auto& n = m.node("ReduceMax", {"x"}, {"y"}, "max");
  add_attr(n, "axes", std::vector<int64_t>{-1});
  add_attr(n, "keepdims", int64_t{0});
  const Graph g = import(m);
  ASSERT_EQ(op_sequence(g), std::vector<std::string>{"ReduceMax"});
  EXPECT_EQ(run_reference(g, {Tensor::f32({2, 3}, {1, 5, 3, 4, 2, 6})})[0],
            Tensor::f32({2}, {5, 6}));
}

TEST(OnnxImportErrors, PadUnsupportedMode) {
  REQUIRE_OPS("Pad");
  OnnxModel m(13);
  m.input("x", {2, 3}).output("y").initializer("pads", Tensor::i64({4}, {0, 1, 0, 1}));
  add_attr(m.node("Pad", {"x", "pads"}, {"y"}, "p"), "mode", std::string("wrap"));
  EXPECT_THAT(import_error(m),
              HasSubstr("m.onnx: node 'p' (Pad): mode \"wrap\" is not supported (supported: "
                        "\"constant\", \"reflect\", \"edge\")"));
}

TEST(OnnxImportErrors, PadNegativePadsBeyondTheInput) {
  REQUIRE_OPS("Pad");
  OnnxModel m(13);
  m.input("x", {2, 3}).output("y").initializer("pads", Tensor::i64({4}, {0, -3, 0, -1}));
  m.node("Pad", {"x", "pads"}, {"y"}, "p");
  EXPECT_THAT(import_error(m),
              HasSubstr("m.onnx: node 'p' (Pad): pads [0,-3,0,-1] remove 4 elements from axis "
                        "1, which has 3"));
}

TEST(OnnxImportErrors, PadReflectWiderThanTheInput) {
  REQUIRE_OPS("Pad");
  OnnxModel m(17);
  m.input("x", {2, 3}).output("y").initializer("pads", Tensor::i64({4}, {2, 0, 0, 0}));
  add_attr(m.node("Pad", {"x", "pads"}, {"y"}, "p"), "mode", std::string("reflect"));
  EXPECT_THAT(import_error(m),
              HasSubstr("m.onnx: node 'p' (Pad): reflect mode needs each pad smaller than its "
                        "axis: pads [2,0,0,0] pad axis 0 of size 2 by 2"));
}

TEST(OnnxImportErrors, PadPadsMustBeConstant) {
  REQUIRE_OPS("Pad");
  OnnxModel m(13);
  m.input("x", {2, 3}).input("pads", {4}, onnx::TensorProto::INT64).output("y");
  m.node("Pad", {"x", "pads"}, {"y"}, "p");
  EXPECT_THAT(import_error(m),
              HasSubstr("node 'p' (Pad, opset 13): input 1 (pads) must be a constant"));
}

TEST(OnnxImportErrors, PadConstantValueMustBeAFloat) {
  REQUIRE_OPS("Pad");
  OnnxModel m(13);
  m.input("x", {2, 3}).output("y").initializer("pads", Tensor::i64({4}, {0, 1, 0, 1}));
  m.initializer("value", Tensor::i64({}, {3}));
  m.node("Pad", {"x", "pads", "value"}, {"y"}, "p");
  EXPECT_THAT(import_error(m),
              HasSubstr("node 'p' (Pad, opset 13): input 2 (constant_value) must be a "
                        "one-element float tensor, got i64[]"));
}

TEST(OnnxImportErrors, ReduceMaxAxisOutOfRange) {
  REQUIRE_OPS("ReduceMax");
  OnnxModel m(13);
  m.input("x", {2, 3}).output("y");
  add_attr(m.node("ReduceMax", {"x"}, {"y"}, "max"), "axes", std::vector<int64_t>{2});
  EXPECT_THAT(import_error(m),
              HasSubstr("m.onnx: node 'max' (ReduceMax): axis 2 is out of range for rank 2"));
}

// noop_with_empty_axes comes with opset 18, which the importer refuses as a whole; in an
// older model it is an unknown attribute.
TEST(OnnxImportErrors, ReduceMaxNoopWithEmptyAxes) {
  REQUIRE_OPS("ReduceMax");
  OnnxModel m(17);
  m.input("x", {2, 3}).output("y");
  add_attr(m.node("ReduceMax", {"x"}, {"y"}, "max"), "noop_with_empty_axes", int64_t{1});
  EXPECT_THAT(import_error(m),
              HasSubstr("node 'max' (ReduceMax, opset 17): unsupported attribute "
                        "'noop_with_empty_axes' (supported: axes, keepdims)"));
}

TEST(OnnxImportErrors, NotAModel) {
  EXPECT_THAT(import_error_bytes(std::string("\xff\xff\xff\xff garbage", 12)),
              HasSubstr("m.onnx: not a valid ONNX model (protobuf parse failed)"));
  OnnxModel m;
  m.input("x", {2}).output("y");
  m.node("Relu", {"x"}, {"y"});
  const std::string bytes = m.bytes();
  EXPECT_THAT(import_error_bytes(bytes.substr(0, bytes.size() / 2)),
              HasSubstr("not a valid ONNX model"));
  onnx::ModelProto no_graph = m.proto();
  no_graph.clear_graph();
  EXPECT_THAT(import_error_bytes(no_graph.SerializeAsString()), HasSubstr("not a valid ONNX model (no graph)"));
  onnx::ModelProto no_ir = m.proto();
  no_ir.clear_ir_version();
  EXPECT_THAT(import_error_bytes(no_ir.SerializeAsString()),
              HasSubstr("not a valid ONNX model (no ir_version)"));
}

TEST(OnnxImportErrors, Opsets) {
  for (int opset : {10, 18}) {
    OnnxModel m(opset);
    m.input("x", {2}).output("y");
    m.node("Relu", {"x"}, {"y"});
    EXPECT_THAT(import_error(m), HasSubstr(fmt::format(
                                     "m.onnx: opset {} of the default ONNX domain is not "
                                     "supported (supported: 11 to 17)", opset)));
  }
  OnnxModel m;
  m.input("x", {2}).output("y");
  m.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
  EXPECT_THAT(import_error(m), HasSubstr("node 'r' (Relu): domain 'com.microsoft' is not supported"));
}

TEST(OnnxImportErrors, UnsupportedOp) {
  OnnxModel m;
  m.input("x", {1, 2, 3}).output("y");
  m.node("LSTM", {"x"}, {"y"}, "lstm");
  const std::string e = import_error(m);
  EXPECT_THAT(e, HasSubstr("node 'lstm' (LSTM, opset 17): unsupported op; supported: "));
  EXPECT_THAT(e, HasSubstr("Add"));
  EXPECT_THAT(e, HasSubstr("Relu"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("ReluGrad")));
  EXPECT_THAT(e, HasSubstr("LayerNormalization"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("Shape, Shape")));  // each op once
}

TEST(OnnxImportErrors, UnsupportedAttribute) {
  OnnxModel m;
  m.input("x", {2}).output("y");
  add_attr(m.node("Relu", {"x"}, {"y"}, "r"), "alpha", 0.1f);
  EXPECT_THAT(import_error(m),
              HasSubstr("node 'r' (Relu, opset 17): unsupported attribute 'alpha' (supported: none)"));
}

TEST(OnnxImportErrors, UnsupportedSecondOutput) {
  OnnxModel m;
  m.input("x", {2}).output("y");
  m.node("Relu", {"x"}, {"y", "extra"}, "r");
  EXPECT_THAT(import_error(m), HasSubstr("node 'r' (Relu, opset 17): output 1 ('extra') is not supported"));
}

TEST(OnnxImportErrors, MaxPoolIndices) {
  REQUIRE_OPS("MaxPool");
  OnnxModel m;
  m.input("x", {1, 1, 4, 4}).output("y");
  add_attr(m.node("MaxPool", {"x"}, {"y", "idx"}, "p"), "kernel_shape", std::vector<int64_t>{2, 2});
  EXPECT_THAT(import_error(m), HasSubstr("node 'p' (MaxPool, opset 17): output 1 ('idx') is not supported"));
}

TEST(OnnxImportErrors, DropoutTrainingMode) {
  REQUIRE_OPS("Dropout");
  OnnxModel m;
  m.input("x", {2}).output("y");
  onnx::TensorProto* flag = m.graph()->add_initializer();
  flag->set_name("train");
  flag->set_data_type(onnx::TensorProto::BOOL);
  flag->set_raw_data(std::string(1, '\1'));
  m.node("Dropout", {"x", "", "train"}, {"y"}, "d");
  EXPECT_THAT(import_error(m), HasSubstr("node 'd' (Dropout, opset 17): training_mode is true"));
}

TEST(OnnxImportErrors, ExternalData) {
  OnnxModel m;
  m.input("x", {2}).output("y");
  onnx::TensorProto* w = m.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  m.node("Add", {"x", "w"}, {"y"});
  EXPECT_THAT(import_error(m), HasSubstr("initializer 'w': external data is not supported"));
}

TEST(OnnxImportErrors, UnsupportedElementType) {
  OnnxModel m;
  m.input("x", {2}, onnx::TensorProto::UINT8).output("y");
  m.node("Relu", {"x"}, {"y"});
  EXPECT_THAT(import_error(m), HasSubstr("m.onnx: input 'x' has element type UINT8"));
}

TEST(OnnxImportErrors, UndefinedInput) {
  OnnxModel m;
  m.input("x", {2}).output("y");
  m.node("Add", {"x", "later"}, {"y"}, "a");
  m.node("Relu", {"x"}, {"later"});
  EXPECT_THAT(import_error(m), HasSubstr("node 'a' (Add, opset 17): input 'later' is not defined"));
}

TEST(OnnxImportErrors, DeclaredOutputTypeDisagrees) {
  OnnxModel m;
  m.input("x", {2}).output("y", {3});
  m.node("Relu", {"x"}, {"y"});
  EXPECT_THAT(import_error(m),
              HasSubstr("m.onnx: graph output 'y' is declared f32[3], but the graph computes f32[2]"));
}

TEST(OnnxImportErrors, ShapeErrorsNameTheNode) {
  OnnxModel m;
  m.input("a", {2}).input("b", {3}).output("y");
  m.node("Add", {"a", "b"}, {"y"}, "add");
  EXPECT_THAT(import_error(m), HasSubstr("node 'add' (Add)"));
}

TEST(OnnxExport, InternalOpHasNoOnnxForm) {
  Graph g;
  ValueId dy = g.add_input("dy", {DType::F32, {2}});
  ValueId x = g.add_input("x", {DType::F32, {2}});
  g.add_output(g.add("ReluGrad", {dy, x}, {}, "rg"));
  try {
    onnx_io::export_onnx_bytes(g);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'rg' (ReluGrad) is internal and has no ONNX form"));
  }
}

// Pad's pads and constant_value become int64 and float initializers feeding inputs 1 and 2;
// opset 18's axes has no opset-17 form.
TEST(OnnxExport, PadWritesPadsAndConstantValueAsInputs) {
  REQUIRE_OPS("Pad");
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  g.add_output(g.add("Pad", {x}, {{"pads", Shape{0, 1, 0, 2}}, {"constant_value", 0.5f}}, "p"));
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(onnx_io::export_onnx_bytes(g)));
  const onnx::NodeProto& node = model.graph().node(0);
  ASSERT_EQ(node.input_size(), 3);
  EXPECT_EQ(node.input(0), "x");
  ASSERT_EQ(model.graph().initializer_size(), 2);
  EXPECT_EQ(model.graph().initializer(0).name(), node.input(1));
  EXPECT_EQ(model.graph().initializer(0).data_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(model.graph().initializer(1).name(), node.input(2));
  EXPECT_EQ(model.graph().initializer(1).data_type(), onnx::TensorProto::FLOAT);

  Graph with_axes;
  const ValueId y = with_axes.add_input("y", {DType::F32, {2, 3}});
  with_axes.add_output(
      with_axes.add("Pad", {y}, {{"pads", Shape{1, 1}}, {"axes", Shape{1}}}, "pa"));
  try {
    onnx_io::export_onnx_bytes(with_axes);
    FAIL() << "a Pad with axes was exported";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'pa' (Pad): attribute axes=[1] has no ONNX form in "
                                    "opset 17"));
  }
}

TEST(OnnxExport, WritesOpset17WithTypes) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  ValueId w = g.add_constant("w", Tensor::f32({3}, {1, 2, 3}));
  g.add_output(g.add("Relu", {g.add("Add", {x, w}, {}, "add")}, {}, "relu"));
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(onnx_io::export_onnx_bytes(g)));
  EXPECT_EQ(model.ir_version(), 8);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), 17);
  EXPECT_EQ(model.producer_name(), "nas");
  ASSERT_EQ(model.graph().initializer_size(), 1);
  EXPECT_EQ(model.graph().initializer(0).raw_data().size(), 12u);
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  EXPECT_EQ(model.graph().value_info_size(), 1);  // %add
}

}  // namespace
}  // namespace nas::testing
