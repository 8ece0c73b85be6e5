// evaluate_candidate: every metric of a tiny network, and failures recorded as results.
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/target/target.h"
#include "evaluator/evaluate.h"
#include "tests/evaluator/tiny_model.h"
#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using ::testing::HasSubstr;

DataSplits tiny_splits() {
  const Dataset all = synthetic(240, 1);
  std::vector<int64_t> train(160), val(80);
  std::iota(train.begin(), train.end(), 0);
  std::iota(val.begin(), val.end(), 160);
  return {select(all, train), select(all, val), select(all, val)};
}

EvaluationConfig quick() {
  EvaluationConfig c;
  c.train.epochs = 2;
  c.train.batch = 16;
  c.timing = {.warmup = 1, .min_repeats = 3, .min_seconds = 0.0, .max_spread = 0};
  return c;
}

// A latency whose timing rounds never agree is not ranked: where a repeatable latency is
// required (a search), the candidate fails with why; elsewhere (`nas train`) it is kept
// with its spread.
TEST(Evaluate, ALatencyThatDoesNotSettleFailsTheCandidateWhereRequired) {
  EvaluationConfig config = quick();
  config.targets = {{"host", 1}};
  // Five rounds of one run each must agree to within 1e-12 of the median: they never do.
  config.timing = {.warmup = 0, .min_repeats = 5, .min_seconds = 0, .rounds = 5,
                   .max_spread = 1e-12, .attempts = 2};
  const EvalResult kept = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  ASSERT_EQ(kept.status, EvalStatus::Ok) << kept.reason;
  EXPECT_GT(kept.latency.at("host").median_ms, 0);

  config.require_repeatable_latency = true;
  const EvalResult r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(r.status, EvalStatus::Failed);
  EXPECT_THAT(r.reason, ::testing::StartsWith(
                            "latency on host not repeatable: in each of 2 measurements its 5 "
                            "timing rounds spread more than timing.max_spread (1e-10%) or the "
                            "machine ran more than timing.max_slowdown (1e-10%) slower than its "
                            "quiet speed (at best "));
  EXPECT_THAT(r.reason, ::testing::EndsWith("); is the machine busy?"));
}

TEST(Evaluate, MeasuresEveryMetric) {
  EvaluationConfig config = quick();
  config.targets = {{"host", 2}};
  config.test_accuracy = true;
  TrainState state = initial_state(tiny_model(4, 1));
  EvalResult r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config, &state);
  ASSERT_EQ(r.status, EvalStatus::Ok) << r.reason;
  // Parameters: conv 8*9 + 8, BN 4*8, dense 4*128 + 4.
  EXPECT_EQ(r.cost.parameters, 72 + 8 + 32 + 512 + 4);
  EXPECT_EQ(r.cost.model_bytes, 4 * r.cost.parameters);
  // FLOPs: conv 2*8*4*4*9 + 8*16 bias, BN, ReLU, dense 2*4*128 + 4 bias; the registry's
  // count must at least hold the multiply-adds.
  EXPECT_GE(r.cost.flops, 2 * 8 * 16 * 9 + 2 * 4 * 128);
  EXPECT_GT(r.cost.peak_activation_bytes, 0);
  ASSERT_EQ(r.latency.count("host"), 1u);
  EXPECT_GT(r.latency.at("host").median_ms, 0);
  EXPECT_GE(r.latency.at("host").repeats, 3);
  EXPECT_EQ(r.latency.at("host").threads, 2);
  EXPECT_GT(r.latency.at("host").compile_seconds, 0);
  EXPECT_EQ(r.loss_curve.size(), 2u);
  EXPECT_GT(r.accuracy, 0.5);
  ASSERT_TRUE(r.test_accuracy.has_value());
  EXPECT_EQ(*r.test_accuracy, r.accuracy);  // the test split is the validation split here
  EXPECT_GT(r.step_ms, 0);
  EXPECT_EQ(state.epochs_done, 2);  // the trained state came back for a later fidelity
}

// A latency measured before (a promoted candidate's) is taken as it is, not measured again.
TEST(Evaluate, TakesAKnownLatencyAsItIs) {
  EvaluationConfig config = quick();
  config.targets = {{"host", 1}};
  const LatencyResult known{.median_ms = 42, .repeats = 7, .threads = 1, .compile_seconds = 3};
  config.known_latency = {{"host", known}};
  const EvalResult r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  ASSERT_EQ(r.status, EvalStatus::Ok) << r.reason;
  EXPECT_EQ(r.latency.at("host"), known);
}

