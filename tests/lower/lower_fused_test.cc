// Fused groups: a reducing anchor with the elementwise chain after it as its epilogue,
// elementwise and injective chains, groups of several reductions, and the errors for ops
// the compiler does not lower.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/loop/printer.h"
#include "tests/lower/lower_test_util.h"
#include "tests/test_util.h"

namespace nas::lower {
namespace {

using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using nas::testing::user_error_message;
using testing::check_plan;
using testing::random_tensor;
using testing::schedules_to_check;

class Builder {
 public:
  explicit Builder(const std::string& name) : g(name), rng(11) {}

  ValueId input(const std::string& name, Shape shape) {
    return g.add_input(name, {DType::F32, std::move(shape)});
  }
  ValueId constant(const std::string& name, Shape shape, double lo = -1, double hi = 1) {
    return g.add_constant(name, random_tensor(shape, rng, lo, hi));
  }
  ValueId conv(const std::string& name, ValueId x, int64_t c_out, int64_t kernel,
               int64_t stride = 1, int64_t group = 1, bool bias = true) {
    const int64_t c_in = g.type(x).shape[1];
    std::vector<ValueId> ins{x, constant(name + ".w", {c_out, c_in / group, kernel, kernel})};
    if (bias) ins.push_back(constant(name + ".b", {c_out}));
    const int64_t pad = kernel / 2;
    return g.add("Conv", ins,
                 {{"pads", Shape{pad, pad, pad, pad}},
                  {"strides", Shape{stride, stride}},
                  {"group", group}},
                 name);
  }

