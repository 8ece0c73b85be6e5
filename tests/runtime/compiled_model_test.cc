// CompiledModel against the reference executor: the small CNN, the tiny test space and
// sampled architectures of both shipped spaces, at 1 and 2 threads, with the default
// schedules and random ones; bitwise the same outputs at any thread count and on every run;
// a memory plan no larger than the reference's; graph outputs that are inputs or constants;
// and the user-facing errors.
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/autodiff.h"
#include "compiler/graph/memory_plan.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/target/schedule_params.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/compile.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"
#include "evaluator/models/small_cnn.h"
#include "space/space_file.h"
#include "tests/search/tiny_space.h"
#include "tests/runtime/runtime_test_util.h"
#include "tests/test_util.h"
#include "tests/shipped_spaces.h"

namespace nas::runtime {
namespace {

using nas::testing::shipped_space;

using namespace graph;
using nas::testing::user_error_message;
using testing::expect_close;
using testing::random_inputs;
using testing::random_tensor;
using ::testing::HasSubstr;

compiler::CompileOptions host(int threads, lower::ScheduleChoice schedule = lower::ScheduleChoice::Default,
                    uint64_t seed = 0) {
  compiler::CompileOptions options;
  options.target = target::host_target();
  options.target.threads = threads;
  options.lowering.schedule = schedule;
  options.lowering.seed = seed;
  return options;
}

std::unique_ptr<CompiledModel> expect_matches_reference(const Graph& g,
                                                        const compiler::CompileOptions& options,
                                                        const std::string& what) {
  const std::vector<Tensor> inputs = random_inputs(g, 7);
  const std::vector<Tensor> want = run_reference(g, inputs);
  std::unique_ptr<CompiledModel> model = compiler::compile_model(g, options);
  const std::vector<Tensor> got = model->run(inputs);
  EXPECT_EQ(got.size(), want.size()) << what;
  for (size_t o = 0; o < std::min(got.size(), want.size()); ++o) expect_close(got[o], want[o], what);
  return model;
}

TEST(CompiledModel, SmallCnnMatchesTheReference) {
  const Graph g = evaluator::small_cnn(3);
  for (int threads : {1, 2}) {
    expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
    for (uint64_t seed : {1, 2})
      expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, seed),
                               fmt::format("random schedule {}, {} threads", seed, threads));
  }
  expect_matches_reference(g, host(1, lower::ScheduleChoice::Naive), "naive");
}

