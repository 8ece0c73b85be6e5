// Every supported op, alone in a graph, lowered and run in the interpreter against the
// reference executor: odd sizes, sizes that no vector width divides, strides, padding,
// dilation, groups and broadcasting.
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/passes/layout.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using graph::Attrs;
using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using testing::check_graph;
using testing::random_tensor;
using testing::schedules_to_check;

// A graph of one node over fresh inputs (or constants where `constant` says so).
struct OneOp {
  std::string op;
  std::vector<Shape> inputs;
  Attrs attrs;
  std::vector<bool> constant = {};  // per input; default: all graph inputs
  int outputs = 1;
};

Graph build(const OneOp& c, uint64_t seed = 7) {
  SplitMix64 rng(seed);
  Graph g("one_op");
  std::vector<ValueId> ins;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const std::string name = fmt::format("in{}", i);
    if (i < c.constant.size() && c.constant[i])
      ins.push_back(g.add_constant(name, random_tensor(c.inputs[i], rng)));
    else
      ins.push_back(g.add_input(name, {DType::F32, c.inputs[i]}));
  }
  const std::vector<ValueId> outs = g.add_node(c.op, ins, c.attrs, "node");
  for (ValueId v : outs) g.add_output(v);
  return g;
}

void check_op(const OneOp& c, const std::string& family, int random_seeds = 3) {
  const Graph g = build(c);
  for (const testing::ScheduleCase& sc : schedules_to_check(random_seeds)) {
    SCOPED_TRACE(sc.label);
    const std::vector<std::string> families = check_graph(g, sc);
    ASSERT_EQ(families.size(), 1u);
    EXPECT_EQ(families[0], family);
  }
}

TEST(LowerOps, ConvPaddedWithBias) {
  check_op({"Conv", {{1, 3, 7, 9}, {5, 3, 3, 3}, {5}}, {{"pads", Shape{1, 1, 1, 1}}},
            {false, true, true}},
           "conv2d");
}

TEST(LowerOps, ConvStride2AsymmetricPadsGroups) {
  check_op({"Conv", {{2, 4, 9, 7}, {6, 2, 3, 2}}, {{"pads", Shape{1, 0, 2, 1}},
                                                   {"strides", Shape{2, 2}},
                                                   {"group", int64_t{2}}},
            {false, true}},
           "conv2d");
}

TEST(LowerOps, ConvDilated) {
  check_op({"Conv", {{1, 3, 9, 8}, {4, 3, 3, 3}, {4}},
            {{"pads", Shape{2, 2, 2, 2}}, {"dilations", Shape{2, 2}}}, {false, true, true}},
           "conv2d");
}

TEST(LowerOps, ConvSameUpperStride2) {
  check_op({"Conv", {{1, 2, 7, 6}, {3, 2, 3, 3}},
            {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Shape{2, 2}}}, {false, true}},
           "conv2d");
}

// A width no register block divides (13): the default schedule's last block is guarded.
TEST(LowerOps, ConvOfPrimeWidth) {
  check_op({"Conv", {{1, 2, 3, 13}, {8, 2, 3, 3}, {8}}, {{"pads", Shape{1, 1, 1, 1}}},
            {false, true, true}},
           "conv2d");
}

// Enough output channels for register blocks of several vectors (AVX-512: 4 x 16, AVX2:
// 2 x 8), widths the column blocks do not divide, stride 2, a 1x1 and a 5x5 kernel.
TEST(LowerOps, ConvWithSeveralVectorsOfChannels) {
  check_op({"Conv", {{1, 2, 3, 9}, {64, 2, 3, 3}, {64}}, {{"pads", Shape{1, 1, 1, 1}}},
            {false, true, true}},
           "conv2d", 0);
  check_op({"Conv", {{1, 3, 7, 9}, {32, 3, 3, 3}},
            {{"pads", Shape{1, 2, 1, 0}}, {"strides", Shape{2, 2}}}, {false, true}},
           "conv2d", 0);
  check_op({"Conv", {{1, 3, 2, 18}, {16, 3, 1, 1}, {16}}, {}, {false, true, true}}, "conv2d", 0);
  check_op({"Conv", {{1, 2, 4, 7}, {16, 2, 5, 5}}, {{"pads", Shape{2, 2, 2, 2}}}, {false, true}},
           "conv2d", 0);
}

TEST(LowerOps, ConvPointwise) {
  check_op({"Conv", {{1, 5, 5, 6}, {3, 5, 1, 1}, {3}}, {}, {false, true, true}}, "conv2d");
}

TEST(LowerOps, DepthwiseConv) {
  check_op({"Conv", {{1, 6, 8, 7}, {6, 1, 3, 3}, {6}},
            {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{6}}}, {false, true, true}},
           "depthwise_conv2d");
}

TEST(LowerOps, DepthwiseConvMultiplierStride2) {
  check_op({"Conv", {{1, 3, 9, 9}, {6, 1, 5, 5}},
            {{"pads", Shape{2, 2, 2, 2}}, {"strides", Shape{2, 2}}, {"group", int64_t{3}}},
            {false, true}},
           "depthwise_conv2d");
}

// Conv's gradient ops, over the geometries of the forward cases above: each is a
// reduction of family Reduce. Shapes: forward X, W and the output dY they give.
struct ConvGeometry {
  Shape x, w, dy;
  Attrs attrs;
};