  Graph g;
  SplitMix64 rng;
};

// Checks the default plan of the graph: its group sizes, the kernels' families, and every
// kernel against the reference under every schedule checked.
void check_fused(const Graph& g, const std::vector<size_t>& group_sizes,
                 const std::vector<std::string>& families) {
  const passes::FusionPlan plan = passes::plan_fusion(g);
  std::vector<size_t> sizes;
  for (const passes::FusedGroup& group : plan.groups) sizes.push_back(group.nodes.size());
  ASSERT_EQ(sizes, group_sizes) << passes::print_fusion_plan(g, plan);
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    EXPECT_EQ(check_plan(g, plan, sc.options, 1, sc.target), families);
  }
}

TEST(LowerFused, ConvBiasRelu) {
  Builder b("conv_relu");
  ValueId y = b.conv("conv", b.input("x", {1, 3, 7, 5}), 5, 3);
  b.g.add_output(b.g.add("Relu", {y}, {}, "relu"));
  check_fused(b.g, {2}, {"conv2d"});
}

TEST(LowerFused, ConvResidualAddRelu) {
  Builder b("residual");
  const ValueId x = b.input("x", {1, 4, 6, 5});
  ValueId y = b.conv("conv", x, 4, 3, 1, 1, false);
  y = b.g.add("Add", {y, b.input("skip", {1, 4, 6, 5})}, {}, "add");
  b.g.add_output(b.g.add("Relu", {y}, {}, "relu"));
  check_fused(b.g, {3}, {"conv2d"});
}

TEST(LowerFused, DepthwiseHardSwish) {
  Builder b("dw");
  ValueId y = b.conv("dw", b.input("x", {1, 6, 7, 7}), 6, 3, 2, 6);
  b.g.add_output(b.g.add("HardSwish", {y}, {}, "act"));
  check_fused(b.g, {2}, {"depthwise_conv2d"});
}

TEST(LowerFused, GemmRelu) {
  Builder b("gemm");
  ValueId y = b.g.add("Gemm", {b.input("x", {3, 10}), b.constant("w", {7, 10}), b.constant("b", {7})},
                      {{"transB", int64_t{1}}}, "fc");
  b.g.add_output(b.g.add("Relu", {y}, {}, "relu"));
  check_fused(b.g, {2}, {"dense"});
}

// Batch normalization left unfolded joins the convolution's epilogue, with a Relu6.
TEST(LowerFused, ConvBatchNormClip) {
  Builder b("conv_bn");
  ValueId y = b.conv("conv", b.input("x", {1, 3, 5, 6}), 4, 3);
  y = b.g.add("BatchNormalization",
              {y, b.constant("s", {4}), b.constant("t", {4}), b.constant("m", {4}),
               b.constant("v", {4}, 0.5, 2)},
              {}, "bn");
  b.g.add_output(b.g.add("Clip", {y}, {{"min", 0.0f}, {"max", 0.5f}}, "relu6"));
  check_fused(b.g, {3}, {"conv2d"});
}

// Squeeze-excite style scaling: a per-channel broadcast constant, then a sigmoid.
TEST(LowerFused, ConvChannelScaleSigmoid) {
  Builder b("scale");
  ValueId y = b.conv("conv", b.input("x", {2, 3, 5, 5}), 3, 1);
  y = b.g.add("Mul", {y, b.constant("gain", {3, 1, 1})}, {}, "mul");
  y = b.g.add("Sub", {b.constant("one", {1}), y}, {}, "sub");
  b.g.add_output(b.g.add("Sigmoid", {y}, {}, "sigmoid"));
  check_fused(b.g, {4}, {"conv2d"});
}

TEST(LowerFused, PoolChainToSoftmax) {
  Builder b("pools");
  ValueId y = b.g.add("MaxPool", {b.input("x", {1, 3, 9, 9})},
                      {{"kernel_shape", Shape{3, 3}}, {"strides", Shape{2, 2}}, {"pads", Shape{1, 1, 1, 1}}},
                      "max");
  y = b.g.add("AveragePool", {y}, {{"kernel_shape", Shape{2, 2}}, {"pads", Shape{1, 1, 0, 0}}}, "avg");
  y = b.g.add("GlobalAveragePool", {y}, {}, "gap");
  y = b.g.add("Flatten", {y}, {}, "flat");
  y = b.g.add("Gemm", {y, b.constant("w", {3, 5}), b.constant("b", {5})}, {}, "fc");
  b.g.add_output(b.g.add("Softmax", {y}, {}, "softmax"));
  check_fused(b.g, {1, 1, 1, 1, 1, 1},
              {"pool", "pool", "pool", "injective", "dense", "softmax"});
}

TEST(LowerFused, InjectiveChain) {
  Builder b("moves");
  ValueId y = b.g.add("Transpose", {b.input("x", {2, 3, 5})}, {{"perm", Shape{2, 0, 1}}}, "t");
  y = b.g.add("Reshape", {y}, {{"shape", Shape{5, 6}}}, "reshape");
  y = b.g.add("Slice", {y}, {{"starts", Shape{1}}, {"ends", Shape{6}}, {"axes", Shape{1}}}, "slice");
  y = b.g.add("Concat", {y, b.input("z", {5, 3})}, {{"axis", int64_t{1}}}, "concat");
  b.g.add_output(b.g.add("Unsqueeze", {y}, {{"axes", Shape{0}}}, "unsqueeze"));
  check_fused(b.g, {5}, {"injective"});
}

TEST(LowerFused, ElementwiseChain) {
  Builder b("elementwise");
  ValueId y = b.g.add("Add", {b.input("x", {3, 7}), b.input("y", {3, 7})}, {}, "add");
  y = b.g.add("Relu", {y}, {}, "relu");
  y = b.g.add("HardSigmoid", {y}, {}, "hsig");
  b.g.add_output(b.g.add("Mul", {y, b.input("z", {7})}, {}, "mul"));
  check_fused(b.g, {4}, {"injective"});
}

// A value read twice ends its chain: the convolution stores it for both readers.
TEST(LowerFused, SharedValueEndsTheGroup) {
  Builder b("shared");
  ValueId y = b.conv("conv", b.input("x", {1, 2, 5, 5}), 3, 3);
  b.g.add_output(b.g.add("Relu", {y}, {}, "relu"));
  b.g.add_output(b.g.add("Sigmoid", {y}, {}, "sigmoid"));
  check_fused(b.g, {1, 1, 1}, {"conv2d", "injective", "injective"});
}

// Groups the fusion pass does not form, which lower_group still lowers: a value leaving
// the group mid-chain, an elementwise op before a reduction, two reductions in a row.
TEST(LowerFused, HandMadeGroups) {
  Builder b("hand");
  ValueId x = b.g.add("Relu", {b.input("x", {1, 3, 6, 6})}, {}, "pre");
  ValueId y = b.conv("conv", x, 4, 3, 1, 1);
  ValueId r = b.g.add("Relu", {y}, {}, "relu");
  ValueId p = b.g.add("MaxPool", {r}, {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}},
                      "pool");
  ValueId s = b.g.add("Sigmoid", {p}, {}, "sigmoid");
  b.g.add_output(r);
  b.g.add_output(s);
  passes::FusionPlan plan{{passes::FusedGroup{0, {0, 1, 2, 3, 4}}}};
  for (const testing::ScheduleCase& sc : schedules_to_check()) {
    SCOPED_TRACE(sc.label);
    EXPECT_EQ(check_plan(b.g, plan, sc.options, 1, sc.target), std::vector<std::string>{"conv2d"});
  }
  const LoweredKernel k = lower_group(b.g, plan.groups[0], testing::test_target(), "k",
                                      {.schedule = ScheduleChoice::Naive});
  std::vector<std::string> params;
  for (const KernelParam& p : k.params) params.push_back(b.g.value(p.value).name);
  EXPECT_EQ(params, (std::vector<std::string>{"x", "conv.w", "conv.b", "relu", "sigmoid"}));
}