// Weights that are graph inputs (a training step's) are packed by a stage of the kernel,
// as constants are at compile time: a convolution and a dense layer read them that way.
TEST(CompiledModel, WeightsThatAreInputsArePackedInTheKernel) {
  Graph g("weights_in");
  const ValueId x = g.add_input("x", {DType::F32, {2, 8, 9, 11}});
  const ValueId w = g.add_input("w", {DType::F32, {32, 8, 3, 3}});
  const ValueId b = g.add_input("b", {DType::F32, {32}});
  const ValueId fc = g.add_input("fc", {DType::F32, {16, 32}});
  ValueId y = g.add("Conv", {x, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  y = g.add("GlobalAveragePool", {y}, {}, "pool");
  y = g.add("Flatten", {y}, {}, "flat");
  g.add_output(g.add("Gemm", {y, fc}, {{"transB", int64_t{1}}}, "dense"));
  for (int threads : {1, 2}) {
    const std::unique_ptr<CompiledModel> model =
        expect_matches_reference(g, host(threads), fmt::format("{} threads", threads));
    EXPECT_EQ(model->weight_bytes(), 0);
  }
  const LoweredModel lowered = compiler::lower_model(g, {.target = target::host_target()});
  std::string kernels;
  for (const lower::LoweredKernel& k : lowered.kernels) kernels += lower::print_kernel(k);
  EXPECT_THAT(kernels, HasSubstr("w_packed"));
  EXPECT_THAT(kernels, HasSubstr("fc_packed"));
}

TEST(CompiledModel, RunTimedGivesTheOutputsOfRunAndATimePerKernel) {
  const Graph g = evaluator::small_cnn(3);
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(1));
  const std::vector<Tensor> inputs = random_inputs(g, 7);
  const std::vector<Tensor> want = model->run(inputs);
  std::vector<Tensor> got;
  for (ValueId v : g.outputs()) got.emplace_back(g.type(v));
  const std::vector<double> ms = model->run_timed({&inputs[0]}, {&got[0]});
  EXPECT_EQ(got[0], want[0]);
  ASSERT_EQ(static_cast<int>(ms.size()), model->kernel_count());
  for (double t : ms) EXPECT_GE(t, 0);
}

// Activations stored NCHW[x]c between kernels (the default) or all NCHW: the same results;
// the description names each parameter's layout.
TEST(CompiledModel, BothLayoutsMatchTheReference) {
  const space::SearchSpace& s = shipped_space("mobilenet_28");
  SplitMix64 rng(8);
  const Graph g = s.decode(s.sample(rng));
  compiler::CompileOptions plain = host(1);
  plain.lowering.blocked_layout = false;
  const auto blocked = expect_matches_reference(g, host(1), "blocked");
  const auto nchw = expect_matches_reference(g, plain, "nchw");
  auto layouts = [](const CompiledModel& m) {
    std::set<std::string> found;
    const nlohmann::json description = m.describe();
    for (const nlohmann::json& k : description.at("kernels"))
      for (const nlohmann::json& p : k.at("params")) found.insert(p.at("layout").get<std::string>());
    return found;
  };
  const std::string block = fmt::format("NCHW{}c", target::host_target().vector_lanes);
  EXPECT_TRUE(layouts(*blocked).contains(block)) << block;
  EXPECT_EQ(layouts(*nchw), std::set<std::string>{"as shape"});
}

// Output channels that no long vector divides (ShuffleNetV2's 58 and 116): the NCHW
// convolution computes them in full vectors and a guarded tail, its weights packed in
// vectors padded with zeros; as constants and as graph inputs (packed by a stage).
TEST(CompiledModel, PaddedChannelVectorsMatchTheReference) {
  Graph g("odd_channels");
  const ValueId x = g.add_input("x", {DType::F32, {1, 8, 9, 9}});
  const ValueId w1 = g.add_constant("w1", random_tensor({DType::F32, {58, 8, 3, 3}}, 1));
  const ValueId b1 = g.add_constant("b1", random_tensor({DType::F32, {58}}, 2));
  const ValueId w2 = g.add_input("w2", {DType::F32, {116, 58, 1, 1}});
  const ValueId y = g.add("Relu", {g.add("Conv", {x, w1, b1}, {{"pads", Shape{1, 1, 1, 1}}}, "c1")},
                          {}, "r1");
  g.add_output(g.add("Conv", {y, w2}, {}, "c2"));
  for (int threads : {1, 2}) {
    const auto model = expect_matches_reference(g, host(threads), fmt::format("{} threads", threads));
    const int lanes = target::host_target().vector_lanes;
    std::set<std::string> w1_types;
    const nlohmann::json description = model->describe();
    for (const nlohmann::json& k : description.at("kernels"))
      for (const nlohmann::json& p : k.at("params"))
        if (p.at("value").get<std::string>() == "w1") w1_types.insert(p.at("type").get<std::string>());
    EXPECT_EQ(w1_types, std::set<std::string>{fmt::format("f32[{},8,3,3,{}]",
                                                          (58 + lanes - 1) / lanes, lanes)});
  }
}

// MatMul's and BatchNormalization's gradient ops compiled to machine code: dA and dB of a
// batched MatMul with B broadcast over the batch (summed back), of a rank-1 A, and every
// output of both BatchNormalization gradients on an odd channel count.
TEST(CompiledModel, DenseAndBatchNormGradientOpsMatchTheReference) {
  Graph g("dense_bn_grads");
  const ValueId dy = g.add_input("dy", {DType::F32, {2, 3, 5, 9}});
  const ValueId a = g.add_input("a", {DType::F32, {2, 3, 5, 7}});
  const ValueId b = g.add_input("b", {DType::F32, {7, 9}});
  g.add_output(g.add("MatMulGradA", {dy, b}, {{"a_shape", Shape{2, 3, 5, 7}}}, "da"));
  g.add_output(g.add("MatMulGradB", {a, dy}, {{"b_shape", Shape{7, 9}}}, "db"));
  const ValueId row_dy = g.add_input("row_dy", {DType::F32, {3, 9}});
  const ValueId row_a = g.add_input("row_a", {DType::F32, {7}});
  const ValueId batch_b = g.add_input("batch_b", {DType::F32, {3, 7, 9}});
  g.add_output(g.add("MatMulGradA", {row_dy, batch_b}, {{"a_shape", Shape{7}}}, "row_da"));
  g.add_output(g.add("MatMulGradB", {row_a, row_dy}, {{"b_shape", Shape{3, 7, 9}}}, "row_db"));
  const ValueId bn_dy = g.add_input("bn_dy", {DType::F32, {2, 5, 6, 7}});
  const ValueId bn_x = g.add_input("bn_x", {DType::F32, {2, 5, 6, 7}});
  const ValueId scale = g.add_input("scale", {DType::F32, {5}});
  const ValueId mean = g.add_input("mean", {DType::F32, {5}});
  const ValueId root = g.add_input("root", {DType::F32, {5}});
  const ValueId var = g.add("Mul", {root, root}, {}, "var");  // var + eps >= 0.5
  for (ValueId v : g.add_node("BatchNormInferenceGrad", {bn_dy, bn_x, scale, mean, var},
                              {{"epsilon", 0.5f}}, "bn_inference_grad"))
    g.add_output(v);
  for (ValueId v :
       g.add_node("BatchNormTrainingGrad", {bn_dy, bn_x, scale}, {}, "bn_training_grad"))
    g.add_output(v);
  for (int threads : {1, 2}) {
    expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
    expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, 3),
                             fmt::format("random schedule, {} threads", threads));
  }
}

