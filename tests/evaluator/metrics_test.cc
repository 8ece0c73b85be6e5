// Cost metrics of a tiny network against hand-computed values; the evaluation record's JSON.
#include "evaluator/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::Tensor;
using graph::ValueId;
using nas::testing::user_error_message;
using ::testing::HasSubstr;

// x f32[batch,8] -> Mul(w f32[8]) -> Relu -> Add(b f32[1,8]) -> ReduceSumTo [1,8], plus
// an unused constant idx i64[3] (model bytes, not parameters).
Graph tiny_network(int64_t batch) {
  Graph g("tiny");
  ValueId x = g.add_input("x", {DType::F32, {batch, 8}});
  ValueId w = g.add_constant("w", Tensor(DType::F32, {8}));
  ValueId b = g.add_constant("b", Tensor(DType::F32, {1, 8}));
  g.add_constant("idx", Tensor::i64({3}, {0, 1, 2}));
  ValueId h = g.add("Mul", {x, w});
  ValueId r = g.add("Relu", {h});
  ValueId y = g.add("Add", {r, b});
  g.add_output(g.add("ReduceSumTo", {y}, {{"shape", Shape{1, 8}}}));
  return g;
}

TEST(CostMetrics, TinyNetwork) {
  ModelCost cost = cost_metrics(tiny_network(4));
  // w and b: 8 + 8 float elements; idx is i64, not a parameter.
  EXPECT_EQ(cost.parameters, 16);
  // Mul, Relu, Add: 32 outputs each; ReduceSumTo: 32 inputs. 4 * 32.
  EXPECT_EQ(cost.flops, 128);
  // 8 * 4 + 8 * 4 + 3 * 8 bytes.
  EXPECT_EQ(cost.model_bytes, 88);
  // Activations of 128 B: x [0,0], h [0,1], r [1,2], y [2,3]; the output 32 B (64 aligned)
  // [3,4]. Two 128-byte values are live at each step: 256.
  EXPECT_EQ(cost.peak_activation_bytes, 256);
}

TEST(CostMetrics, PeakActivationScalesWithTheBatch) {
  ModelCost cost = cost_metrics(tiny_network(8));
  EXPECT_EQ(cost.parameters, 16);
  EXPECT_EQ(cost.flops, 256);
  EXPECT_EQ(cost.model_bytes, 88);
  EXPECT_EQ(cost.peak_activation_bytes, 512);
}

TEST(EvalStatus, Names) {
  EXPECT_EQ(status_name(EvalStatus::Ok), "ok");
  EXPECT_EQ(status_name(EvalStatus::Failed), "failed");
  EXPECT_EQ(status_name(EvalStatus::Diverged), "diverged");
  EXPECT_EQ(status_name(EvalStatus::TimedOut), "timed_out");
  EXPECT_EQ(status_name(EvalStatus::Infeasible), "infeasible");
  EXPECT_EQ(status_name(EvalStatus::Stopped), "stopped");
  for (EvalStatus s : {EvalStatus::Ok, EvalStatus::Failed, EvalStatus::Diverged,
                       EvalStatus::TimedOut, EvalStatus::Infeasible, EvalStatus::Stopped})
    EXPECT_EQ(parse_status(status_name(s)), s);
}

TEST(EvalStatus, RejectsUnknownName) {
  EXPECT_EQ(user_error_message([] { parse_status("crashed"); }),
            "unknown evaluation status 'crashed' (expected ok, failed, diverged, timed_out, "
            "infeasible or stopped)");
}

EvalResult full_result() {
  EvalResult r;
  r.status = EvalStatus::Ok;
  r.accuracy = 0.875;
  r.test_accuracy = 0.8625;
  r.loss_curve = {2.25, 1.5, 0.75};
  r.training_seconds = 12.5;
  r.step_ms = 3.25;
  r.peak_training_bytes = 1 << 20;
  r.training_compile_seconds = 0.5;
  r.latency["host"] = LatencyResult::from_stats(runtime::summarize({1, 2, 3, 10}), 4);
  r.latency["avx2"] = LatencyResult{.median_ms = 5,
                                    .min_ms = 4,
                                    .max_ms = 6,
                                    .p25_ms = 4.5,
                                    .p75_ms = 5.5,
                                    .repeats = 12,
                                    .threads = 1,
                                    .compile_seconds = 0.75};
  r.cost = cost_metrics(tiny_network(4));
  r.epoch_accuracy = {{1, 0.75}, {2, 0.8125}};
  return r;
}

