// The trainer, optimizers and schedules: learning on synthetic data, determinism at any
// thread count, divergence, the time limit, resuming to a larger budget, checkpoints.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "evaluator/data/synthetic.h"
#include "evaluator/train/trainer.h"
#include "tests/evaluator/tiny_model.h"
#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using namespace graph;
using ::testing::HasSubstr;
using nas::testing::user_error_message;

TrainConfig quick_config() {
  TrainConfig c;
  c.epochs = 3;
  c.batch = 16;
  c.lr = 0.05;
  c.seed = 7;
  return c;
}

// quick_config() on a cosine schedule over 3 epochs, however many it trains.
TrainConfig cosine_config() {
  TrainConfig c = quick_config();
  c.schedule = LrSchedule::Kind::Cosine;
  c.schedule_epochs = 3;
  return c;
}

bool same_weights(const TrainState& a, const TrainState& b) {
  if (a.weights.size() != b.weights.size()) return false;
  for (const auto& [name, t] : a.weights)
    if (!(b.weights.at(name) == t)) return false;
  return true;
}

// Evaluation compiles the model once at the evaluation batch and pads a last smaller
// batch: the accuracy of the reference (up to one sample whose two top logits are within
// rounding of each other on some CPU).
TEST(Trainer, CompiledEvaluationCountsAsTheReference) {
  const Graph model = tiny_model(4, 3);
  const Dataset data = synthetic(150, 2);  // batches of 64, 64 and 22
  for (int64_t batch : {64, 150, 500})
    EXPECT_NEAR(evaluate_accuracy(model, data, batch, 2, TrainBackend::Compiled),
                evaluate_accuracy(model, data, batch, 1, TrainBackend::Reference), 1.5 / 150)
        << batch;
}

// The compiled step asks config.tuned for each kernel's constants (tuning records), and
// what it gets changes schedules, not results.
TEST(Trainer, TheCompiledStepTakesTunedConstants) {
  const Graph model = tiny_model(4, 3);
  const Dataset data = synthetic(64, 2);
  TrainConfig config = quick_config();
  config.epochs = 1;
  const TrainReport plain = train(model, data, config, initial_state(model));
  int asked = 0;
  config.tuned = [&](uint64_t) -> std::optional<target::ScheduleParams> {
    ++asked;
    target::ScheduleParams params = training_target(config).schedule;
    params.min_parallel_work = 0;
    params.dense_vectors = 1;
    return params;
  };
  const TrainReport tuned = train(model, data, config, initial_state(model));
  EXPECT_GT(asked, 3);
  const std::vector<double>& a = plain.state.epoch_losses;
  const std::vector<double>& b = tuned.state.epoch_losses;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * (1 + std::abs(a[i])));
}

TEST(Trainer, LossFallsAndAccuracyBeatsChance) {
  const Graph model = tiny_model(4, 1);
  // One draw, split in two, so both halves share the class prototypes.
  const Dataset all = synthetic(520, 1);
  std::vector<int64_t> first(320), rest(200);
  std::iota(first.begin(), first.end(), 0);
  std::iota(rest.begin(), rest.end(), 320);
  const Dataset train_set = select(all, first), val = select(all, rest);
  const double before = evaluate_accuracy(model, val, 64);
  std::vector<EpochProgress> epochs;
  TrainReport r = train(model, train_set, quick_config(), initial_state(model),
                        [&](const EpochProgress& p) { epochs.push_back(p); });
  ASSERT_EQ(r.status, TrainStatus::Ok) << r.reason;
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_LT(r.state.epoch_losses.back(), 0.5 * r.state.epoch_losses.front());
  const double after = evaluate_accuracy(with_weights(model, r.state), val, 64);
  EXPECT_GT(after, 0.8) << "accuracy before training " << before;
  EXPECT_EQ(r.state.steps_done, 3 * (320 / 16));
  EXPECT_GT(r.median_step_ms, 0);
  // Running statistics moved away from their initial values.
  EXPECT_NE(r.state.weights.at("bn.mean"), Tensor::f32({8}, std::vector<float>(8, 0)));
}