// Conv's gradient ops compiled to machine code (the op tests run the loop IR in the
// interpreter): dX, dW and dB of a grouped convolution with stride 2 and asymmetric pads, and
// of a dilated depthwise one, each a kernel of its own.
TEST(CompiledModel, ConvGradientOpsMatchTheReference) {
  struct Geometry {
    Shape x, w, dy;
    Attrs attrs;
  };
  const std::vector<Geometry> geometries = {
      {{2, 4, 9, 7},
       {6, 2, 3, 2},
       {2, 6, 5, 4},
       {{"pads", Shape{1, 0, 2, 1}}, {"strides", Shape{2, 2}}, {"group", int64_t{2}}}},
      {{1, 8, 11, 10},
       {8, 1, 3, 3},
       {1, 8, 11, 10},
       {{"pads", Shape{2, 2, 2, 2}}, {"dilations", Shape{2, 2}}, {"group", int64_t{8}}}},
      // One group, channels in vectors: the transposed-weight stage of ConvGradInput.
      {{2, 16, 9, 7}, {32, 16, 3, 3}, {2, 32, 5, 4}, {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}}},
  };
  for (const Geometry& c : geometries) {
    Graph g("conv_grads");
    const ValueId dy = g.add_input("dy", {DType::F32, c.dy});
    const ValueId w = g.add_input("w", {DType::F32, c.w});
    const ValueId x = g.add_input("x", {DType::F32, c.x});
    Attrs input_attrs = c.attrs, weight_attrs = c.attrs;
    input_attrs.set("input_shape", c.x);
    weight_attrs.set("weight_shape", c.w);
    g.add_output(g.add("ConvGradInput", {dy, w}, input_attrs, "dx"));
    g.add_output(g.add("ConvGradWeight", {dy, x}, weight_attrs, "dw"));
    g.add_output(g.add("ConvGradBias", {dy}, {}, "db"));
    for (int threads : {1, 2}) {
      expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
      expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, 3),
                               fmt::format("random schedule, {} threads", threads));
    }
  }
}

TEST(CompiledModel, SmallCnnAtBatchThree) {
  expect_matches_reference(evaluator::small_cnn(4, 3), host(2), "batch 3");
}

TEST(CompiledModel, TinySpaceArchitecturesMatchTheReference) {
  const space::SearchSpace s = search::testing::tiny_space();
  SplitMix64 rng(1);
  for (int i = 0; i < 4; ++i) {
    const space::Architecture arch = s.sample(rng);
    expect_matches_reference(s.decode(arch), host(1 + i % 2), s.to_string(arch));
  }
}

class ShippedSpaceCompiled : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedSpaceCompiled, SampledArchitecturesMatchTheReference) {
  const space::SearchSpace& s = shipped_space(GetParam());
  SplitMix64 rng(21);
  const space::Architecture arch = s.sample(rng);
  const Graph g = s.decode(arch);
  const std::unique_ptr<CompiledModel> model =
      expect_matches_reference(g, host(2), s.to_string(arch) + " default");
  EXPECT_LE(model->peak_activation_bytes(), plan_memory(g).arena_bytes);
  EXPECT_GT(model->weight_bytes(), 0);
  expect_matches_reference(g, host(1, lower::ScheduleChoice::Random, 5),
                           s.to_string(arch) + " random");
}

