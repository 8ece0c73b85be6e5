// Early stopping's rule on hand-built records: the largest gain seen bounds a curve, and a
// trial is stopped only when a feasible trial of an earlier batch beats that bound at no
// more cost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/early_stopping.h"

namespace nas::search {
namespace {

using ::testing::HasSubstr;

space::SearchSpace toy_space() {
  return space::SearchSpace("toy", {{"width", {"4", "8", "16"}, {4, 8, 16}, true},
                                    {"act", {"relu", "hswish"}, {}, false}});
}

const std::vector<ObjectiveSpec> kObjectives = {{"accuracy", true}, {"latency:host", false}};
const std::vector<ConstraintSpec> kConstraints = {{"latency:host", 1.0}};

// A trial trained to 3 epochs with the accuracy after epoch 2 measured.
TrialRecord finished(int64_t id, double at_two, double at_three, double latency_ms) {
  TrialRecord r;
  r.id = id;
  r.arch = "4,relu";
  r.fidelity = 3;
  r.result.accuracy = at_three;
  r.result.epoch_accuracy = {{2, at_two}};
  r.result.latency["host"].median_ms = latency_ms;
  return r;
}

evaluator::EvalResult costing(double latency_ms) {
  evaluator::EvalResult r;
  r.latency["host"].median_ms = latency_ms;
  return r;
}

TEST(EarlyStopping, StopsWhatTheLargestGainCannotLiftOntoTheFront) {
  // Gains from epoch 2 to 3: 0.02, 0.05, 0.01.
  const std::vector<TrialRecord> records = {finished(0, 0.80, 0.82, 0.5),
                                            finished(1, 0.85, 0.90, 0.3),
                                            finished(2, 0.70, 0.71, 0.2)};
  const auto rule = EarlyStopping::from_records(records, 3, toy_space(), kObjectives,
                                                kConstraints);
  ASSERT_TRUE(rule);
  // 0.80 + 0.05 = 0.85 < trial 1's 0.90 at 0.3 ms <= 0.4 ms: stopped.
  EXPECT_EQ(rule->why_stop(2, 0.80, costing(0.4)),
            "stopped after epoch 2 of 3: accuracy 0.8000 can reach at most 0.8500 (the "
            "largest gain from epoch 2 to 3 of 3 earlier trials, 0.0500); trial 1 reached "
            "0.9000 at no more cost");
  // Faster than every trial that beats its bound: it may still reach the front.
  EXPECT_EQ(rule->why_stop(2, 0.80, costing(0.25)), "");
  // Its bound beats every trial at no more cost.
  EXPECT_EQ(rule->why_stop(2, 0.86, costing(0.4)), "");
  // Dominated by trial 2 only at a lower accuracy: 0.60 + 0.05 < 0.71 at 0.2 ms.
  EXPECT_THAT(rule->why_stop(2, 0.60, costing(0.25)), HasSubstr("trial 2 reached 0.7100"));
  // Epochs with no curves are never judged.
  EXPECT_EQ(rule->why_stop(1, 0.10, costing(0.9)), "");
}

TEST(EarlyStopping, NeedsCurvesFeasibleRivalsAndCostObjectives) {
  std::vector<TrialRecord> records = {finished(0, 0.80, 0.82, 0.5),
                                      finished(1, 0.85, 0.90, 0.3)};
  auto rule = [&](const std::vector<ObjectiveSpec>& objectives = kObjectives) {
    return EarlyStopping::from_records(records, 3, toy_space(), objectives, kConstraints);
  };
  EXPECT_EQ(rule()->why_stop(2, 0.5, costing(0.4)), "");  // 2 curves: too few to judge
  records.push_back(finished(2, 0.70, 0.71, 0.2));
  EXPECT_NE(rule()->why_stop(2, 0.5, costing(0.4)), "");

  // Curves of another fidelity, or of trials that did not finish it, do not count.
  std::vector<TrialRecord> others = records;
  others[0].fidelity = 9;
  others[1].result.status = evaluator::EvalStatus::Stopped;
  EXPECT_EQ(EarlyStopping::from_records(others, 3, toy_space(), kObjectives, kConstraints)
                ->why_stop(2, 0.5, costing(0.4)),
            "");

  // An infeasible trial is no rival: with trial 1 (0.90) over the latency limit, the most
  // accurate trial that dominates is trial 0.
  EXPECT_THAT(rule()->why_stop(2, 0.5, costing(1.6)), HasSubstr("trial 1 reached 0.9000"));
  records[1].result.latency["host"].median_ms = 1.5;
  EXPECT_THAT(rule()->why_stop(2, 0.5, costing(1.6)), HasSubstr("trial 0 reached 0.8200"));

  // Objectives that training measures other than accuracy, or no accuracy: no rule.
  EXPECT_FALSE(rule({{"accuracy", true}, {"step_ms", false}}));
  EXPECT_FALSE(rule({{"latency:host", false}, {"params", false}}));
  EXPECT_TRUE(rule({{"accuracy", true}}));
}

}  // namespace
}  // namespace nas::search