std::vector<ConvGeometry> conv_grad_geometries() {
  return {
      // Odd sizes, symmetric padding.
      {{1, 3, 7, 9}, {5, 3, 3, 3}, {1, 5, 7, 9}, {{"pads", Shape{1, 1, 1, 1}}}},
      // Channels in vectors (16 and 32 output, 16 and 24 input), widths no block divides.
      {{2, 16, 7, 9}, {32, 16, 3, 3}, {2, 32, 7, 9}, {{"pads", Shape{1, 1, 1, 1}}}},
      {{2, 24, 9, 7},
       {16, 24, 3, 3},
       {2, 16, 5, 4},
       {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}}},
      {{1, 8, 5, 11}, {8, 8, 1, 1}, {1, 8, 5, 11}, {}},
      // Depthwise 7x7 over 16 channels (more taps than accumulators), stride 2.
      {{2, 16, 9, 9},
       {16, 1, 7, 7},
       {2, 16, 5, 5},
       {{"pads", Shape{3, 3, 3, 3}}, {"strides", Shape{2, 2}}, {"group", int64_t{16}}}},
      // Stride 2, asymmetric pads, groups 2, a 3x2 kernel, batch 2.
      {{2, 4, 9, 7},
       {6, 2, 3, 2},
       {2, 6, 5, 4},
       {{"pads", Shape{1, 0, 2, 1}}, {"strides", Shape{2, 2}}, {"group", int64_t{2}}}},
      // Dilation 2.
      {{1, 3, 9, 8}, {4, 3, 3, 3}, {1, 4, 9, 8}, {{"pads", Shape{2, 2, 2, 2}}, {"dilations", Shape{2, 2}}}},
      // Stride 2 without padding: the last input rows and columns feed no output.
      {{1, 2, 8, 8}, {3, 2, 3, 3}, {1, 3, 3, 3}, {{"strides", Shape{2, 2}}}},
      // Strides (2, 3), dilations (2, 1), pads only at the end of H and the start of W.
      {{1, 2, 10, 9},
       {3, 2, 3, 2},
       {1, 3, 4, 3},
       {{"pads", Shape{0, 1, 1, 0}}, {"strides", Shape{2, 3}}, {"dilations", Shape{2, 1}}}},
      // auto_pad SAME_LOWER with stride 2: the odd unit of padding at the start.
      {{1, 2, 7, 6},
       {3, 2, 3, 3},
       {1, 3, 4, 3},
       {{"auto_pad", std::string("SAME_LOWER")}, {"strides", Shape{2, 2}}}},
      // Depthwise.
      {{1, 6, 8, 7}, {6, 1, 3, 3}, {1, 6, 8, 7}, {{"pads", Shape{1, 1, 1, 1}}, {"group", int64_t{6}}}},
      // Depthwise with channel multiplier 2, stride 2, a 5x5 kernel.
      {{1, 3, 9, 9},
       {6, 1, 5, 5},
       {1, 6, 5, 5},
       {{"pads", Shape{2, 2, 2, 2}}, {"strides", Shape{2, 2}}, {"group", int64_t{3}}}},
      // Pointwise.
      {{1, 5, 5, 6}, {3, 5, 1, 1}, {1, 3, 5, 6}, {}},
  };
}

// MatMul's gradients: batched, with batch axes broadcast (and summed back), rank-1 operands,
// sizes that no vector width divides. Inputs (dY, B) with a_shape, and (A, dY) with b_shape.
struct MatMulGeometry {
  Shape a, b, y;
};

std::vector<MatMulGeometry> matmul_grad_geometries() {
  return {
      {{5, 7}, {7, 9}, {5, 9}},
      {{2, 3, 5, 7}, {7, 17}, {2, 3, 5, 17}},       // B broadcast over a batch of 2x3
      {{1, 5, 7}, {3, 7, 9}, {3, 5, 9}},            // A's batch axis of 1 summed
      {{5, 7}, {2, 3, 7, 9}, {2, 3, 5, 9}},         // A without batch axes
      {{2, 1, 3, 5}, {1, 4, 5, 3}, {2, 4, 3, 3}},   // both broadcast
      {{7}, {3, 7, 9}, {3, 9}},                     // a rank-1 A (a row)
      {{2, 5, 7}, {7}, {2, 5}},                     // a rank-1 B (a column)
      {{11}, {11, 6}, {6}},
      {{7}, {7}, {}},                               // a dot product
  };
}

TEST(LowerOps, MatMulGradA) {
  for (const MatMulGeometry& m : matmul_grad_geometries()) {
    SCOPED_TRACE(fmt::format("A [{}] B [{}]", fmt::join(m.a, ","), fmt::join(m.b, ",")));
    check_op({"MatMulGradA", {m.y, m.b}, {{"a_shape", m.a}}}, "dense");
  }
}

TEST(LowerOps, MatMulGradB) {
  for (const MatMulGeometry& m : matmul_grad_geometries()) {
    SCOPED_TRACE(fmt::format("A [{}] B [{}]", fmt::join(m.a, ","), fmt::join(m.b, ",")));
    check_op({"MatMulGradB", {m.a, m.y}, {{"b_shape", m.b}}}, "dense");
  }
}