// The plan over kernel boundaries holds fewer values than the reference's plan over every
// node output, and is never larger.
TEST_P(ShippedSpaceCompiled, PeakMemoryIsAtMostTheReferencePlan) {
  const space::SearchSpace& s = shipped_space(GetParam());
  SplitMix64 rng(4);
  for (int i = 0; i < 5; ++i) {
    const space::Architecture arch = s.sample(rng);
    const Graph g = s.decode(arch);
    const LoweredModel lowered = compiler::lower_model(g, {.target = target::host_target()});
    EXPECT_GT(lowered.activations.arena_bytes, 0);
    EXPECT_LE(lowered.activations.arena_bytes, plan_memory(g).arena_bytes) << s.to_string(arch);
    EXPECT_LT(lowered.activations.values.size(), plan_memory(g).values.size());
  }
}

INSTANTIATE_TEST_SUITE_P(CompiledModel, ShippedSpaceCompiled,
                         ::testing::Values("mobilenet_28", "nb201_28"));

TEST(CompiledModel, SameOutputsAtEveryThreadCountAndOnEveryRun) {
  const Graph g = evaluator::small_cnn(5, 2);
  const std::vector<Tensor> inputs = random_inputs(g, 3);
  std::optional<std::vector<Tensor>> first;
  for (int threads : {1, 2}) {
    const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(threads));
    EXPECT_EQ(model->target().threads, threads);
    for (int run = 0; run < 3; ++run) {
      const std::vector<Tensor> out = model->run(inputs);
      if (!first) first = out;
      EXPECT_TRUE(out == *first) << threads << " threads, run " << run;
    }
  }
}

TEST(CompiledModel, PeakMemoryIsAtMostTheReferencePlanForTheSmallCnn) {
  const Graph g = evaluator::small_cnn(1);
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(1));
  // The input and the three conv outputs at least: 28*28 + 16*28*28 floats are live together.
  EXPECT_GE(model->peak_activation_bytes(), 4 * (28 * 28 + 16 * 28 * 28));
  EXPECT_LE(model->peak_activation_bytes(), plan_memory(g).arena_bytes);
}

TEST(CompiledModel, DescribesItsKernels) {
  const std::unique_ptr<CompiledModel> model =
      compiler::compile_model(evaluator::small_cnn(1), host(2));
  const nlohmann::json d = model->describe();
  ASSERT_EQ(d.at("kernels").size(), static_cast<size_t>(model->kernel_count()));
  EXPECT_GE(model->kernel_count(), 4);  // three convolutions, pooling, dense
  std::set<std::string> names;
  for (const nlohmann::json& k : d.at("kernels")) {
    names.insert(k.at("name").get<std::string>());
    EXPECT_FALSE(k.at("nodes").empty());
    EXPECT_FALSE(k.at("family").get<std::string>().empty());
    EXPECT_FALSE(k.at("params").empty());
  }
  EXPECT_EQ(names.size(), d.at("kernels").size());
  EXPECT_EQ(d.at("target").at("threads"), 2);
  // The machine facts and the schedule constants the kernels were made with.
  EXPECT_EQ(d.at("target").at("vector_lanes"), target::host_target().vector_lanes);
  EXPECT_EQ(d.at("target").at("cores"), target::host_target().cores);
  EXPECT_EQ(d.at("schedule_params"),
            target::host_target().schedule.to_json());
  EXPECT_EQ(d.at("peak_activation_bytes"), model->peak_activation_bytes());
  EXPECT_EQ(d.at("weight_bytes"), model->weight_bytes());
  EXPECT_GT(d.at("compile_seconds").get<double>(), 0);
  EXPECT_EQ(model->compile_seconds(), d.at("compile_seconds").get<double>());
}

