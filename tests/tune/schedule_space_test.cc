// The schedule spaces: every sampled point of each family's space, at 1 and 2 threads,
// gives a kernel whose outputs are the naive loop nest's (KernelBench checks them before it
// times anything); the spaces hold more than one schedule where the family has choices;
// and the kernel bench catches a kernel that computes something else.
#include "compiler/tune/schedule_space.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/tune/kernel_bench.h"
#include "compiler/tune/tuner.h"
#include "tests/tune/tune_test_util.h"

namespace nas::tune {
namespace {

using testing::host_options;
using testing::quick_protocol;
using testing::zoo;

TEST(ScheduleSpace, SampledPointsComputeWhatTheNaiveNestComputes) {
  for (int threads : {1, 2}) {
    const compiler::CompileOptions options = host_options(threads);
    std::set<std::string> families;
    for (const ModelWorkload& w : model_workloads(zoo(), options)) {
      families.insert(std::string(lower::schedule_family_name(w.group.family)));
      const ScheduleSpace space = ScheduleSpace::of(w.group, options.target);
      KernelBench bench(w.group, options.target, 7);
      SplitMix64 rng(w.key);
      std::set<std::string> schedules;
      Point point = space.random_point(rng);
      for (int i = 0; i < 10; ++i) {
        point = i % 2 ? space.neighbour(point, rng) : space.random_point(rng);
        const lower::LoweredKernel kernel =
            lower::default_kernel(w.group, options.target, space.params(point), "k");
        schedules.insert(kernel.schedule.to_json().dump());
        const KernelMeasurement m = bench.measure(kernel, quick_protocol());
        EXPECT_TRUE(m.ok) << w.kernel << " at " << space.describe(point).dump() << ", "
                          << threads << " threads: " << m.error;
        EXPECT_GT(m.ms, 0);
      }
      // The 3x3 convolution (two blocks of 16 channels at 10x10) has choices; the other
      // kernels' shapes may leave one or two.
      if (w.kernel == "zoo_k0_conv") {
        EXPECT_GT(schedules.size(), 2u);
      }
    }
    EXPECT_TRUE(families.contains("conv2d") && families.contains("depthwise_conv2d") &&
                families.contains("pool") && families.contains("dense") &&
                families.contains("winograd_conv2d"))
        << fmt::format("{}", fmt::join(families, ", "));
  }
}

TEST(ScheduleSpace, NeighboursDifferInOneKnob) {
  const compiler::CompileOptions options = host_options(2);
  const ModelWorkload w = model_workloads(zoo(), options).front();
  const ScheduleSpace space = ScheduleSpace::of(w.group, options.target);
  ASSERT_GT(space.knobs().size(), 2u);
  EXPECT_GT(space.size(), 100);
  SplitMix64 rng(1);
  for (int i = 0; i < 20; ++i) {
    const Point p = space.random_point(rng), q = space.neighbour(p, rng);
    int differ = 0;
    for (size_t k = 0; k < p.size(); ++k) differ += p[k] != q[k];
    EXPECT_EQ(differ, 1);
  }
  // The point's values land in the params.
  const Point p = space.random_point(rng);
  const nlohmann::json params = space.params(p).to_json(), values = space.describe(p);
  for (const auto& [name, value] : values.items()) EXPECT_EQ(params.at(name), value) << name;
}

// A model of one unary op on an f32 input of `shape`.
graph::Graph single_op(const char* op, std::vector<int64_t> shape) {
  graph::Graph g(op);
  const graph::ValueId x = g.add_input("x", {graph::DType::F32, std::move(shape)});
  g.add_output(g.add(op, {x}, {}, "y"));
  return g;
}

TEST(KernelBench, RejectsAKernelThatComputesSomethingElse) {
  const compiler::CompileOptions options = host_options(1);
  const ModelWorkload relu = model_workloads(single_op("Relu", {1, 8, 4, 4}), options).front();
  const ModelWorkload sigmoid =
      model_workloads(single_op("Sigmoid", {1, 8, 4, 4}), options).front();
  EXPECT_NE(relu.key, sigmoid.key);
  KernelBench bench(relu.group, options.target, 3);
  const lower::LoweredKernel wrong =
      lower::default_kernel(sigmoid.group, options.target, options.target.schedule, "k");
  const KernelMeasurement m = bench.measure(wrong, quick_protocol());
  EXPECT_FALSE(m.ok);
  EXPECT_THAT(m.error, ::testing::HasSubstr("differs from the naive loop nest's"));
  const KernelMeasurement right = bench.measure(
      lower::default_kernel(relu.group, options.target, options.target.schedule, "k"),
      quick_protocol());
  EXPECT_TRUE(right.ok) << right.error;
}

// A round's kernels, compiled together (named alike, as the tuner names them), are each
// checked and timed as on their own: the wrong one fails, the others pass.
TEST(KernelBench, MeasuresARoundsKernelsEachOnItsOwn) {
  const compiler::CompileOptions options = host_options(2);
  const ModelWorkload relu = model_workloads(single_op("Relu", {1, 16, 12, 12}), options).front();
  const ModelWorkload sigmoid =
      model_workloads(single_op("Sigmoid", {1, 16, 12, 12}), options).front();
  target::ScheduleParams serial = options.target.schedule;
  serial.min_parallel_work = int64_t{1} << 40;
  KernelBench bench(relu.group, options.target, 3);
  const std::vector<KernelMeasurement> each = bench.measure_all(
      {lower::default_kernel(relu.group, options.target, options.target.schedule, "k"),
       lower::default_kernel(sigmoid.group, options.target, options.target.schedule, "k"),
       lower::default_kernel(relu.group, options.target, serial, "k")},
      quick_protocol());
  ASSERT_EQ(each.size(), 3u);
  EXPECT_TRUE(each[0].ok) << each[0].error;
  EXPECT_FALSE(each[1].ok);
  EXPECT_THAT(each[1].error, ::testing::HasSubstr("differs from the naive loop nest's"));
  EXPECT_TRUE(each[2].ok) << each[2].error;
  EXPECT_GT(each[0].ms, 0);
  EXPECT_GT(each[2].ms, 0);
}

}  // namespace
}  // namespace nas::tune
