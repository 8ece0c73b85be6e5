// Tuned schedules timed inside the model: the records keep each timing and give a workload
// whose tuned schedule lost there its default; check_in_model times exactly the workloads
// whose tuned kernels differ from the default ones, once. The choice between Winograd's
// algorithm and the direct convolution: kept per convolution and target, made once, and
// taken by a compile that reads the records.
#include "compiler/tune/in_model.h"

#include <gtest/gtest.h>

#include "compiler/graph/reference_executor.h"
#include "compiler/tune/tuner.h"
#include "tests/test_util.h"
#include "tests/tune/tune_test_util.h"

namespace nas::tune {
namespace {

using nas::testing::TempDir;
using testing::host_options;
using testing::zoo;

TEST(TuningRecords, KeepTheDefaultOfAWorkloadWhoseTunedScheduleLostInTheModel) {
  TempDir dir;
  const target::Target target = target::host_target();
  const std::string key = target_key(target);
  TuningRecords records(dir / "r.sqlite");
  const nlohmann::json a = {{"conv_accumulators", 12}}, b = {{"dense_vectors", 2}};
  records.add({42, key, "conv2d", "k0", a, 1.0, "", {1}, 100});
  records.add({43, key, "dense", "k1", b, 1.0, "", {1}, 100});
  records.set_in_model({42, key, a, 1.0, 2.0});  // lost in the model
  records.set_in_model({43, key, b, 1.0, 0.5});  // won
  EXPECT_FALSE(records.best_params(target)(42));
  ASSERT_TRUE(records.best_params(target)(43));
  EXPECT_EQ(records.best_params(target)(43)->dense_vectors, 2);

  const std::optional<InModelTiming> timing = records.in_model(42, key, a);
  ASSERT_TRUE(timing);
  EXPECT_EQ(timing->tuned_ms, 2.0);
  EXPECT_FALSE(timing->tuned_wins());
  EXPECT_FALSE(records.in_model(42, key, b));
  EXPECT_FALSE(records.in_model(42, "another target", a));

  // A later timing of the same schedule replaces the first.
  records.set_in_model({42, key, a, 1.0, 0.9});
  ASSERT_TRUE(records.best_params(target)(42));
  EXPECT_EQ(records.best_params(target)(42)->conv_accumulators, 12);
  // A faster schedule measured later is not judged by the old one's timing.
  records.set_in_model({42, key, a, 1.0, 3.0});
  const nlohmann::json c = {{"conv_accumulators", 8}};
  records.add({42, key, "conv2d", "k0", c, 0.5, "", {1}, 100});
  ASSERT_TRUE(records.best_params(target)(42));
  EXPECT_EQ(records.best_params(target)(42)->conv_accumulators, 8);
}

TEST(InModel, TimesTheTunedWorkloadsOnceAndSetsBackThoseThatLost) {
  TempDir dir;
  const compiler::CompileOptions options = host_options(2);
  const std::string key = target_key(options.target);
  const graph::Graph g = zoo();
  TuningRecords records(dir / "r.sqlite");
  // Every workload's best schedule is made by other constants than the default ones; some
  // of them give the same kernel as the default, which are not timed.
  target::ScheduleParams other = options.target.schedule;
  other.conv_accumulators = 4;
  other.conv_channel_vectors = {1};
  other.window_block_columns = 2;
  other.dense_vectors = 1;
  other.min_parallel_work = 0;
  for (const ModelWorkload& w : model_workloads(g, options))
    records.add({w.key, key, "any", w.kernel, other.to_json(), 1e-6, "", {1}, 1});

  compiler::CompileOptions tuned_options = options;
  tuned_options.lowering.tuned_params = records.best_params(options.target);
  const auto defaults = compiler::compile_model(g, options);
  const auto tuned = compiler::compile_model(g, tuned_options);
  const nlohmann::json default_kernels = defaults->describe().at("kernels");
  const nlohmann::json tuned_kernels = tuned->describe().at("kernels");
  std::set<std::string> differing;
  for (size_t k = 0; k < tuned_kernels.size(); ++k)
    if (tuned_kernels[k].at("schedule") != default_kernels[k].at("schedule"))
      differing.insert(tuned_kernels[k].at("workload").get<std::string>());
  ASSERT_GE(differing.size(), 3u);  // conv, depthwise, dense at least

  const InModelOptions quick{.warmup = 1, .runs = 3, .min_runs = 3, .max_seconds = 0.5};
  const InModelCheck check = check_in_model(g, *defaults, *tuned, records, quick);
  EXPECT_EQ(check.runs, 3);
  std::set<std::string> timed;
  for (const InModelTiming& t : check.timings) {
    timed.insert(workload_hex(t.workload));
    EXPECT_GT(t.default_ms, 0);
    EXPECT_GT(t.tuned_ms, 0);
    EXPECT_EQ(t.params, other.to_json());
    ASSERT_TRUE(records.in_model(t.workload, key, t.params));
    // The tuned schedule stays only where it won in the model.
    EXPECT_EQ(records.best_params(options.target)(t.workload).has_value(), t.tuned_wins());
  }
  EXPECT_EQ(timed, differing);
  EXPECT_EQ(check.kept() + check.rejected(), static_cast<int>(differing.size()));

  // Timed once: a second check has nothing left to time.
  EXPECT_TRUE(check_in_model(g, *defaults, *tuned, records, quick).timings.empty());
  // Compiled again with the records, the workloads that lost take the default kernels.
  tuned_options.lowering.tuned_params = records.best_params(options.target);
  const nlohmann::json again = compiler::compile_model(g, tuned_options)->describe().at("kernels");
  for (size_t k = 0; k < again.size(); ++k) {
    const std::string workload = again[k].at("workload");
    const bool kept = std::ranges::any_of(check.timings, [&](const InModelTiming& t) {
      return workload_hex(t.workload) == workload && t.tuned_wins();
    });
    if (differing.contains(workload)) {
      EXPECT_EQ(again[k].at("schedule") == tuned_kernels[k].at("schedule"), kept) << workload;
    }
  }
}

TEST(TuningRecords, KeepTheConvolutionAlgorithmFasterInTheModel) {
  TempDir dir;
  const target::Target target = target::host_target();
  const std::string key = target_key(target);
  TuningRecords records(dir / "r.sqlite");
  records.set_conv_algorithm({"conv a", key, 2.0, 1.0});  // direct faster
  records.set_conv_algorithm({"conv b", key, 1.0, 2.0});  // Winograd faster
  records.set_conv_algorithm({"conv c", "another target", 2.0, 1.0});
  const auto direct = records.direct_convolutions(target);
  EXPECT_TRUE(direct("conv a"));
  EXPECT_FALSE(direct("conv b"));
  EXPECT_FALSE(direct("conv c"));
  EXPECT_FALSE(direct("conv d"));
  ASSERT_TRUE(records.conv_algorithm("conv a", key));
  EXPECT_TRUE(records.conv_algorithm("conv a", key)->direct_wins());
  records.set_conv_algorithm({"conv a", key, 1.0, 3.0});  // replaced
  EXPECT_FALSE(records.direct_convolutions(target)("conv a"));
  EXPECT_FALSE(records.conv_algorithm("conv a", "another target"));
}

TEST(InModel, ChoosesBetweenWinogradAndDirectOncePerConvolution) {
  TempDir dir;
  const compiler::CompileOptions options = host_options(1);
  const std::string key = target_key(options.target);
  const graph::Graph g = zoo();  // one Winograd convolution, F(2x2) at 10x10
  TuningRecords records(dir / "r.sqlite");
  const InModelOptions quick{.warmup = 1, .runs = 3, .min_runs = 3, .max_seconds = 0.5};
  const WinogradCheck check = choose_winograd_in_model(g, options, records, quick);
  EXPECT_EQ(check.runs, 3);
  ASSERT_EQ(check.timings.size(), 1u);
  const ConvAlgorithmTiming& timing = check.timings[0];
  EXPECT_EQ(timing.conv, "f32[1,32,10,10] * [32,32,3,3] pads [1,1,1,1]");
  EXPECT_GT(timing.winograd_ms, 0);
  EXPECT_GT(timing.direct_ms, 0);
  ASSERT_TRUE(records.conv_algorithm(timing.conv, key));
  EXPECT_EQ(check.direct(), timing.direct_wins() ? 1 : 0);
  // Chosen once.
  EXPECT_TRUE(choose_winograd_in_model(g, options, records, quick).timings.empty());

  // Compiled with the records' choice, the convolution takes the faster algorithm.
  compiler::CompileOptions chosen = options;
  chosen.lowering.winograd_direct = records.direct_convolutions(options.target);
  const auto model = compiler::compile_model(g, chosen);
  const bool has_winograd = std::ranges::any_of(model->graph().nodes(), [](const graph::Node& n) {
    return n.op->id == graph::OpId::WinogradConv;
  });
  EXPECT_EQ(has_winograd, !timing.direct_wins());
  // Forced either way, the model still computes the reference's result.
  for (bool direct : {false, true}) {
    chosen.lowering.winograd_direct = [direct](const std::string&) { return direct; };
    const std::vector<graph::Tensor> inputs = runtime::testing::random_inputs(g, 3);
    runtime::testing::expect_close(compiler::compile_model(g, chosen)->run(inputs)[0],
                                   graph::run_reference(g, inputs)[0], "zoo");
  }
}

}  // namespace
}  // namespace nas::tune