TEST(Trainer, SameSeedSameWeightsAtAnyThreadCount) {
  const Graph model = tiny_model(4, 1);
  const Dataset data = synthetic(96, 1);
  TrainConfig c = quick_config();
  c.augmentation = {.crop_padding = 1, .horizontal_flip = true};
  c.optimizer.weight_decay = 1e-4;
  TrainReport one = train(model, data, c, initial_state(model));
  c.threads = 2;
  TrainReport two = train(model, data, c, initial_state(model));
  EXPECT_TRUE(same_weights(one.state, two.state));
  c.seed = 8;
  TrainReport other = train(model, data, c, initial_state(model));
  EXPECT_FALSE(same_weights(one.state, other.state));
}

TEST(Trainer, ResumingToALargerBudgetEqualsTrainingStraight) {
  const Graph model = tiny_model(4, 3);
  const Dataset data = synthetic(64, 1);
  TrainConfig c = cosine_config();
  c.warmup_epochs = 1;
  TrainReport straight = train(model, data, c, initial_state(model));
  c.epochs = 1;
  TrainReport first = train(model, data, c, initial_state(model));
  const std::string path = (nas::testing::test_temp_dir() / "resume.ckpt").string();
  save_checkpoint(first.state, path);
  c.epochs = 3;
  TrainReport resumed = train(model, data, c, load_checkpoint(path));
  EXPECT_TRUE(same_weights(straight.state, resumed.state));
  EXPECT_EQ(resumed.state.epoch_losses, straight.state.epoch_losses);
  EXPECT_EQ(resumed.state.steps_done, straight.state.steps_done);
}

// Early stopping: asked after each epoch but the last, with the weights trained so far; a
// reason stops training there, with the state training that far straight gives.
TEST(Trainer, StopsAfterAnEpochWhenAsked) {
  const Graph model = tiny_model(4, 3);
  const Dataset data = synthetic(64, 1);
  TrainConfig c = cosine_config();
  std::vector<int64_t> asked;
  TrainReport through = train(model, data, c, initial_state(model), {},
                              [&](const TrainState& s) {
                                asked.push_back(s.epochs_done);
                                EXPECT_EQ(s.weights.size(), initial_state(model).weights.size());
                                return std::string();
                              });
  EXPECT_EQ(through.status, TrainStatus::Ok);
  EXPECT_EQ(asked, (std::vector<int64_t>{1, 2}));  // never after the last epoch
  EXPECT_TRUE(same_weights(through.state, train(model, data, c, initial_state(model)).state));

  TrainState seen;
  TrainReport stopped = train(model, data, c, initial_state(model), {},
                              [&](const TrainState& s) {
                                seen = s;
                                return std::string(s.epochs_done == 2 ? "enough" : "");
                              });
  EXPECT_EQ(stopped.status, TrainStatus::Stopped);
  EXPECT_EQ(stopped.reason, "enough");
  EXPECT_EQ(stopped.state.epochs_done, 2);
  c.epochs = 2;
  const TrainReport two = train(model, data, c, initial_state(model));
  EXPECT_TRUE(same_weights(stopped.state, two.state));
  EXPECT_TRUE(same_weights(seen, two.state));
  EXPECT_EQ(train_status_name(TrainStatus::Stopped), "stopped");
}

TEST(Trainer, DivergenceStopsEarly) {
  const Graph model = tiny_model(4, 1);
  TrainConfig c = quick_config();
  c.lr = 1e30;
  TrainReport r = train(model, synthetic(64, 1), c, initial_state(model));
  EXPECT_EQ(r.status, TrainStatus::Diverged);
  EXPECT_THAT(r.reason, HasSubstr("loss became"));
  EXPECT_LT(r.state.steps_done, 3 * 4);
}

TEST(Trainer, HonoursTheTimeLimit) {
  const Graph model = tiny_model(4, 1);
  TrainConfig c = quick_config();
  c.time_limit_seconds = 1e-9;
  TrainReport r = train(model, synthetic(64, 1), c, initial_state(model));
  EXPECT_EQ(r.status, TrainStatus::TimedOut);
  EXPECT_EQ(r.state.steps_done, 1);
  EXPECT_THAT(r.reason, HasSubstr("time limit"));
}