// BatchNormalization's gradients, every output: per-channel sums (stages) then dX, on odd
// channel counts, NCHW, [N, C] and [N, C, L].
// The variance is a square (a kernel of its own) and epsilon 0.5: var + eps >= 0.5.
TEST(LowerOps, BatchNormInferenceGrad) {
  for (const Shape& x : {Shape{2, 5, 3, 7}, Shape{3, 7}, Shape{2, 3, 9}, Shape{1, 17, 1, 1}}) {
    SCOPED_TRACE(fmt::format("X [{}]", fmt::join(x, ",")));
    const Shape c{x[1]};
    Graph g("bn_inference_grad");
    const ValueId dy = g.add_input("dy", {DType::F32, x});
    const ValueId xv = g.add_input("x", {DType::F32, x});
    const ValueId scale = g.add_input("scale", {DType::F32, c});
    const ValueId mean = g.add_input("mean", {DType::F32, c});
    const ValueId root = g.add_input("root", {DType::F32, c});
    const ValueId var = g.add("Mul", {root, root}, {}, "var");
    for (ValueId v : g.add_node("BatchNormInferenceGrad", {dy, xv, scale, mean, var},
                                {{"epsilon", 0.5f}}, "node"))
      g.add_output(v);
    for (const testing::ScheduleCase& sc : schedules_to_check()) {
      SCOPED_TRACE(sc.label);
      EXPECT_EQ(check_graph(g, sc), (std::vector<std::string>{"injective", "softmax"}));
    }
  }
}

TEST(LowerOps, BatchNormTrainingGrad) {
  for (const Shape& x : {Shape{2, 5, 3, 7}, Shape{3, 7}, Shape{2, 3, 9}, Shape{4, 17, 2, 1}}) {
    SCOPED_TRACE(fmt::format("X [{}]", fmt::join(x, ",")));
    check_op({"BatchNormTrainingGrad", {x, x, {x[1]}}, {{"epsilon", 1e-5f}}, {}, 3}, "softmax");
  }
}

TEST(LowerOps, ConvGradInput) {
  for (const ConvGeometry& c : conv_grad_geometries()) {
    SCOPED_TRACE(fmt::format("X [{}] W [{}]", fmt::join(c.x, ","), fmt::join(c.w, ",")));
    Attrs attrs = c.attrs;
    attrs.set("input_shape", c.x);
    check_op({"ConvGradInput", {c.dy, c.w}, attrs}, "conv2d_grad_input");
  }
}

TEST(LowerOps, ConvGradWeight) {
  for (const ConvGeometry& c : conv_grad_geometries()) {
    SCOPED_TRACE(fmt::format("X [{}] W [{}]", fmt::join(c.x, ","), fmt::join(c.w, ",")));
    Attrs attrs = c.attrs;
    attrs.set("weight_shape", c.w);
    check_op({"ConvGradWeight", {c.dy, c.x}, attrs}, "conv2d_grad_weight");
  }
}

TEST(LowerOps, ConvGradBias) {
  check_op({"ConvGradBias", {{2, 5, 7, 9}}, {}}, "reduce");
  check_op({"ConvGradBias", {{3, 17, 1, 1}}, {}}, "reduce");
}

TEST(LowerOps, MaxPool) {
  check_op({"MaxPool", {{1, 3, 7, 9}},
            {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"pads", Shape{1, 1, 1, 1}}}},
           "pool");
  check_op({"MaxPool", {{2, 2, 8, 5}}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}}},
           "pool");
  check_op({"MaxPool", {{1, 2, 8, 8}},
            {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"ceil_mode", int64_t{1}}}},
           "pool");
}

// A dilated window that lies in padding only gives the lowest finite value.
TEST(LowerOps, MaxPoolWindowOfPaddingOnly) {
  check_op({"MaxPool", {{1, 2, 2, 2}},
            {{"kernel_shape", Shape{2, 2}}, {"dilations", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}}}},
           "pool");
}

TEST(LowerOps, AveragePool) {
  for (int64_t include_pad : {0, 1}) {
    SCOPED_TRACE(include_pad);
    check_op({"AveragePool", {{1, 3, 7, 9}},
              {{"kernel_shape", Shape{3, 3}},
               {"strides", Shape{2, 2}},
               {"pads", Shape{1, 1, 1, 1}},
               {"count_include_pad", include_pad}}},
             "pool");
    check_op({"AveragePool", {{1, 2, 8, 7}},
              {{"kernel_shape", Shape{3, 2}},
               {"strides", Shape{2, 1}},
               {"pads", Shape{0, 1, 1, 0}},
               {"ceil_mode", int64_t{1}},
               {"count_include_pad", include_pad}}},
             "pool");
  }
  check_op({"AveragePool", {{1, 3, 5, 5}}, {{"kernel_shape", Shape{3, 3}}}}, "pool");
}

TEST(LowerOps, GlobalAveragePool) {
  check_op({"GlobalAveragePool", {{2, 5, 3, 7}}}, "pool");
}

TEST(LowerOps, Gemm) {
  for (int64_t ta : {0, 1})
    for (int64_t tb : {0, 1}) {
      SCOPED_TRACE(fmt::format("transA {} transB {}", ta, tb));
      const Shape a = ta ? Shape{7, 3} : Shape{3, 7};
      const Shape b = tb ? Shape{5, 7} : Shape{7, 5};
      check_op({"Gemm", {a, b, {5}}, {{"transA", ta}, {"transB", tb}}, {false, true, true}},
               "dense");
    }
  check_op({"Gemm", {{3, 4}, {4, 6}, {3, 1}}, {{"alpha", 0.5f}, {"beta", -2.0f}}}, "dense");
  check_op({"Gemm", {{3, 4}, {4, 6}, {3, 6}}, {{"beta", 0.25f}}}, "dense");
  check_op({"Gemm", {{2, 9}, {9, 3}}, {{"alpha", 3.0f}}}, "dense");
}