TEST(CompiledModel, ScheduleChoiceReachesEveryKernel) {
  const Graph g = evaluator::small_cnn(1);
  const LoweredModel chosen = compiler::lower_model(g, {.target = target::host_target()});
  const LoweredModel naive =
      compiler::lower_model(g, {.target = target::host_target(),
                                .lowering = {.schedule = lower::ScheduleChoice::Naive}});
  const LoweredModel random =
      compiler::lower_model(g, {.target = target::host_target(),
                                .lowering = {.schedule = lower::ScheduleChoice::Random, .seed = 1}});
  ASSERT_EQ(chosen.kernels.size(), naive.kernels.size());
  ASSERT_EQ(chosen.kernels.size(), random.kernels.size());
  int differ = 0;
  for (size_t k = 0; k < chosen.kernels.size(); ++k) {
    EXPECT_TRUE(naive.kernels[k].schedule.steps.empty()) << naive.kernels[k].func.name;
    differ += !(random.kernels[k].schedule == chosen.kernels[k].schedule);
  }
  EXPECT_GT(differ, 0);
  EXPECT_FALSE(chosen.kernels[0].schedule.steps.empty());
}

// The gradient ops the compiler lowers, compiled through the whole pipeline: ReluGrad in a
// convolution's epilogue, the other activation gradients alone (bitwise the reference's
// results: the same f32 operations in the same order) and ReduceSumTo onto several shapes,
// an identity included.
TEST(CompiledModel, GradientOpsMatchTheReference) {
  Graph g("grads");
  const Shape shape{2, 6, 5, 7};
  const ValueId x = g.add_input("x", {DType::F32, shape});
  const ValueId dy = g.add_input("dy", {DType::F32, shape});
  const ValueId y = g.add_input("y", {DType::F32, shape});
  const ValueId w = g.add_constant("w", random_tensor({DType::F32, {6, 6, 3, 3}}, 3));
  const ValueId conv = g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  g.add_output(g.add("ReluGrad", {conv, x}, {}, "relu_grad"));
  g.add_output(g.add("ClipGrad", {dy, x}, {{"min", -0.25f}, {"max", 0.5f}}, "clip_grad"));
  g.add_output(g.add("SigmoidGrad", {dy, y}, {}, "sigmoid_grad"));
  const ValueId wide = g.add("Mul", {x, g.add_constant("four", Tensor::scalar_f32(4.0f))});
  g.add_output(g.add("HardSwishGrad", {dy, wide}, {}, "hswish_grad"));
  g.add_output(g.add("HardSigmoidGrad", {dy, x}, {{"alpha", 0.3f}, {"beta", 0.4f}}, "hsig_grad"));
  for (const Shape& target : {Shape{6, 1, 1}, Shape{7}, Shape{}, shape})
    g.add_output(g.add("ReduceSumTo", {dy}, {{"shape", target}}));
  for (int threads : {1, 2}) {
    expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
    expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, 1),
                             fmt::format("random schedule, {} threads", threads));
  }
  expect_matches_reference(g, host(1, lower::ScheduleChoice::Naive), "naive");
  const std::vector<Tensor> inputs = random_inputs(g, 7);
  const std::vector<Tensor> want = run_reference(g, inputs);
  const std::vector<Tensor> got = compiler::compile_model(g, host(1))->run(inputs);
  for (size_t o : {1, 2, 3, 8}) EXPECT_TRUE(got[o] == want[o]) << "output " << o;
}

TEST(CompiledModel, OutputsThatAreInputsOrConstants) {
  Graph g("passthrough");
  const ValueId x = g.add_input("x", {DType::F32, {2, 5}});
  const ValueId c = g.add_constant("c", Tensor::f32({3}, {1, -2, 3}));
  g.add_output(x);
  g.add_output(g.add("Relu", {x}, {}, "relu"));
  g.add_output(c);
  g.add_output(x);
  const std::vector<Tensor> inputs = random_inputs(g, 1);
  const std::vector<Tensor> want = run_reference(g, inputs);
  const std::vector<Tensor> got = compiler::compile_model(g, host(1))->run(inputs);
  ASSERT_EQ(got.size(), 4u);
  for (size_t o = 0; o < 4; ++o) EXPECT_TRUE(got[o] == want[o]) << "output " << o;
  EXPECT_TRUE(got[0] == inputs[0]);
  EXPECT_TRUE(got[2] == Tensor::f32({3}, {1, -2, 3}));

  Graph identity("identity");  // no kernel at all
  identity.add_output(identity.add_input("x", {DType::F32, {4}}));
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(identity, host(2));
  EXPECT_EQ(model->kernel_count(), 0);
  const Tensor in = Tensor::f32({4}, {1, 2, 3, 4});
  EXPECT_TRUE(model->run({in})[0] == in);
}