TEST(EvalResult, JsonRoundTrip) {
  EvalResult r = full_result();
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j.at("status"), "ok");
  EXPECT_EQ(j.at("latency").at("host").at("median_ms"), 2.5);
  EXPECT_EQ(j.at("latency").at("host").at("threads"), 4);
  EXPECT_EQ(j.at("cost").at("peak_activation_bytes"), 256);

  // Through text, as the store keeps it.
  EvalResult back = EvalResult::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.status, r.status);
  EXPECT_EQ(back.reason, r.reason);
  EXPECT_EQ(back.accuracy, r.accuracy);
  EXPECT_EQ(back.test_accuracy, r.test_accuracy);
  EXPECT_EQ(back.loss_curve, r.loss_curve);
  EXPECT_EQ(back.training_seconds, r.training_seconds);
  EXPECT_EQ(back.step_ms, r.step_ms);
  EXPECT_EQ(back.peak_training_bytes, r.peak_training_bytes);
  EXPECT_EQ(back.training_compile_seconds, r.training_compile_seconds);
  EXPECT_EQ(back.latency, r.latency);
  EXPECT_EQ(back.cost, r.cost);
  EXPECT_EQ(back.epoch_accuracy, r.epoch_accuracy);
  EXPECT_EQ(back.to_json(), j);
  // Without early stopping a record has no epoch_accuracy; a bad key is named.
  r.epoch_accuracy.clear();
  EXPECT_FALSE(r.to_json().contains("epoch_accuracy"));
  j["epoch_accuracy"] = {{"two", 0.5}};
  EXPECT_EQ(user_error_message([&] { EvalResult::from_json(j); }),
            "malformed evaluation record: epoch_accuracy key 'two' is not an epoch count");
  EXPECT_EQ(back.latency.at("avx2").compile_seconds, 0.75);
}

TEST(EvalResult, LatencyWithoutCompileTimeReadsAsZero) {
  nlohmann::json j = LatencyResult{.median_ms = 5, .repeats = 3, .compile_seconds = 2}.to_json();
  j.erase("compile_seconds");  // a record written before compile times were kept
  EXPECT_EQ(LatencyResult::from_json(j).compile_seconds, 0);
  EXPECT_EQ(LatencyResult::from_json(j).median_ms, 5);
}

TEST(EvalResult, RecordWithoutTrainingMemoryReadsAsZero) {
  nlohmann::json j = full_result().to_json();
  j.erase("peak_training_bytes");  // written before the compiled trainer
  j.erase("training_compile_seconds");
  EXPECT_EQ(EvalResult::from_json(j).peak_training_bytes, 0);
  EXPECT_EQ(EvalResult::from_json(j).training_compile_seconds, 0);
}

TEST(EvalResult, FailureWithDivergedLossAndNoTestAccuracy) {
  EvalResult r;
  r.status = EvalStatus::Diverged;
  r.reason = "loss is NaN at epoch 2";
  r.loss_curve = {2.0, std::nan("")};
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j.at("status"), "diverged");
  EXPECT_TRUE(j.at("test_accuracy").is_null());
  EXPECT_TRUE(j.at("loss_curve").at(1).is_null());

  EvalResult back = EvalResult::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.status, EvalStatus::Diverged);
  EXPECT_EQ(back.reason, "loss is NaN at epoch 2");
  EXPECT_FALSE(back.test_accuracy.has_value());
  ASSERT_EQ(back.loss_curve.size(), 2u);
  EXPECT_EQ(back.loss_curve[0], 2.0);
  EXPECT_TRUE(std::isnan(back.loss_curve[1]));
  EXPECT_TRUE(back.latency.empty());
}

TEST(EvalResult, TimedOutStatusString) {
  EvalResult r;
  r.status = EvalStatus::TimedOut;
  EXPECT_EQ(r.to_json().at("status"), "timed_out");
  EXPECT_EQ(EvalResult::from_json(r.to_json()).status, EvalStatus::TimedOut);
}

TEST(EvalResult, MalformedRecordIsAUserError) {
  nlohmann::json j = full_result().to_json();
  j.erase("step_ms");
  EXPECT_THAT(user_error_message([&] { EvalResult::from_json(j); }),
              HasSubstr("malformed evaluation record"));
  EXPECT_THAT(user_error_message([&] { EvalResult::from_json(j); }), HasSubstr("step_ms"));

  j = full_result().to_json();
  j["status"] = "exploded";
  EXPECT_THAT(user_error_message([&] { EvalResult::from_json(j); }),
              HasSubstr("unknown evaluation status 'exploded'"));
}

}  // namespace
}  // namespace nas::evaluator