// Columns in blocks of up to 4 vectors with a guarded tail block: 40 = 4 x 8 + 8, and
// 12 = 3 x 4 on SSE (default schedules only).
TEST(LowerOps, GemmWithSeveralVectorsOfColumns) {
  check_op({"Gemm", {{2, 7}, {40, 7}, {40}}, {{"transB", int64_t{1}}}, {false, true, true}},
           "dense", 0);
  check_op({"Gemm", {{1, 5}, {12, 5}}, {{"transB", int64_t{1}}}, {false, true}}, "dense", 0);
  check_op({"MatMul", {{3, 6}, {6, 48}}}, "dense", 0);
}

TEST(LowerOps, MatMul) {
  check_op({"MatMul", {{3, 5}, {5, 4}}}, "dense");
  check_op({"MatMul", {{2, 3, 5}, {5, 4}}}, "dense");
  check_op({"MatMul", {{5}, {2, 5, 3}}}, "dense");
  check_op({"MatMul", {{2, 1, 3, 4}, {3, 4, 2}}}, "dense");
  check_op({"MatMul", {{3, 4}, {4}}}, "dense");
  check_op({"MatMul", {{4}, {4}}}, "dense");
}

TEST(LowerOps, Softmax) {
  check_op({"Softmax", {{2, 3, 5}}}, "softmax");
  check_op({"Softmax", {{2, 3, 5}}, {{"axis", int64_t{1}}}}, "softmax");
  check_op({"Softmax", {{3, 4}}, {{"axis", int64_t{0}}}}, "softmax");
}

TEST(LowerOps, ReduceMean) {
  check_op({"ReduceMean", {{2, 3, 4, 5}}, {{"axes", Shape{2, 3}}}}, "reduce");
  check_op({"ReduceMean", {{2, 3, 5}}, {{"axes", Shape{-2}}, {"keepdims", int64_t{0}}}}, "reduce");
  check_op({"ReduceMean", {{3, 5}}, {{"keepdims", int64_t{0}}}}, "reduce");
  check_op({"ReduceMean", {{3, 1, 5}}, {{"axes", Shape{1}}}}, "reduce");
}

TEST(LowerOps, ReduceMax) {
  check_op({"ReduceMax", {{2, 3, 4, 5}}, {{"axes", Shape{2, 3}}}}, "reduce");
  check_op({"ReduceMax", {{2, 3, 5}}, {{"axes", Shape{-2}}, {"keepdims", int64_t{0}}}}, "reduce");
  check_op({"ReduceMax", {{3, 5}}, {{"keepdims", int64_t{0}}}}, "reduce");
  check_op({"ReduceMax", {{3, 1, 5}}, {{"axes", Shape{1}}}}, "reduce");
}

// ReduceSumTo sums over the leading axes the target lacks and over its size-1 axes; with
// nothing to sum it is an identity (0 + x, as the reference adds into zeros).
TEST(LowerOps, ReduceSumTo) {
  check_op({"ReduceSumTo", {{3, 5, 7, 9}}, {{"shape", Shape{5, 1, 1}}}}, "reduce");
  check_op({"ReduceSumTo", {{2, 3}}, {{"shape", Shape{3}}}}, "reduce");
  check_op({"ReduceSumTo", {{4, 1, 6}}, {{"shape", Shape{4, 1, 1}}}}, "reduce");
  check_op({"ReduceSumTo", {{3, 5}}, {{"shape", Shape{}}}}, "reduce");
  check_op({"ReduceSumTo", {{1, 5, 3}}, {{"shape", Shape{5, 1}}}}, "reduce");
  check_op({"ReduceSumTo", {{3, 5}}, {{"shape", Shape{3, 5}}}}, "injective");
  check_op({"ReduceSumTo", {{1, 3, 1}}, {{"shape", Shape{3, 1}}}}, "injective");
}

TEST(LowerOps, ActivationGradients) {
  for (const char* op : {"ReluGrad", "HardSwishGrad", "SigmoidGrad", "TanhGrad", "ErfGrad"}) {
    SCOPED_TRACE(op);
    check_op({op, {{2, 3, 5}, {2, 3, 5}}}, "injective");
  }
  check_op({"ClipGrad", {{2, 3, 5}, {2, 3, 5}}, {{"min", -0.25f}, {"max", 0.5f}}}, "injective");
  check_op({"HardSigmoidGrad", {{2, 9}, {2, 9}}, {{"alpha", 0.3f}, {"beta", 0.4f}}}, "injective");
}

// Gradient ops fuse into a convolution's epilogue: Conv -> ReluGrad(dy = conv, x) ->
// HardSwishGrad(dy = that, x2), one conv2d kernel.
TEST(LowerOps, GradientChainAfterConv) {
  Graph g("conv_grad_chain");
  SplitMix64 rng(5);
  const Shape out{1, 6, 5, 7};
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 5, 7}});
  const ValueId w = g.add_constant("w", random_tensor({6, 3, 3, 3}, rng));
  const ValueId b = g.add_constant("b", random_tensor({6}, rng));
  ValueId y = g.add("Conv", {x, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  y = g.add("ReluGrad", {y, g.add_input("relu_x", {DType::F32, out})}, {}, "relu_grad");
  y = g.add("HardSwishGrad", {y, g.add_input("hswish_x", {DType::F32, out})}, {}, "hswish_grad");
  g.add_output(y);
  ASSERT_EQ(passes::plan_fusion(g).groups.size(), 1u);
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"conv2d"});
  }
}