TEST(CompiledModel, InputsAtAnyAlignment) {
  // Small tensors land at addresses of every 16-byte alignment: some are read in place,
  // the others are copied to the arena first.
  const Graph g = search::testing::tiny_space().decode(space::Architecture{{2, 1, 0}});
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(1));
  std::vector<Tensor> inputs;
  for (uint64_t seed = 0; seed < 8; ++seed) inputs.push_back(random_tensor(g.type(g.inputs()[0]), seed));
  for (const Tensor& in : inputs) {
    const std::vector<Tensor> want = run_reference(g, {in});
    expect_close(model->run({in})[0], want[0], is_aligned(in.raw()) ? "aligned" : "unaligned");
  }
}

TEST(CompiledModel, RunsIntoCallerOutputs) {
  const Graph g = evaluator::small_cnn(2);
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(1));
  const Tensor x = random_tensor(g.type(g.inputs()[0]), 9);
  Tensor y(g.type(g.outputs()[0]));
  model->run({&x}, {&y});
  EXPECT_TRUE(y == model->run({x})[0]);
}

TEST(CompiledModel, WrongInputsAreUserErrors) {
  const Graph g = evaluator::small_cnn(1);
  const std::unique_ptr<CompiledModel> model = compiler::compile_model(g, host(1));
  EXPECT_EQ(user_error_message([&] { model->run({Tensor(DType::F32, {1, 1, 28, 27})}); }),
            "input 'image': expected f32[1,1,28,28], got f32[1,1,28,27]");
  EXPECT_EQ(user_error_message([&] { model->run({Tensor(DType::I64, {1, 1, 28, 28})}); }),
            "input 'image': expected f32[1,1,28,28], got i64[1,1,28,28]");
  EXPECT_EQ(user_error_message([&] { model->run({}); }),
            "graph 'small_cnn' takes 1 input(s), got 0");
  const Tensor x(DType::F32, {1, 1, 28, 28});
  Tensor wrong(DType::F32, {1, 11});
  EXPECT_THAT(user_error_message([&] { model->run({&x}, {&wrong}); }),
              HasSubstr("expected f32[1,10], got f32[1,11]"));
}

TEST(CompiledModel, TargetThatCannotRunHereIsAUserError) {
  compiler::CompileOptions options;
  options.target = target::parse_target("aarch64");
  EXPECT_EQ(user_error_message([&] { compiler::compile_model(evaluator::small_cnn(1), options); }),
            target::why_not_runnable(options.target));
}

TEST(CompiledModel, DumpsLayoutLoopAndLlvmIr) {
  std::ostringstream out;
  compiler::CompileOptions options = host(1);
  options.dump = {.after = {"layout", "lower", "llvm"}, .to = &out};
  const std::unique_ptr<CompiledModel> model =
      compiler::compile_model(evaluator::small_cnn(1), options);
  const std::string dumped = out.str();
  EXPECT_THAT(dumped, HasSubstr("// IR after layout\nlayout plan small_cnn (3 values blocked)"));
  EXPECT_THAT(dumped, HasSubstr("// IR after lower\n"));
  EXPECT_THAT(dumped, HasSubstr("// IR after llvm\n"));
  EXPECT_THAT(dumped, HasSubstr("define"));  // LLVM functions
  const nlohmann::json description = model->describe();
  for (const nlohmann::json& k : description.at("kernels"))
    EXPECT_THAT(dumped, HasSubstr("func " + k.at("name").get<std::string>() + "("));
  EXPECT_THAT(dumped, ::testing::Not(HasSubstr("// IR after fusion")));
}

