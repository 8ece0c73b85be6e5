// The cost model ranks held-out schedules of a convolution far better than chance. It times
// 72 kernels, so it runs alone (RUN_SERIAL, tests/CMakeLists.txt): beside the suite's other
// tests on a 2-core machine its measured order is mostly noise.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "compiler/tune/features.h"
#include "compiler/tune/kernel_bench.h"
#include "compiler/tune/schedule_space.h"
#include "compiler/tune/tuner.h"
#include "tests/tune/tune_test_util.h"

namespace nas::tune {
namespace {

using testing::host_options;
using testing::quick_protocol;

// Kendall's tau of two orders.
double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  double concordant = 0, discordant = 0;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = i + 1; j < a.size(); ++j) {
      const double s = (a[i] - a[j]) * (b[i] - b[j]);
      concordant += s > 0;
      discordant += s < 0;
    }
  return (concordant - discordant) / std::max(1.0, concordant + discordant);
}

TEST(CostModel, RanksHeldOutSchedulesBetterThanChance) {
  // A 3x3 convolution, 64 -> 64 channels at 14x14 on 2 threads: its schedules differ by
  // several times.
  using runtime::testing::random_tensor;
  graph::Graph g("conv");
  const graph::ValueId x = g.add_input("x", {graph::DType::F32, {1, 64, 14, 14}});
  g.add_output(g.add("Conv",
                     {x, g.add_constant("w", random_tensor({graph::DType::F32, {64, 64, 3, 3}}, 1))},
                     {{"pads", graph::Shape{1, 1, 1, 1}}}, "conv"));
  const compiler::CompileOptions options = host_options(2);
  const ModelWorkload w = model_workloads(g, options).front();
  const ScheduleSpace space = ScheduleSpace::of(w.group, options.target);
  KernelBench bench(w.group, options.target, 1);
  SplitMix64 rng(11);
  std::set<std::string> seen;
  std::vector<std::vector<double>> features;
  std::vector<lower::LoweredKernel> kernels;
  for (int draws = 0; features.size() < 72 && draws < 2000; ++draws) {
    const ScheduleParams params = space.params(space.random_point(rng));
    lower::LoweredKernel kernel = lower::default_kernel(w.group, options.target, params, "k");
    if (!seen.insert(kernel.schedule.to_json().dump()).second) continue;
    features.push_back(kernel_features(kernel, options.target, params, bench.work()));
    kernels.push_back(std::move(kernel));
  }
  // The truth: each schedule's fastest run over three passes, so that other work on the
  // machine (the suite runs tests side by side) disturbs it least.
  runtime::TimingProtocol protocol = quick_protocol();
  protocol.min_seconds = 0.02;
  std::vector<double> fastest(kernels.size(), 1e30);
  for (int pass = 0; pass < 3; ++pass)
    for (size_t i = 0; i < kernels.size(); ++i) {
      const KernelMeasurement m = bench.measure(kernels[i], protocol);
      ASSERT_TRUE(m.ok) << m.error;
      fastest[i] = std::min(fastest[i], m.min_ms);
    }
  std::vector<double> speed;
  for (double ms : fastest) speed.push_back(1 / ms);
  ASSERT_EQ(features.size(), 72u) << "distinct schedules drawn";
  const size_t train = 48;
  XGBoostModel model({.rounds = 50, .max_depth = 6, .seed = 1, .objective = "rank:pairwise"});
  model.fit({features.begin(), features.begin() + train}, {speed.begin(), speed.begin() + train});
  const std::vector<double> predicted = model.predict({features.begin() + train, features.end()});
  const double tau = kendall_tau(predicted, {speed.begin() + train, speed.end()});
  // Chance gives 0 (standard deviation 0.15 for 24 schedules): above 0.3 is 2 standard
  // deviations. Measured: 0.62-0.80 on a quiet machine; 0.42-0.51 on the shared VM of
  // 2026-12-07 while it ran twice slower than its quiet speed (the measured order itself
  // is then noisy), where 0.4 failed one run in three.
  EXPECT_GT(tau, 0.3) << "Kendall's tau of the predicted against the measured order";
  RecordProperty("kendall_tau", std::to_string(tau));
}

}  // namespace
}  // namespace nas::tune