// The naive loop nest of a fused convolution: padding through clamped loads under a
// select, the bias, residual and activation in the epilogue.
TEST(LowerFused, ConvResidualReluNaiveIr) {
  Builder b("golden");
  ValueId y = b.conv("conv", b.input("x", {1, 2, 4, 4}), 2, 3, 1, 1);
  y = b.g.add("Add", {y, b.input("skip", {1, 2, 4, 4})}, {}, "add");
  b.g.add_output(b.g.add("Relu", {y}, {}, "relu"));
  const LoweredKernel k = lower_group(b.g, passes::plan_fusion(b.g).groups[0],
                                      testing::test_target(), "k",
                                      {.schedule = ScheduleChoice::Naive});
  EXPECT_EQ(k.family, ScheduleFamily::Conv2d);
  EXPECT_EQ(loop::print(k.func.body),
            "for (co, 0, 2) {\n"
            "  for (oh, 0, 4) {\n"
            "    for (ow, 0, 4) {\n"
            "      relu[(co*4 + oh)*4 + ow] = 0.0f\n"
            "      for (ci, 0, 2) {\n"
            "        for (kh, 0, 3) {\n"
            "          for (kw, 0, 3) {\n"
            "            relu[(co*4 + oh)*4 + ow] = relu[(co*4 + oh)*4 + ow] + select(oh + kh + -1 >= 0 && "
            "oh + kh + -1 < 4 && (ow + kw + -1 >= 0 && ow + kw + -1 < 4), x[(ci*4 + min(max(oh + kh + "
            "-1, 0), 3))*4 + min(max(ow + kw + -1, 0), 3)], 0.0f)*conv_w[((co*2 + ci)*3 + kh)*3 + kw]\n"
            "          }\n"
            "        }\n"
            "      }\n"
            "      relu[(co*4 + oh)*4 + ow] = select(relu[(co*4 + oh)*4 + ow] + conv_b[co] + "
            "skip[(co*4 + oh)*4 + ow] > 0.0f, relu[(co*4 + oh)*4 + ow] + conv_b[co] + skip[(co*4 + "
            "oh)*4 + ow], 0.0f)\n"
            "    }\n"
            "  }\n"
            "}\n");
}

// ---- Errors ------------------------------------------------------------------------------

TEST(LowerErrors, GradientOpNamesTheNode) {
  Graph g("grad");
  const ValueId dy = g.add_input("dy", {DType::F32, {2, 4}});
  g.add_output(g.add("DropoutGrad", {dy}, {{"ratio", 0.5f}, {"training_mode", int64_t{1}}},
                     "dropout.grad"));
  EXPECT_THAT(user_error_message([&] {
                lower_group(g, passes::plan_fusion(g).groups[0], testing::test_target(), "k");
              }),
              ::testing::StartsWith("node 'dropout.grad' (DropoutGrad): cannot be compiled: "
                                    "DropoutGrad is the gradient op of Dropout; its mask is no "
                                    "f32 input"));
}

TEST(LowerErrors, TrainingModeOps) {
  Graph g("train");
  const ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  g.add_output(g.add("Dropout", {x}, {{"training_mode", int64_t{1}}}, "drop"));
  EXPECT_EQ(user_error_message([&] {
              lower_group(g, passes::plan_fusion(g).groups[0], testing::test_target(), "k");
            }),
            "node 'drop' (Dropout): cannot be compiled: Dropout in training mode is not compiled; "
            "inference Dropout is the identity");
}

