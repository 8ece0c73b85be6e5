// The tuner: features of a fixed length, the records round trip and say what is wrong with
// a file that is not theirs, a second tune of a model measures nothing, and a model
// compiled with the records takes the tuned schedules and computes what the reference does.
// (The cost model's ranking is tests/tune/timing/cost_model_test.cc: it times kernels.)
#include "compiler/tune/tuner.h"

#include <algorithm>
#include <fstream>
#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "compiler/graph/reference_executor.h"
#include "compiler/tune/features.h"
#include "compiler/tune/kernel_bench.h"
#include "compiler/tune/schedule_space.h"
#include "tests/test_util.h"
#include "tests/tune/tune_test_util.h"

namespace nas::tune {
namespace {

using nas::testing::TempDir;
using nas::testing::user_error_message;
using testing::host_options;
using testing::quick_protocol;
using testing::zoo;

TEST(Features, FixedLengthAndTellSchedulesApart) {
  const compiler::CompileOptions options = host_options(2);
  for (const ModelWorkload& w : model_workloads(zoo(), options)) {
    const ScheduleSpace space = ScheduleSpace::of(w.group, options.target);
    SplitMix64 rng(5);
    std::set<std::vector<double>> seen;
    std::set<std::string> schedules;
    for (int i = 0; i < 6; ++i) {
      const ScheduleParams params = i == 0 ? space.base() : space.params(space.random_point(rng));
      const lower::LoweredKernel kernel = lower::default_kernel(w.group, options.target, params, "k");
      const std::vector<double> f = kernel_features(kernel, options.target, params, 1000);
      ASSERT_EQ(f.size(), feature_names().size()) << w.kernel;
      for (double v : f) EXPECT_TRUE(std::isfinite(v)) << w.kernel;
      seen.insert(f);
      schedules.insert(kernel.schedule.to_json().dump());
    }
    // Different schedules, different features.
    EXPECT_GE(seen.size(), schedules.size()) << w.kernel;
  }
}

TEST(TuningRecords, RoundTripBestAndParams) {
  TempDir dir;
  const target::Target target = target::host_target();
  {
    TuningRecords records(dir / "r.sqlite");
    nlohmann::json fast = {{"conv_accumulators", 12}}, slow = {{"conv_accumulators", 8}};
    records.add({42, target_key(target), "conv2d", "k0 [1,2]", slow, 2.0, "", {1, 2}, 100});
    records.add({42, target_key(target), "conv2d", "k0 [1,2]", fast, 1.0, "", {3, 4}, 100});
    records.add({42, target_key(target), "conv2d", "k0 [1,2]", {}, std::nullopt, "wrong", {5}, 100});
    records.add({42, "another target", "conv2d", "k0 [1,2]", slow, 0.5, "", {1, 2}, 100});
  }
  TuningRecords records(dir / "r.sqlite");  // reopened
  EXPECT_EQ(records.of(42, target_key(target)).size(), 3u);
  EXPECT_EQ(records.of(43, target_key(target)).size(), 0u);
  const std::optional<Measurement> best = records.best(42, target_key(target));
  ASSERT_TRUE(best);
  EXPECT_EQ(*best->ms, 1.0);
  EXPECT_EQ(best->params, (nlohmann::json{{"conv_accumulators", 12}}));
  EXPECT_EQ(best->features, (std::vector<double>{3, 4}));
  EXPECT_EQ(records.of(42, target_key(target))[2].error, "wrong");
  EXPECT_EQ(records.passed().size(), 3u);
  const auto params = records.best_params(target);
  ASSERT_TRUE(params(42));
  EXPECT_EQ(params(42)->conv_accumulators, 12);
  EXPECT_EQ(params(42)->dense_vectors, target.schedule.dense_vectors);  // the rest: the target's
  EXPECT_FALSE(params(43));
}

TEST(TuningRecords, NamesAFileThatIsNotTheirs) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "other.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_THAT(user_error_message([&] { TuningRecords r(dir / "other.sqlite"); }),
              ::testing::AllOf(::testing::HasSubstr("other.sqlite"),
                               ::testing::HasSubstr("is not a tuning records file")));
  std::ofstream(dir / "text.sqlite") << "not a database at all, but long enough to have a header";
  EXPECT_THAT(user_error_message([&] { TuningRecords r(dir / "text.sqlite"); }),
              ::testing::HasSubstr("text.sqlite"));
}

TEST(Tuner, ASecondTuneMeasuresNothingAndCompilesTakeTheRecords) {
  TempDir dir;
  const compiler::CompileOptions options = host_options(2);
  const graph::Graph g = zoo();
  TuningRecords records(dir / "r.sqlite");
  TuneOptions tuning{.trials = 6, .batch = 3, .seed = 1, .protocol = quick_protocol()};
  std::vector<WorkloadResult> first;
  {
    Tuner tuner(records, options.target, tuning);
    int calls = 0;
    first = tuner.tune_model(g, options, [&](const WorkloadResult&, int, int) { ++calls; });
    EXPECT_GT(calls, 0);
  }
  ASSERT_EQ(first.size(), model_workloads(g, options).size());
  for (const WorkloadResult& r : first) {
    EXPECT_GE(r.measured, 1) << r.kernel;
    EXPECT_EQ(r.failed, 0) << r.kernel;
    EXPECT_GT(r.default_ms, 0) << r.kernel;
    EXPECT_LE(r.best_ms, r.default_ms) << r.kernel;  // the default is one of the points
    EXPECT_EQ(static_cast<int>(records.of(r.workload, target_key(options.target)).size()),
              r.measured)
        << r.kernel;
  }
  Tuner again(records, options.target, tuning);
  for (const WorkloadResult& r : again.tune_model(g, options)) {
    const bool space_exhausted = std::ranges::any_of(first, [&](const WorkloadResult& f) {
      return f.workload == r.workload && f.measured < tuning.trials;
    });
    // A workload whose space ran out before the trials is looked at again, and finds nothing
    // new to measure.
    EXPECT_EQ(r.measured, 0) << r.kernel << (space_exhausted ? " (space exhausted)" : "");
    EXPECT_GT(r.best_ms, 0) << r.kernel;
  }

  // Compiled with the records: each kernel takes its workload's best constants.
  compiler::CompileOptions tuned = options;
  tuned.lowering.tuned_params = records.best_params(options.target);
  int asked = 0;
  auto counting = tuned.lowering.tuned_params;
  tuned.lowering.tuned_params = [&](uint64_t key) {
    const auto found = counting(key);
    asked += found.has_value();
    return found;
  };
  const std::vector<graph::Tensor> inputs = runtime::testing::random_inputs(g, 3);
  const std::vector<graph::Tensor> got = compiler::compile_model(g, tuned)->run(inputs);
  EXPECT_EQ(asked, static_cast<int>(model_workloads(g, options).size()));
  runtime::testing::expect_close(got[0], graph::run_reference(g, inputs)[0], "tuned zoo");
}

}  // namespace
}  // namespace nas::tune
