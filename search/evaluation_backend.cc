#include "search/evaluation_backend.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include "compiler/support/task_order.h"

namespace nas::search {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class LocalBackend : public EvaluationBackend {
 public:
  LocalBackend(const ExperimentConfig& config, const space::SearchSpace& space,
               const evaluator::DataSplits& data)
      : workers_(std::max(1, config.workers)), space_(space), data_(data),
        // Workers share the machine: latency is measured while no other worker trains.
        eval_(evaluation_config(config, workers_ > 1 ? &gate_ : nullptr)) {}

  void evaluate(const std::vector<TrialRecord*>& trials,
                const std::function<void(const TrialRecord&)>& done) override {
    std::mutex mutex;
    tbb::task_arena arena(workers_);
    TaskOrder order;
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<size_t>(0, trials.size(), 1),
          order.task([&](const tbb::blocked_range<size_t>& range) {
            for (size_t k = range.begin(); k != range.end(); ++k) {
              evaluate_trial(*trials[k], space_, data_, eval_);
              std::lock_guard lock(mutex);
              done(*trials[k]);
            }
          }),
          tbb::simple_partitioner());
    });
  }

 private:
  int workers_;
  const space::SearchSpace& space_;
  const evaluator::DataSplits& data_;
  evaluator::MeasurementGate gate_;
  evaluator::EvaluationConfig eval_;
};

}  // namespace

evaluator::EvaluationConfig evaluation_config(const ExperimentConfig& config,
                                              evaluator::MeasurementGate* gate) {
  evaluator::EvaluationConfig eval;
  eval.train = config.training.train_config(config.seed, config.threads_per_worker);
  // Every fidelity follows the schedule of the highest, so a promoted trial continues from
  // its checkpoint with the weights training from scratch would give.
  if (config.fidelity.epochs.size() > 1) eval.train.schedule_epochs = config.fidelity.epochs.back();
  eval.targets.clear();
  for (const TargetConfig& t : config.targets) eval.targets.push_back({t.name, t.threads});
  eval.timing = config.timing;
  eval.tuning = config.tuning;
  eval.require_repeatable_latency = true;  // candidates are ranked on their latency
  // Training a candidate that breaks a hard constraint tells no strategy anything it can use
  // (constraint-domination ranks it by its violation alone), and the slow, large candidates
  // that break a latency limit are the costliest to train.
  eval.broken_constraint = [constraints = config.constraints()](const evaluator::EvalResult& r) {
    return broken_constraint(r, constraints);
  };
  eval.gate = gate;
  return eval;
}

void evaluate_trial(TrialRecord& trial, const space::SearchSpace& space,
                    const evaluator::DataSplits& data, const evaluator::EvaluationConfig& base) {
  const double begin = now_seconds();
  try {
    evaluator::EvaluationConfig eval = base;
    eval.train.epochs = trial.fidelity;
    eval.train.seed = trial.seed;
    eval.early_stop = trial.stop_early;
    eval.known_latency = trial.known_latency;
    const graph::Graph model = space.decode(space.parse(trial.arch));
    evaluator::TrainState state =
        trial.start ? *trial.start : evaluator::initial_state(model);
    trial.result = evaluator::evaluate_candidate(model, data, eval, &state);
    if (trial.keep_checkpoint && trial.result.status == evaluator::EvalStatus::Ok)
      trial.checkpoint = std::make_shared<const evaluator::TrainState>(std::move(state));
  } catch (const std::exception& e) {
    trial.result = evaluator::EvalResult{};
    trial.result.status = evaluator::EvalStatus::Failed;
    trial.result.reason = e.what();
  }
  trial.seconds = now_seconds() - begin;
}

std::unique_ptr<EvaluationBackend> make_local_backend(const ExperimentConfig& config,
                                                      const space::SearchSpace& space,
                                                      const evaluator::DataSplits& data) {
  return std::make_unique<LocalBackend>(config, space, data);
}

}  // namespace nas::search