// The pooling, softmax, reduce-mean and slice gradient ops compiled to machine code (the op
// tests run the loop IR in the interpreter), each output a kernel of its own: MaxPoolGrad
// over a Relu's output (windows of zeros: ties go to the first maximum) with stride 2 and
// pads, AveragePoolGrad with count_include_pad 0 and 1 (asymmetric pads, ceil_mode),
// GlobalAveragePoolGrad, SoftmaxGrad along a middle axis, ReduceMeanGrad and a strided
// SliceGrad.
TEST(CompiledModel, PoolAndSoftmaxGradientsMatchTheReference) {
  Graph g("pool_softmax_grads");
  const Shape xs{2, 3, 9, 7};
  const Attrs max_attrs = {{"kernel_shape", Shape{3, 3}},
                           {"strides", Shape{2, 2}},
                           {"pads", Shape{1, 1, 1, 1}}};
  const ValueId x = g.add("Relu", {g.add_input("x", {DType::F32, xs})}, {}, "relu");
  g.add_output(g.add("MaxPoolGrad", {g.add_input("dy_max", {DType::F32, {2, 3, 5, 4}}), x},
                     max_attrs, "max_dx"));
  for (int64_t include_pad : {0, 1}) {
    const Attrs avg_attrs = {{"kernel_shape", Shape{3, 2}},
                             {"strides", Shape{2, 2}},
                             {"pads", Shape{0, 1, 1, 0}},
                             {"ceil_mode", int64_t{1}},
                             {"count_include_pad", include_pad},
                             {"input_shape", xs}};
    const ValueId dy =
        g.add_input(fmt::format("dy_avg{}", include_pad), {DType::F32, {2, 3, 5, 4}});
    g.add_output(g.add("AveragePoolGrad", {dy}, avg_attrs, fmt::format("avg_dx{}", include_pad)));
  }
  g.add_output(g.add("GlobalAveragePoolGrad", {g.add_input("dy_gap", {DType::F32, {2, 3, 1, 1}})},
                     {{"input_shape", xs}}, "gap_dx"));
  const ValueId y = g.add("Softmax", {g.add_input("s", {DType::F32, {4, 6, 5}})},
                          {{"axis", int64_t{1}}}, "softmax");
  g.add_output(g.add("SoftmaxGrad", {g.add_input("dy_soft", {DType::F32, {4, 6, 5}}), y},
                     {{"axis", int64_t{1}}}, "softmax_dx"));
  g.add_output(g.add("ReduceMeanGrad", {g.add_input("dy_mean", {DType::F32, {4, 1, 5}})},
                     {{"axes", Shape{1}}, {"input_shape", Shape{4, 6, 5}}}, "mean_dx"));
  g.add_output(g.add("SliceGrad", {g.add_input("dy_slice", {DType::F32, {4, 2, 5}})},
                     {{"starts", Shape{-1}},
                      {"ends", Shape{0}},
                      {"axes", Shape{1}},
                      {"steps", Shape{-3}},
                      {"input_shape", Shape{4, 6, 5}}},
                     "slice_dx"));
  for (int threads : {1, 2}) {
    expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
    expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, 3),
                             fmt::format("random schedule, {} threads", threads));
  }
  expect_matches_reference(g, host(1, lower::ScheduleChoice::Naive), "naive");
}

// Pad and ReduceMax compiled to machine code: Pad in each mode after a convolution (whose
// output the layout pass may block) and on an input, ReduceMax and ReduceMaxGrad over a
// Relu's output (ties among its zeros go to the first), and the gradients autodiff builds
// for reflect and edge Pads with negative pads (reversed Slices, ReduceSumTo, Pad, Add).
TEST(CompiledModel, PadAndReduceMaxWithGradientsMatchTheReference) {
  Graph g("pad_reduce_max");
  const ValueId x = g.add_input("x", {DType::F32, {2, 3, 7, 6}});
  const ValueId w = g.add_constant("w", random_tensor({DType::F32, {8, 3, 3, 3}}, 3));
  const ValueId conv = g.add("Conv", {x, w}, {}, "conv");  // [2,8,5,4]
  g.add_output(g.add("Pad", {conv},
                     {{"pads", Shape{0, 0, 1, 2, 0, 0, 2, 1}}, {"mode", std::string("reflect")}},
                     "reflect"));
  g.add_output(g.add("Pad", {conv},
                     {{"pads", Shape{0, 1, -1, 0, 0, 0, 1, 3}}, {"mode", std::string("edge")}},
                     "edge"));
  g.add_output(g.add("Pad", {x},
                     {{"pads", Shape{0, 0, 1, 1, 0, 0, 1, 1}}, {"constant_value", -2.0f}},
                     "constant"));
  const ValueId relu = g.add("Relu", {g.add_input("r", {DType::F32, {3, 8, 5}})}, {}, "relu");
  g.add_output(g.add("ReduceMax", {relu}, {{"axes", Shape{1, 2}}}, "max"));
  g.add_output(g.add("ReduceMaxGrad", {g.add_input("dy_max", {DType::F32, {3, 5}}), relu},
                     {{"axes", Shape{1}}, {"keepdims", int64_t{0}}}, "max_dx"));

  Graph grads("pad_gradients");
  const ValueId p = grads.add_input("p", {DType::F32, {2, 3, 6, 5}});
  ValueId loss = kNoValue;
  for (const std::string mode : {"reflect", "edge"}) {
    const ValueId y =
        grads.add("Pad", {p}, {{"pads", Shape{0, 0, 2, -1, 0, 0, 1, 3}}, {"mode", mode}}, mode);
    const ValueId weight = grads.add_input("w_" + mode, grads.type(y));
    const ValueId term =
        grads.add("ReduceSumTo", {grads.add("Mul", {y, weight})}, {{"shape", Shape{}}});
    loss = loss == kNoValue ? term : grads.add("Add", {loss, term});
  }
  grads.set_outputs(append_gradients(grads, loss, {p}));

  for (const Graph* graph : {&g, &grads})
    for (int threads : {1, 2}) {
      expect_matches_reference(*graph, host(threads), fmt::format("default, {} threads", threads));
      expect_matches_reference(*graph, host(threads, lower::ScheduleChoice::Random, 5),
                               fmt::format("random schedule, {} threads", threads));
    }
  expect_matches_reference(g, host(1, lower::ScheduleChoice::Naive), "naive");
}

