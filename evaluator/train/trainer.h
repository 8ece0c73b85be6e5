// Brief training of a model for its accuracy: SGD with momentum or Adam, a learning-rate
// schedule with warm-up, batch norm in training mode with running statistics, evaluation
// in inference mode.
//
// Deterministic: the batch order and augmentation are pure functions of (seed, epoch), the
// kernels sum every element in the same order at any thread count, so the same seed, data
// and model give the same weights bit for bit. Multi-fidelity: train() continues from a
// TrainState (a checkpoint) up to a larger number of epochs; with the schedule's horizon
// fixed (schedule_epochs), 1 epoch then 2 more equals 3 epochs straight.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "evaluator/data/batches.h"
#include "evaluator/data/dataset.h"
#include "evaluator/measurement_gate.h"
#include "evaluator/train/lr_schedule.h"
#include "evaluator/train/optimizer.h"
#include "evaluator/train/training_step.h"
#include "evaluator/train/training_step.h"

namespace nas::evaluator {

struct TrainConfig {
  int64_t epochs = 1;           // train until this many epochs are done in total
  int64_t schedule_epochs = 0;  // the schedule's horizon in epochs; 0: `epochs`
  int64_t batch = 64;           // training batches are full (a last partial batch is dropped)
  double lr = 0.05;
  LrSchedule::Kind schedule = LrSchedule::Kind::Constant;
  double warmup_epochs = 0;
  double step_epochs = 0;       // step schedule: multiply by gamma every step_epochs
  double gamma = 0.1;
  double label_smoothing = 0;   // the share of each label spread evenly over the classes
  OptimizerConfig optimizer;
  Augmentation augmentation;
  uint64_t seed = 0;
  int threads = 1;
  // What runs the steps and the evaluation: the compiled step (for `target`, which must run
  // here) or the reference executor. Both give the same results up to fp32 rounding.
  TrainBackend backend = TrainBackend::Compiled;
  std::string target = "host";
  // The compiled step's schedule constants by kernel workload: a tuning records file's best
  // (tune::TuningRecords::best_params); empty: the default schedules.
  TunedParams tuned;
  double time_limit_seconds = 0;  // 0: no limit
  // Diverged: a loss that is not finite, or above this many times the first step's loss
  // (cross-entropy's gradient is bounded, so an exploding run can stay finite for long).
  double divergence_factor = 100;
  // Shared with latency measurements of other workers, if any (see measurement_gate.h).
  MeasurementGate* gate = nullptr;
  int64_t eval_batch = 500;
};

// Stopped: the caller's stop_after_epoch asked to stop before the last epoch.
enum class TrainStatus { Ok, Diverged, TimedOut, Stopped };
// "ok", "diverged", "timed_out", "stopped"
std::string_view train_status_name(TrainStatus status);

// Everything needed to continue training: a checkpoint.
struct TrainState {
  std::map<std::string, graph::Tensor> weights;  // every f32 constant of the model, by name
  OptimizerState optimizer;
  int64_t epochs_done = 0;
  int64_t steps_done = 0;
  std::vector<double> epoch_losses;  // mean training loss of each epoch done
};

struct EpochProgress {
  int64_t epoch = 0;  // 1-based, of config.epochs
  int64_t epochs = 0;
  double loss = 0;
  double lr = 0;
  double seconds = 0;  // since train() started
};

struct TrainReport {
  TrainStatus status = TrainStatus::Ok;
  std::string reason;  // why training stopped early
  TrainState state;
  double seconds = 0;
  double median_step_ms = 0;
  double setup_seconds = 0;         // compiling the step (0 for the reference)
  // The compiled step's memory (TrainingStep::peak_memory_bytes) and the optimizer's
  // state; 0 on the reference.
  int64_t peak_memory_bytes = 0;
};

// The target the compiled step runs on: config.target at config.threads.
target::Target training_target(const TrainConfig& config);

// The model's own weights as a starting state.
TrainState initial_state(const graph::Graph& model);

// After each epoch but the last, `stop_after_epoch` (when given) sees the state trained so
// far and returns why training should stop there, or "" to go on (early stopping).
using StopAfterEpoch = std::function<std::string(const TrainState&)>;

TrainReport train(const graph::Graph& model, const Dataset& data, const TrainConfig& config,
                  TrainState state,
                  const std::function<void(const EpochProgress&)>& on_epoch = {},
                  const StopAfterEpoch& stop_after_epoch = {});

// The model with the state's weights (names must match its constants).
graph::Graph with_weights(const graph::Graph& model, const TrainState& state);

// Top-1 accuracy of a model (inference mode) on a data set, at `batch` per run: compiled
// once for the host at that batch (a last smaller batch is padded), or on the reference.
// `gate`: compiling and each batch wait for other workers' latency measurements.
double evaluate_accuracy(const graph::Graph& model, const Dataset& data, int64_t batch,
                         int threads = 1, TrainBackend backend = TrainBackend::Compiled,
                         MeasurementGate* gate = nullptr);

// Checkpoints on disk. Errors name the file.
void save_checkpoint(const TrainState& state, const std::string& path);
TrainState load_checkpoint(const std::string& path);

}  // namespace nas::evaluator