TEST(Trainer, RejectsBadInputs) {
  const Graph model = tiny_model(4, 1);
  TrainConfig c = quick_config();
  c.batch = 100;
  EXPECT_EQ(user_error_message([&] { train(model, synthetic(64, 1), c, initial_state(model)); }),
            "the training set has 64 samples, fewer than one batch of 100");
  TrainState wrong = initial_state(model);
  wrong.weights["nope"] = Tensor::f32({1}, {0});
  EXPECT_EQ(user_error_message([&] { with_weights(model, wrong); }),
            "checkpoint weight 'nope' is not a constant of model 'tiny'");
}

TEST(Checkpoint, ReportsBadFiles) {
  const std::string dir = nas::testing::test_temp_dir().string();
  EXPECT_EQ(user_error_message([&] { load_checkpoint(dir + "/missing.ckpt"); }),
            dir + "/missing.ckpt: cannot open checkpoint");
  std::ofstream(dir + "/garbage.ckpt") << "definitely not a checkpoint";
  EXPECT_EQ(user_error_message([&] { load_checkpoint(dir + "/garbage.ckpt"); }),
            dir + "/garbage.ckpt: not a nas checkpoint");
  const Graph model = tiny_model(4, 1);
  save_checkpoint(initial_state(model), dir + "/whole.ckpt");
  std::filesystem::resize_file(dir + "/whole.ckpt", std::filesystem::file_size(dir + "/whole.ckpt") - 8);
  EXPECT_EQ(user_error_message([&] { load_checkpoint(dir + "/whole.ckpt"); }),
            dir + "/whole.ckpt: truncated checkpoint");
}

TEST(Optimizer, SgdMatchesHandComputedSteps) {
  Optimizer sgd({.kind = OptimizerConfig::Kind::Sgd, .momentum = 0.9, .weight_decay = 0.01});
  Tensor w = Tensor::f32({1}, {1.0f});
  const Tensor g = Tensor::f32({1}, {0.5f});
  sgd.step({&w}, {&g}, 0.1);  // d = 0.5 + 0.01 = 0.51; v = 0.51; w = 1 - 0.051
  EXPECT_NEAR(w.at(0), 0.949, 1e-6);
  sgd.step({&w}, {&g}, 0.1);  // d = 0.50949; v = 0.459 + 0.50949 = 0.96849; w -= 0.096849
  EXPECT_NEAR(w.at(0), 0.852151, 1e-6);
}

TEST(Optimizer, AdamFirstStepMovesByTheLearningRate) {
  Optimizer adam({.kind = OptimizerConfig::Kind::Adam});
  Tensor w = Tensor::f32({2}, {1.0f, 1.0f});
  const Tensor g = Tensor::f32({2}, {0.3f, -2.0f});
  adam.step({&w}, {&g}, 0.01);  // bias-corrected m/sqrt(v) = sign(g)
  EXPECT_NEAR(w.at(0), 0.99, 1e-6);
  EXPECT_NEAR(w.at(1), 1.01, 1e-6);
  EXPECT_EQ(adam.state().steps, 1);
}

TEST(LrSchedule, WarmupCosineAndStep) {
  LrSchedule cosine{.kind = LrSchedule::Kind::Cosine, .base_lr = 1.0, .warmup_steps = 2,
                    .total_steps = 12};
  EXPECT_DOUBLE_EQ(cosine.at(0), 0.5);
  EXPECT_DOUBLE_EQ(cosine.at(1), 1.0);
  EXPECT_DOUBLE_EQ(cosine.at(2), 1.0);
  EXPECT_NEAR(cosine.at(7), 0.5, 1e-12);  // halfway through the 10 cosine steps
  EXPECT_NEAR(cosine.at(12), 0.0, 1e-12);
  LrSchedule step{.kind = LrSchedule::Kind::Step, .base_lr = 1.0, .step_every = 3, .gamma = 0.5};
  EXPECT_DOUBLE_EQ(step.at(2), 1.0);
  EXPECT_DOUBLE_EQ(step.at(3), 0.5);
  EXPECT_DOUBLE_EQ(step.at(7), 0.25);
  EXPECT_EQ(user_error_message([] { parse_lr_schedule_kind("linear"); }),
            "unknown learning-rate schedule 'linear' (expected constant, cosine or step)");
}

}  // namespace
}  // namespace nas::evaluator