// SiLU (y * sigmoid(y)) and hard-swish written as y * hardsigmoid(y) after a convolution:
// the diamond computes in the convolution's epilogue, one conv2d kernel, no stored y.
TEST(LowerOps, DiamondAfterConv) {
  for (const char* gate : {"Sigmoid", "HardSigmoid"}) {
    SCOPED_TRACE(gate);
    Graph g("conv_diamond");
    SplitMix64 rng(7);
    const ValueId x = g.add_input("x", {DType::F32, {1, 5, 6, 7}});
    const ValueId w = g.add_constant("w", random_tensor({16, 5, 3, 3}, rng));
    const ValueId b = g.add_constant("b", random_tensor({16}, rng));
    const ValueId y = g.add("Conv", {x, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
    const ValueId s = g.add(gate, {y}, {}, "gate");
    g.add_output(g.add("Mul", {y, s}, {}, "silu"));
    ASSERT_EQ(passes::plan_fusion(g).groups.size(), 1u);
    for (const testing::ScheduleCase& sc : schedules_to_check()) {
      SCOPED_TRACE(sc.label);
      EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"conv2d"});
    }
  }
}

// GELU (erf form) after a dense product with a bias: the whole chain in the product's
// epilogue, one dense kernel, under every schedule.
TEST(LowerOps, GeluChainAfterMatMul) {
  Graph g("matmul_gelu");
  SplitMix64 rng(9);
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 5, 24}});
  const ValueId w = g.add_constant("w", random_tensor({24, 40}, rng));
  const ValueId b = g.add_constant("b", random_tensor({40}, rng));
  const ValueId y = g.add("Add", {g.add("MatMul", {x, w}, {}, "matmul"), b}, {}, "bias");
  const ValueId d = g.add("Div", {y, g.add_constant("root2", graph::Tensor::scalar_f32(1.41421356f))}, {}, "div");
  const ValueId e = g.add("Erf", {d}, {}, "erf");
  const ValueId a = g.add("Add", {e, g.add_constant("one", graph::Tensor::scalar_f32(1.0f))}, {}, "add");
  const ValueId m = g.add("Mul", {y, a}, {}, "mul");
  g.add_output(g.add("Mul", {m, g.add_constant("half", graph::Tensor::scalar_f32(0.5f))}, {}, "gelu"));
  ASSERT_EQ(passes::plan_fusion(g).groups.size(), 1u);
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"dense"});
  }
}

TEST(LowerOps, Unary) {
  for (const char* op : {"Relu", "HardSwish", "Sigmoid", "Tanh", "Erf", "Identity", "Dropout"}) {
    SCOPED_TRACE(op);
    check_op({op, {{2, 3, 5}}}, "injective");
  }
  check_op({"Clip", {{2, 3, 5}}, {{"min", -0.25f}, {"max", 0.5f}}}, "injective");
  check_op({"Clip", {{7}}, {{"min", 0.0f}}}, "injective");
  check_op({"HardSigmoid", {{2, 9}}, {{"alpha", 0.3f}, {"beta", 0.4f}}}, "injective");
}

// Large magnitudes reach the saturated ends of Sigmoid and HardSwish.
TEST(LowerOps, SigmoidOfLargeValues) {
  Graph g("sigmoid");
  const ValueId x = g.add_input("x", {DType::F32, {9}});
  const ValueId scaled = g.add("Mul", {x, g.add_constant("k", graph::Tensor::scalar_f32(200.0f))});
  g.add_output(g.add("Sigmoid", {scaled}));
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    testing::check_graph(g, sc);
  }
}

TEST(LowerOps, BinaryWithBroadcasting) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    SCOPED_TRACE(op);
    check_op({op, {{2, 3, 5}, {2, 3, 5}}}, "injective");
    check_op({op, {{2, 3, 5}, {3, 1}}}, "injective");
    check_op({op, {{1, 5}, {4, 1}}}, "injective");
    check_op({op, {{3, 1, 1}, {}}, {}, {false, true}}, "injective");
  }
}

TEST(LowerOps, BatchNormalizationInference) {
  Graph g("bn");
  SplitMix64 rng(3);
  const ValueId x = g.add_input("x", {DType::F32, {2, 3, 4, 5}});
  std::vector<ValueId> ins{x};
  for (const char* name : {"scale", "bias", "mean"})
    ins.push_back(g.add_constant(name, random_tensor({3}, rng)));
  ins.push_back(g.add_constant("var", random_tensor({3}, rng, 0.1, 2.0)));
  g.add_output(g.add("BatchNormalization", ins, {{"epsilon", 1e-3f}}));
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    check_graph(g, sc);
  }
}