// Training-mode BatchNormalization compiled to machine code, every output (Y, running_mean,
// running_var): after a convolution with constant weights and batch-norm parameters (which
// fold_batch_norm must not fold: the statistics are the batch's), then Relu and another
// convolution (so the activations between kernels are stored NCHW[x]c, blocked and as
// their shape says); and alone on an odd channel count, NCHW and [N, C].
TEST(CompiledModel, TrainingModeBatchNormMatchesTheReference) {
  Graph g("bn_training");
  const int64_t channels = target::host_target().vector_lanes;
  const ValueId x = g.add_input("x", {DType::F32, {2, 3, 6, 7}});
  const ValueId w = g.add_constant("w", random_tensor({DType::F32, {channels, 3, 3, 3}}, 12));
  const ValueId conv = g.add("Conv", {x, w}, {{"pads", Shape{1, 1, 1, 1}}}, "conv");
  std::vector<ValueId> ins{conv};
  uint64_t seed = 13;
  for (const char* name : {"scale", "bias", "mean", "var"})  // var: read by running_var only
    ins.push_back(g.add_constant(name, random_tensor({DType::F32, {channels}}, seed++)));
  const std::vector<ValueId> bn = g.add_node(
      "BatchNormalization", ins, {{"training_mode", int64_t{1}}, {"momentum", 0.7f}}, "bn");
  const ValueId relu = g.add("Relu", {bn[0]}, {}, "relu");
  const ValueId w2 = g.add_constant("w2", random_tensor({DType::F32, {4, channels, 1, 1}}, 20));
  g.add_output(g.add("Conv", {relu, w2}, {}, "conv2"));
  g.add_output(bn[1]);
  g.add_output(bn[2]);
  for (const Shape& shape : {Shape{2, 5, 3, 7}, Shape{4, 3}}) {
    const std::string name = fmt::format("x{}", shape.size());
    std::vector<ValueId> alone{g.add_input(name, {DType::F32, shape})};
    for (const char* p : {"scale", "bias", "mean", "var"})
      alone.push_back(g.add_input(fmt::format("{}_{}", name, p), {DType::F32, {shape[1]}}));
    for (ValueId v : g.add_node("BatchNormalization", alone,
                                {{"training_mode", int64_t{1}}, {"epsilon", 1e-3f}},
                                fmt::format("bn{}", shape.size())))
      g.add_output(v);
  }
  compiler::CompileOptions plain = host(1);
  plain.lowering.blocked_layout = false;
  expect_matches_reference(g, plain, "nchw");
  for (int threads : {1, 2}) {
    expect_matches_reference(g, host(threads), fmt::format("default, {} threads", threads));
    expect_matches_reference(g, host(threads, lower::ScheduleChoice::Random, 3),
                             fmt::format("random schedule, {} threads", threads));
  }
  const auto model = expect_matches_reference(g, host(1, lower::ScheduleChoice::Naive), "naive");
  // Conv, BN (its own kernel: the statistics are over the whole conv output), Relu, Conv,
  // and the two batch norms alone.
  const nlohmann::json description = model->describe();
  EXPECT_EQ(description.at("kernels").size(), 6u);
}

}  // namespace
}  // namespace nas::runtime