// A target file's `threads:` counts as in `nas bench`, unless the caller gives threads.
TEST(Evaluate, LatencyThreadsAreTheCallersElseTheTargetFilesElseOne) {
  const std::string file = (nas::testing::test_temp_dir() / "host3.yaml").string();
  const target::Target& host = target::host_target();
  std::ofstream(file) << "name: host3\ntriple: " << host.triple << "\ncpu: " << host.cpu
                      << "\nfeatures: [" << fmt::format("{}", fmt::join(host.features, ", "))
                      << "]\nthreads: 3\n";
  EXPECT_EQ(latency_compile_target({file, std::nullopt}).threads, 3);
  EXPECT_EQ(latency_compile_target({file, 2}).threads, 2);
  EXPECT_EQ(latency_compile_target({"host", std::nullopt}).threads, 1);
  const LatencyResult measured =
      measure_latency(tiny_model(4, 1), {file, std::nullopt}, quick().timing);
  EXPECT_EQ(measured.threads, 3);
}

// A search rules out a candidate whose measured costs break a hard constraint before
// training it: its costs and latency are kept, nothing is trained.
TEST(Evaluate, DoesNotTrainACandidateThatBreaksAConstraint) {
  EvaluationConfig config = quick();
  TrainState state = initial_state(tiny_model(4, 1));
  config.broken_constraint = [](const EvalResult& r) {
    EXPECT_GT(r.latency.at("host").median_ms, 0);  // measured before the decision
    return r.cost.parameters > 100 ? std::string("params 628 > 100") : std::string();
  };
  const EvalResult r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config, &state);
  EXPECT_EQ(r.status, EvalStatus::Infeasible);
  EXPECT_EQ(r.reason, "params 628 > 100");
  EXPECT_EQ(r.cost.parameters, 628);
  EXPECT_GT(r.latency.at("host").median_ms, 0);
  EXPECT_TRUE(r.loss_curve.empty());
  EXPECT_EQ(r.training_seconds, 0);
  EXPECT_EQ(r.accuracy, 0);
  EXPECT_EQ(state.epochs_done, 0);

  config.broken_constraint = [](const EvalResult&) { return std::string(); };
  const EvalResult kept = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(kept.status, EvalStatus::Ok) << kept.reason;
  EXPECT_EQ(kept.loss_curve.size(), 2u);
}

// Early stopping: the validation accuracy after each epoch but the last is recorded and
// shown to the rule, with the costs measured before training; a stopped candidate keeps the
// accuracy where it stopped.
TEST(Evaluate, StopsEarlyWhereTheRuleSays) {
  EvaluationConfig config = quick();
  config.train.epochs = 3;
  std::vector<std::pair<int64_t, double>> shown;
  config.early_stop = [&](int64_t epochs_done, double accuracy, const EvalResult& costs) {
    EXPECT_GT(costs.latency.at("host").median_ms, 0);
    EXPECT_GT(costs.cost.parameters, 0);
    shown.push_back({epochs_done, accuracy});
    return std::string();
  };
  const EvalResult through = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  ASSERT_EQ(through.status, EvalStatus::Ok) << through.reason;
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].first, 1);
  EXPECT_EQ(shown[1].first, 2);
  EXPECT_EQ(through.epoch_accuracy,
            (std::map<int64_t, double>{{1, shown[0].second}, {2, shown[1].second}}));
  EXPECT_EQ(through.loss_curve.size(), 3u);

  config.early_stop = [](int64_t epochs_done, double, const EvalResult&) {
    return std::string(epochs_done == 1 ? "cannot reach the front" : "");
  };
  TrainState state = initial_state(tiny_model(4, 1));
  const EvalResult stopped = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config, &state);
  EXPECT_EQ(stopped.status, EvalStatus::Stopped);
  EXPECT_EQ(stopped.reason, "cannot reach the front");
  EXPECT_EQ(stopped.accuracy, shown[0].second);  // the same first epoch: deterministic
  EXPECT_EQ(stopped.epoch_accuracy, (std::map<int64_t, double>{{1, shown[0].second}}));
  EXPECT_EQ(stopped.loss_curve.size(), 1u);
  EXPECT_EQ(state.epochs_done, 1);
}

TEST(Evaluate, RecordsFailuresWithTheirReason) {
  EvaluationConfig config = quick();
  config.targets = {{"aarch64", 1}};  // compiles, but cannot run on this x86_64 host
  EvalResult r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(r.status, EvalStatus::Failed);
  EXPECT_EQ(r.reason, target::why_not_runnable(target::parse_target("aarch64")));
  EXPECT_THAT(r.reason, HasSubstr("cannot run on this x86_64 host"));

  config.targets = {{"pentium-9000", 1}};
  r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(r.status, EvalStatus::Failed);
  EXPECT_THAT(r.reason, HasSubstr("pentium-9000"));

  config = quick();
  config.train.lr = 1e30;
  r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(r.status, EvalStatus::Diverged);
  EXPECT_THAT(r.reason, HasSubstr("loss became"));
  EXPECT_TRUE(std::isnan(r.loss_curve.back()));

  config = quick();
  config.train.time_limit_seconds = 1e-9;
  r = evaluate_candidate(tiny_model(4, 1), tiny_splits(), config);
  EXPECT_EQ(r.status, EvalStatus::TimedOut);
}

}  // namespace
}  // namespace nas::evaluator