TEST(LowerOps, ReshapeLike) {
  check_op({"Flatten", {{2, 3, 4, 5}}, {{"axis", int64_t{2}}}}, "injective");
  check_op({"Flatten", {{2, 3, 1, 1}}}, "injective");
  check_op({"Reshape", {{2, 3, 4}}, {{"shape", Shape{4, -1}}}}, "injective");
  check_op({"Reshape", {{6, 4}}, {{"shape", Shape{2, 3, 2, 2}}}}, "injective");
  check_op({"Reshape", {{3, 10}}, {{"shape", Shape{5, 6}}}}, "injective");
  check_op({"Squeeze", {{3, 1, 5, 1}}, {{"axes", Shape{1}}}}, "injective");
  check_op({"Squeeze", {{1, 3, 1, 5}}}, "injective");
  check_op({"Unsqueeze", {{3, 5}}, {{"axes", Shape{0, 2}}}}, "injective");
}

TEST(LowerOps, Transpose) {
  check_op({"Transpose", {{2, 3, 4, 5}}, {{"perm", Shape{0, 2, 3, 1}}}}, "injective");
  check_op({"Transpose", {{3, 7}}}, "injective");
}

TEST(LowerOps, Concat) {
  check_op({"Concat", {{2, 3, 5}, {2, 1, 5}, {2, 4, 5}}, {{"axis", int64_t{1}}}}, "injective");
  check_op({"Concat", {{3, 2}, {3, 5}}, {{"axis", int64_t{-1}}}}, "injective");
  check_op({"Concat", {{3}}, {{"axis", int64_t{0}}}}, "injective");
}

TEST(LowerOps, Split) {
  check_op({"Split", {{2, 5, 3}}, {{"axis", int64_t{1}}, {"split", Shape{2, 3}}}}, "injective");
  check_op({"Split", {{6, 4}}, {{"num_outputs", int64_t{3}}}}, "injective");
}

// Every mode, pads on either side of several axes, negative pads (removing).
TEST(LowerOps, Pad) {
  const std::string reflect = "reflect", edge = "edge";
  check_op({"Pad", {{2, 3, 5, 4}},
            {{"pads", Shape{0, 1, 2, 0, 0, 2, 1, 3}}, {"constant_value", 0.5f}}},
           "injective");
  check_op({"Pad", {{2, 5, 6}}, {{"pads", Shape{0, -1, 3, 0, 2, -2}}}}, "injective");
  check_op({"Pad", {{1, 2, 5, 6}}, {{"pads", Shape{0, 0, 2, 3, 0, 1, 4, 5}}, {"mode", reflect}}},
           "injective");
  check_op({"Pad", {{5, 7}}, {{"pads", Shape{-2, 3, 1, -1}}, {"mode", reflect}}}, "injective");
  check_op({"Pad", {{2, 3, 4}}, {{"pads", Shape{1, 0, 3, 0, 2, 5}}, {"mode", edge}}}, "injective");
}

TEST(LowerOps, Slice) {
  check_op({"Slice", {{5, 7}}, {{"starts", Shape{1, -6}}, {"ends", Shape{4, 100}}}}, "injective");
  check_op({"Slice", {{4, 9}}, {{"starts", Shape{-1}}, {"ends", Shape{-100}}, {"axes", Shape{1}},
                                {"steps", Shape{-2}}}},
           "injective");
  check_op({"Slice", {{2, 8, 3}}, {{"starts", Shape{1}}, {"ends", Shape{8}}, {"axes", Shape{1}},
                                   {"steps", Shape{3}}}},
           "injective");
}

// ---- Pooling, softmax, reduce-mean and slice gradients ---------------------------------

// Pool geometries for the gradient ops: X shape and attributes (the dY shape follows).
struct PoolGeometry {
  Shape x;
  Attrs attrs;
};

std::vector<PoolGeometry> pool_grad_geometries() {
  return {
      // Odd sizes, 3x3 at stride 2 with pads 1: inputs covered by 1, 2 or 4 windows.
      {{1, 3, 7, 9},
       {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"pads", Shape{1, 1, 1, 1}}}},
      // Non-overlapping 2x2 windows, an uncovered last column (W 5).
      {{2, 2, 8, 5}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}}},
      // ceil_mode: the last window reaches past the end padding.
      {{1, 2, 8, 8},
       {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"ceil_mode", int64_t{1}}}},
      // Stride (2, 3), a 3x2 kernel, pads only at the end of H and the start of W.
      {{1, 2, 10, 9},
       {{"kernel_shape", Shape{3, 2}}, {"strides", Shape{2, 3}}, {"pads", Shape{0, 1, 2, 0}}}},
      // Stride 1, overlapping 3x3 windows with pads 2 (windows mostly of padding at the borders).
      {{1, 1, 5, 6}, {{"kernel_shape", Shape{3, 3}}, {"pads", Shape{2, 2, 2, 2}}}},
      // auto_pad SAME_LOWER with stride 2.
      {{1, 2, 7, 6},
       {{"kernel_shape", Shape{3, 3}},
        {"strides", Shape{2, 2}},
        {"auto_pad", std::string("SAME_LOWER")}}},
  };
}

Shape pool_dy_shape(const PoolGeometry& p) {
  Graph g("shape");
  const ValueId x = g.add_input("x", {DType::F32, p.x});
  return g.type(g.add("MaxPool", {x}, p.attrs, "pool")).shape;
}

TEST(LowerOps, GlobalAveragePoolGrad) {
  check_op({"GlobalAveragePoolGrad", {{2, 3, 1, 1}}, {{"input_shape", Shape{2, 3, 5, 7}}}},
           "injective");
  check_op({"GlobalAveragePoolGrad", {{1, 17, 1, 1}}, {{"input_shape", Shape{1, 17, 1, 1}}}},
           "injective");
}