TEST(LowerErrors, GatherAtComputedIndices) {
  Graph g("gather");
  const ValueId x = g.add_input("x", {DType::F32, {4, 3}});
  const ValueId at = g.add_input("at", {DType::I64, {2}});
  g.add_output(g.add("Gather", {x, at}, {}, "pick"));
  EXPECT_EQ(user_error_message([&] {
              lower_group(g, passes::plan_fusion(g).groups[0], testing::test_target(), "k");
            }),
            "node 'pick' (Gather): cannot be compiled: Gather at computed indices is not "
            "compiled (constant indices are)");
}

// BatchNormalization in training mode is compiled (batch statistics as stages, family
// softmax); at inference it stays injective.
TEST(LowerErrors, TrainingModeBatchNormIsCompiled) {
  Graph g("bn_train");
  const ValueId x = g.add_input("x", {DType::F32, {2, 3, 4}});
  std::vector<ValueId> ins{x};
  for (const char* name : {"scale", "bias", "mean", "var"})
    ins.push_back(g.add_input(name, {DType::F32, {3}}));
  for (ValueId v : g.add_node("BatchNormalization", ins, {{"training_mode", int64_t{1}}}, "bn"))
    g.add_output(v);
  g.add_output(g.add("BatchNormalization", ins, {}, "bn_inference"));
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(unsupported_reason(g, g.nodes()[0]), std::nullopt);
  EXPECT_EQ(unsupported_reason(g, g.nodes()[1]), std::nullopt);
  EXPECT_EQ(schedule_family(g, g.nodes()[0]), ScheduleFamily::Softmax);
  EXPECT_EQ(schedule_family(g, g.nodes()[1]), ScheduleFamily::Injective);
  const passes::FusionPlan plan = passes::plan_fusion(g);
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(lower_group(g, plan.groups[0], testing::test_target(), "k").family,
            ScheduleFamily::Softmax);
}

TEST(LowerErrors, NonFloatValue) {
  Graph g("ints");
  const ValueId x = g.add_input("ids", {DType::I64, {2, 3}});
  g.add_output(g.add("Reshape", {x}, {{"shape", Shape{6}}}, "flat"));
  EXPECT_EQ(user_error_message([&] {
              lower_group(g, passes::plan_fusion(g).groups[0], testing::test_target(), "k");
            }),
            "node 'flat' (Reshape): value 'ids' is i64[2,3]; the compiler lowers f32 tensors only");
}

TEST(LowerErrors, UnsupportedReasons) {
  Graph g("reasons");
  const ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  const ValueId labels = g.add_input("labels", {DType::I64, {2}});
  g.add("Relu", {x}, {}, "relu");
  g.add("SoftmaxCrossEntropy", {x, labels}, {}, "loss");
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(unsupported_reason(g, g.nodes()[0]), std::nullopt);
  EXPECT_EQ(unsupported_reason(g, g.nodes()[1]), std::nullopt);
  const ValueId scores = g.add_input("scores", {DType::F32, {2, 3, 4}});
  const ValueId pixel_labels = g.add_input("pixel_labels", {DType::I64, {2, 4}});
  g.add("SoftmaxCrossEntropy", {scores, pixel_labels}, {}, "pixel_loss");
  g.add("SoftmaxCrossEntropy", {x, labels}, {{"ignore_index", int64_t{0}}}, "ignoring");
  g.add("SoftmaxCrossEntropy", {x, labels}, {{"reduction", std::string("none")}}, "per_sample");
  EXPECT_EQ(unsupported_reason(g, g.nodes()[2]),
            "scores of rank other than 2 ([N, C]) are computed by the reference kernel only");
  EXPECT_EQ(unsupported_reason(g, g.nodes()[3]),
            "ignore_index is computed by the reference kernel only");
  EXPECT_EQ(unsupported_reason(g, g.nodes()[4]),
            "reduction \"none\" is computed by the reference kernel only");
}

TEST(LowerOps, CrossEntropyReadsI64Labels) {
  Graph g("float_labels");
  const ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  const ValueId labels = g.add_input("labels", {DType::I64, {2}});
  g.add_output(g.add("SoftmaxCrossEntropy", {x, labels}, {}, "loss"));
  EXPECT_NO_THROW(lower_group(g, passes::plan_fusion(g).groups[0], testing::test_target(), "k"));
}

}  // namespace
}  // namespace nas::lower
