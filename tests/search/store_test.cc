// The experiment store: WAL mode, the experiment row, batches and trials written, reopened
// and read back equal; pending trials; refusal of a file that is not a store.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/store.h"
#include "tests/test_util.h"

namespace nas::search {
namespace {

using nas::testing::TempDir;
using nas::testing::user_error_message;

TrialRecord finished(int64_t id, int64_t batch, const std::string& arch) {
  TrialRecord t;
  t.id = id;
  t.batch = batch;
  t.arch = arch;
  t.fidelity = 2;
  t.seed = 0xfedcba9876543210ull;  // above INT64_MAX: stored as its bit pattern
  t.seconds = 1.25;
  evaluator::EvalResult& r = t.result;
  r.accuracy = 0.8125;
  r.loss_curve = {1.5, 0.75};
  r.training_seconds = 0.5;
  r.step_ms = 0.125;
  r.latency["host"] = {.median_ms = 0.5, .min_ms = 0.25, .max_ms = 1, .p25_ms = 0.375,
                       .p75_ms = 0.625, .repeats = 10, .threads = 1};
  r.cost = {.parameters = 1234, .flops = 5678, .model_bytes = 4936, .peak_activation_bytes = 99};
  return t;
}

TEST(ExperimentStore, RoundTripsExperimentBatchesAndTrials) {
  TempDir dir;
  const auto path = dir / "experiment.db";
  const nlohmann::json key = {{"seed", 1}, {"training.lr", 0.05}};
  TrialRecord a = finished(0, 0, "2,3,relu"), b = finished(1, 0, "4,1,hswish");
  TrialRecord c = finished(2, 1, "8,3,relu");
  b.result = evaluator::EvalResult{};
  b.result.status = evaluator::EvalStatus::Failed;
  b.result.reason = "conv: kernel larger than its input";
  {
    ExperimentStore store(path);
    EXPECT_EQ(store.journal_mode(), "wal");
    EXPECT_FALSE(store.experiment().has_value());
    store.create_experiment("name: x\n", key, "00ff");
    store.add_batch(0, 2, {a, b});
    store.add_batch(1, 2, {c});  // the strategy had only one more
    store.finish_trial(a);
    store.finish_trial(b);
  }
  ExperimentStore store(path);
  EXPECT_EQ(store.journal_mode(), "wal");
  const auto e = store.experiment();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->config_yaml, "name: x\n");
  EXPECT_EQ(e->resume_key, key);
  EXPECT_EQ(e->resume_hash, "00ff");
  EXPECT_EQ(e->created.size(), 20u);  // 2024-01-02T03:04:05Z
  const std::vector<StoredBatch> batches = store.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].id, 1);
  EXPECT_EQ(batches[1].requested, 2);
  const std::vector<StoredTrial> trials = store.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_TRUE(trials[0].done);
  EXPECT_TRUE(trials[1].done);
  EXPECT_FALSE(trials[2].done);  // pending: asked, never finished
  EXPECT_EQ(trials[2].record.arch, "8,3,relu");
  EXPECT_EQ(trials[2].record.batch, 1);
  const TrialRecord& r = trials[0].record;
  EXPECT_EQ(r.id, 0);
  EXPECT_EQ(r.arch, "2,3,relu");
  EXPECT_EQ(r.fidelity, 2);
  EXPECT_EQ(r.seed, 0xfedcba9876543210ull);
  EXPECT_EQ(r.seconds, 1.25);
  EXPECT_EQ(r.result.to_json(), a.result.to_json());
  EXPECT_EQ(trials[1].record.result.status, evaluator::EvalStatus::Failed);
  EXPECT_EQ(trials[1].record.result.reason, "conv: kernel larger than its input");
  // A result reaches the store once.
  store.update_config("name: y\n");
  EXPECT_EQ(store.experiment()->config_yaml, "name: y\n");
  EXPECT_THROW(store.finish_trial(a), InternalError);
}

TEST(ExperimentStore, AddingABatchIsAllOrNothing) {
  TempDir dir;
  ExperimentStore store(dir / "experiment.db");
  store.create_experiment("", nlohmann::json::object(), "0");
  store.add_batch(0, 1, {finished(0, 0, "a")});
  // Trial id 0 again: the whole batch is refused, the batch row included.
  EXPECT_THROW(store.add_batch(1, 2, {finished(1, 1, "b"), finished(0, 1, "c")}), UserError);
  EXPECT_EQ(store.batches().size(), 1u);
  EXPECT_EQ(store.trials().size(), 1u);
}

TEST(ExperimentStore, RefusesAFileThatIsNotAStore) {
  TempDir dir;
  std::ofstream(dir / "not.db") << "this is not a database, just text that is long enough to "
                                   "have a header of sixteen bytes and more";
  EXPECT_THAT(user_error_message([&] { ExperimentStore store(dir / "not.db"); }),
              ::testing::HasSubstr("experiment store '" + (dir / "not.db").string() + "'"));
  EXPECT_THAT(user_error_message([&] { ExperimentStore store(dir / "no" / "such" / "x.db"); }),
              ::testing::HasSubstr("cannot open experiment store"));
}

}  // namespace
}  // namespace nas::search