TEST(LowerOps, AveragePoolGrad) {
  for (const PoolGeometry& p : pool_grad_geometries())
    for (int64_t include_pad : {0, 1}) {
      SCOPED_TRACE(fmt::format("X [{}] count_include_pad {}", fmt::join(p.x, ","), include_pad));
      Attrs attrs = p.attrs;
      attrs.set("count_include_pad", include_pad);
      attrs.set("input_shape", p.x);
      check_op({"AveragePoolGrad", {pool_dy_shape(p)}, attrs}, "reduce");
    }
}

TEST(LowerOps, MaxPoolGrad) {
  for (const PoolGeometry& p : pool_grad_geometries()) {
    SCOPED_TRACE(fmt::format("X [{}]", fmt::join(p.x, ",")));
    check_op({"MaxPoolGrad", {pool_dy_shape(p), p.x}, p.attrs}, "reduce");
  }
  // Dilation: the one window lies in padding only and routes nothing.
  check_op({"MaxPoolGrad", {{1, 2, 1, 1}, {1, 2, 2, 2}},
            {{"kernel_shape", Shape{2, 2}}, {"dilations", Shape{3, 3}}, {"pads", Shape{1, 1, 1, 1}}}},
           "reduce");
}

// Ties: X takes five values only, so most windows hold several maxima, and dY must go to
// the first in row-major tap order (the reference's rule).
TEST(LowerOps, MaxPoolGradRoutesTiesToTheFirstMaximum) {
  for (const PoolGeometry& p : pool_grad_geometries()) {
    SCOPED_TRACE(fmt::format("X [{}]", fmt::join(p.x, ",")));
    SplitMix64 rng(3);
    graph::Tensor xt = random_tensor(p.x, rng);
    for (int64_t i = 0; i < xt.numel(); ++i)
      xt.data<float>()[i] = std::round(xt.data<float>()[i] * 2.0f) / 2.0f;
    Graph g("max_pool_grad_ties");
    const ValueId dy = g.add_input("dy", {DType::F32, pool_dy_shape(p)});
    const ValueId x = g.add_constant("x", xt);
    g.add_output(g.add("MaxPoolGrad", {dy, x}, p.attrs, "grad"));
    for (const testing::ScheduleCase& sc : schedules_to_check()) {
      SCOPED_TRACE(sc.label);
      EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"reduce"});
    }
  }
}

TEST(LowerOps, SoftmaxGrad) {
  check_op({"SoftmaxGrad", {{2, 3, 5}, {2, 3, 5}}}, "softmax");
  check_op({"SoftmaxGrad", {{2, 3, 5}, {2, 3, 5}}, {{"axis", int64_t{1}}}}, "softmax");
  check_op({"SoftmaxGrad", {{7, 4}, {7, 4}}, {{"axis", int64_t{0}}}}, "softmax");
  check_op({"SoftmaxGrad", {{3, 1}, {3, 1}}}, "softmax");
}

TEST(LowerOps, ReduceMeanGrad) {
  check_op({"ReduceMeanGrad", {{2, 3, 1, 1}},
            {{"axes", Shape{2, 3}}, {"input_shape", Shape{2, 3, 4, 5}}}},
           "injective");
  check_op({"ReduceMeanGrad", {{2, 5}},
            {{"axes", Shape{-2}}, {"keepdims", int64_t{0}}, {"input_shape", Shape{2, 3, 5}}}},
           "injective");
  check_op({"ReduceMeanGrad", {{}}, {{"keepdims", int64_t{0}}, {"input_shape", Shape{3, 5}}}},
           "injective");
  check_op({"ReduceMeanGrad", {{1, 1, 1}}, {{"input_shape", Shape{3, 7, 5}}}}, "injective");
}

// Inputs (dY, X); the ties of ReduceMaxGrad are checked by its op cases and, compiled, by
// tests/runtime/compiled_model_test.cc.
TEST(LowerOps, ReduceMaxGrad) {
  check_op({"ReduceMaxGrad", {{2, 3, 1, 1}, {2, 3, 4, 5}}, {{"axes", Shape{2, 3}}}}, "reduce");
  check_op({"ReduceMaxGrad", {{2, 5}, {2, 3, 5}}, {{"axes", Shape{-2}}, {"keepdims", int64_t{0}}}},
           "reduce");
  check_op({"ReduceMaxGrad", {{}, {3, 5}}, {{"keepdims", int64_t{0}}}}, "reduce");
  check_op({"ReduceMaxGrad", {{1, 7, 1}, {3, 7, 5}}, {{"axes", Shape{0, 2}}}}, "reduce");
}

// Gather of f32 data at constant indices (ViT's split of its packed q, k and v): a scalar
// index drops the axis, several indices (one negative) select rows.
TEST(LowerOps, GatherAtConstantIndices) {
  for (const graph::Tensor& indices :
       {graph::Tensor::i64({}, {1}), graph::Tensor::i64({2, 2}, {2, 0, -1, 1})}) {
    SplitMix64 rng(9);
    Graph g("gather");
    const ValueId x = g.add_input("x", {DType::F32, {2, 3, 5}});
    const ValueId at = g.add_constant("at", indices);
    g.add_output(g.add("Gather", {x, at}, {{"axis", int64_t{1}}}, "node"));
    for (const testing::ScheduleCase& sc : schedules_to_check(1)) {
      SCOPED_TRACE(sc.label);
      EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"injective"});
    }
  }
}

TEST(LowerOps, SliceGrad) {
  check_op({"SliceGrad", {{3, 6}},
            {{"starts", Shape{1, -6}}, {"ends", Shape{4, 100}}, {"input_shape", Shape{5, 7}}}},
           "injective");
  check_op({"SliceGrad", {{4, 5}},
            {{"starts", Shape{-1}}, {"ends", Shape{-100}}, {"axes", Shape{1}}, {"steps", Shape{-2}},
             {"input_shape", Shape{4, 9}}}},
           "injective");
  check_op({"SliceGrad", {{2, 3, 3}},
            {{"starts", Shape{1}}, {"ends", Shape{8}}, {"axes", Shape{1}}, {"steps", Shape{3}},
             {"input_shape", Shape{2, 8, 3}}}},
           "injective");
  // A negative step of 3 from the middle, and a slice of everything (an identity).
  check_op({"SliceGrad", {{2, 3}},
            {{"starts", Shape{7}}, {"ends", Shape{-100}}, {"axes", Shape{1}}, {"steps", Shape{-3}},
             {"input_shape", Shape{2, 11}}}},
           "injective");
  check_op({"SliceGrad", {{3, 5}},
            {{"starts", Shape{0}}, {"ends", Shape{5}}, {"axes", Shape{1}},
             {"input_shape", Shape{3, 5}}}},
           "injective");
}

// Training-mode BatchNormalization, every output (Y, running_mean, running_var): the batch
// mean and population variance as per-channel stages, then Y per element and the running
// statistics per channel (family softmax), on odd channel counts, NCHW, [N, C], [N, C, L]
// and a single element per channel.
TEST(LowerOps, BatchNormalizationTraining) {
  for (const Shape& x :
       {Shape{2, 5, 3, 7}, Shape{4, 3}, Shape{2, 3, 9}, Shape{1, 17, 2, 1}, Shape{1, 3, 1, 1}}) {
    SCOPED_TRACE(fmt::format("X [{}]", fmt::join(x, ",")));
    const Shape c{x[1]};
    Graph g("bn_training");
    std::vector<ValueId> ins{g.add_input("x", {DType::F32, x})};
    for (const char* name : {"scale", "bias", "mean", "var"})
      ins.push_back(g.add_input(name, {DType::F32, c}));
    const std::vector<ValueId> outs = g.add_node(
        "BatchNormalization", ins,
        {{"training_mode", int64_t{1}}, {"momentum", 0.8f}, {"epsilon", 1e-3f}}, "node");
    ASSERT_EQ(outs.size(), 3u);
    for (ValueId v : outs) g.add_output(v);
    for (const testing::ScheduleCase& sc : schedules_to_check()) {
      SCOPED_TRACE(sc.label);
      EXPECT_EQ(check_graph(g, sc), std::vector<std::string>{"softmax"});
    }
  }
}

// Conv -> BatchNormalization(training) -> Relu: the batch statistics are over the whole
// convolution output, so the batch norm never joins the convolution's epilogue. It has
// three outputs, so the fusion plan gives it a group of its own and the Relu another; also
// with the layouts plan_layouts picks (the conv's and the batch norm's outputs NCHW[x]c,
// read per channel by the statistics).
TEST(LowerOps, ConvBatchNormTrainingRelu) {
  for (const int64_t channels : {8, 5}) {
    SCOPED_TRACE(fmt::format("{} channels", channels));
    SplitMix64 rng(5);
    Graph g("conv_bn_training_relu");
    const ValueId x = g.add_input("x", {DType::F32, {2, 3, 6, 7}});
    const ValueId w = g.add_constant("w", random_tensor({channels, 3, 3, 3}, rng));
    const ValueId conv = g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
    std::vector<ValueId> ins{conv};
    for (const char* name : {"scale", "bias", "mean"})
      ins.push_back(g.add_constant(name, random_tensor({channels}, rng)));
    ins.push_back(g.add_constant("var", random_tensor({channels}, rng, 0.1, 2.0)));
    const std::vector<ValueId> bn =
        g.add_node("BatchNormalization", ins, {{"training_mode", int64_t{1}}}, "bn");
    g.add_output(g.add("Relu", {bn[0]}, {}, "relu"));
    g.add_output(bn[1]);
    g.add_output(bn[2]);
    const passes::FusionPlan plan = passes::plan_fusion(g);
    ASSERT_EQ(plan.groups.size(), 3u);
    for (const passes::FusedGroup& group : plan.groups) EXPECT_EQ(group.nodes.size(), 1u);
    for (testing::ScheduleCase sc : schedules_to_check()) {
      SCOPED_TRACE(sc.label);
      const std::vector<std::string> families{"conv2d", "softmax", "injective"};
      EXPECT_EQ(check_graph(g, sc), families);
      sc.options.channel_blocks =
          passes::plan_layouts(g, plan, sc.target.vector_lanes).channel_blocks;
      EXPECT_EQ(sc.options.channel_blocks.size(), channels == 8 ? 2u : 0u);
      EXPECT_EQ(testing::check_plan(g, plan, sc.options, 1, sc.target), families);
    }
  }
}

}  // namespace
}  // namespace nas::lower
