#include "evaluator/evaluate.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "compiler/graph/rebuild.h"
#include "compiler/graph/verifier.h"
#include "compiler/compile.h"
#include "compiler/runtime/model_inputs.h"
#include "compiler/support/error.h"
#include "compiler/target/target.h"
#include "compiler/tune/in_model.h"
#include "compiler/tune/tuner.h"

namespace nas::evaluator {

using namespace graph;

target::Target latency_compile_target(const LatencyTarget& target) {
  target::Target compile = target::parse_target(target.name);
  if (target.threads) compile.threads = std::max(1, *target.threads);
  return compile;
}

std::filesystem::path tuning_records_file(const std::filesystem::path& dir,
                                          const target::Target& target) {
  std::string name = fmt::format("{}-{}-{}t", target.name, target.cpu, target.threads);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return dir / (name + ".sqlite");
}

std::filesystem::path default_tuning_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "nas" / "tuning";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "nas" / "tuning";
  return ".nas-tuning";
}

namespace {

// The model's compiled code timed on seeded inputs, alone on the machine (with a gate).
runtime::TimingStats time_compiled(runtime::CompiledModel& compiled, const Graph& model,
                                   const runtime::TimingProtocol& protocol,
                                   MeasurementGate* gate) {
  const std::vector<Tensor> inputs = runtime::seeded_inputs(model);
  std::vector<Tensor> outputs;
  for (ValueId v : model.outputs()) outputs.emplace_back(model.type(v));
  std::vector<const Tensor*> in;
  std::vector<Tensor*> out;
  for (const Tensor& t : inputs) in.push_back(&t);
  for (Tensor& t : outputs) out.push_back(&t);
  MeasurementGate::Measurement alone(gate);
  return runtime::measure([&] { compiled.run(in, out); }, protocol);
}

std::unique_ptr<runtime::CompiledModel> compile_stepping(const Graph& model,
                                                         const compiler::CompileOptions& options,
                                                         MeasurementGate* gate) {
  // Compiling uses the CPUs as a training step does: it waits for other workers'
  // measurements, and theirs wait for it.
  MeasurementGate::Step compiling(gate);
  return compiler::compile_model(model, options);
}

// The best schedules that the experiment's tuning records hold for the training step's
// target (its kernels tuned into that file, e.g. by `train_step_bench MODEL --records FILE
// --tune N`); nothing where the search does not tune or the file does not exist.
TunedParams tuned_training(const EvaluationConfig& config) {
  if (config.tuning.trials <= 0 || config.train.backend != TrainBackend::Compiled) return {};
  const target::Target target = training_target(config.train);
  const std::filesystem::path file = tuning_records_file(config.tuning.records_dir, target);
  if (!std::filesystem::exists(file)) return {};
  return tune::TuningRecords(file).best_params(target);
}

}  // namespace

LatencyResult measure_latency(const Graph& model, const LatencyTarget& target,
                             const runtime::TimingProtocol& protocol, MeasurementGate* gate,
                             bool require_repeatable, const LatencyTuning& tuning) {
  compiler::CompileOptions options;
  options.target = latency_compile_target(target);
  const Graph single = with_batch_size(model, 1);
  std::unique_ptr<runtime::CompiledModel> compiled = compile_stepping(single, options, gate);
  double compile_seconds = compiled->compile_seconds(), untuned_ms = 0, tune_seconds = 0;
  if (tuning.trials > 0) {
    const auto start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(tuning.records_dir);
    tune::TuningRecords records(tuning_records_file(tuning.records_dir, options.target));
    // The target's constants fitted to these records (if any) are the new workloads' base.
    options.target.schedule = records.fitted_schedule(options.target);
    {
      // Tuning measures kernels: alone on the machine, as a latency.
      MeasurementGate::Measurement alone(gate);
      tune::Tuner tuner(records, options.target,
                        {.trials = tuning.trials, .batch = std::min(tuning.trials, 4),
                         .early_stopping = tuning.trials});
      tuner.tune_model(single, options);
    }
    auto seconds_since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    tune_seconds = seconds_since(start);
    options.lowering.tuned_params = records.best_params(options.target);
    options.lowering.winograd_direct = records.direct_convolutions(options.target);
    std::unique_ptr<runtime::CompiledModel> tuned = compile_stepping(single, options, gate);
    compile_seconds += tuned->compile_seconds();
    // The defaults a tuned schedule falls back to: `compiled`, unless the records' fitted
    // constants or choices of convolution algorithm change them.
    std::unique_ptr<runtime::CompiledModel> fitted;
    if (options.target.schedule != latency_compile_target(target).schedule ||
        !tune::same_kernels(*compiled, *tuned)) {
      compiler::CompileOptions defaults = options;
      defaults.lowering.tuned_params = nullptr;
      fitted = compile_stepping(single, defaults, gate);
      compile_seconds += fitted->compile_seconds();
    }
    bool lost_in_model = false;
    {
      // The tuned schedules that lose to the defaults inside the model are set back.
      const auto check_start = std::chrono::steady_clock::now();
      MeasurementGate::Measurement alone(gate);
      runtime::CompiledModel& defaults = fitted ? *fitted : *compiled;
      lost_in_model = tune::check_in_model(single, defaults, *tuned, records).rejected() > 0;
      tune_seconds += seconds_since(check_start);
    }
    if (lost_in_model) {
      options.lowering.tuned_params = records.best_params(options.target);
      tuned = compile_stepping(single, options, gate);
      compile_seconds += tuned->compile_seconds();
    }
    // The untuned latency timed right before the tuned one, so that both find the machine
    // alike (timed before tuning, seconds earlier, they differed by up to 1.4x on a shared
    // VM where alternated runs of the two models agreed within 2%).
    untuned_ms = time_compiled(*compiled, single, protocol, gate).median_ms;
    compiled = std::move(tuned);
  }
  const runtime::TimingStats stats = time_compiled(*compiled, single, protocol, gate);
  // A latency that moves from one measurement to the next cannot rank candidates.
  if (require_repeatable && !runtime::repeatable(stats, protocol))
    user_error("latency on {} not repeatable: in each of {} measurements its {} timing rounds "
               "spread more than timing.max_spread ({:g}%) or the machine ran more than "
               "timing.max_slowdown ({:g}%) slower than its quiet speed (at best {:.1f}% and "
               "{:.1f}%); is the machine busy?",
               target.name, stats.attempts, protocol.rounds, protocol.max_spread * 100,
               protocol.slowdown_limit() * 100, stats.spread * 100, (stats.slowdown - 1) * 100);
  LatencyResult result = LatencyResult::from_stats(stats, options.target.threads, compile_seconds);
  result.untuned_median_ms = untuned_ms;
  result.tune_seconds = tune_seconds;
  return result;
}

EvalResult evaluate_candidate(const Graph& model, const DataSplits& data,
                              const EvaluationConfig& config, TrainState* state) {
  EvalResult result;
  try {
    verify_or_throw(model);
    result.cost = cost_metrics(with_batch_size(model, 1));
    for (const LatencyTarget& target : config.targets) {
      const auto known = config.known_latency.find(target.name);
      result.latency[target.name] =
          known != config.known_latency.end()
              ? known->second
              : measure_latency(model, target, config.timing, config.gate,
                                config.require_repeatable_latency, config.tuning);
    }
    if (config.broken_constraint) {
      result.reason = config.broken_constraint(result);
      if (!result.reason.empty()) {
        result.status = EvalStatus::Infeasible;
        return result;
      }
    }

    TrainState start = state ? std::move(*state) : initial_state(model);
    TrainConfig train_config = config.train;
    train_config.gate = config.gate;
    train_config.tuned = tuned_training(config);
    StopAfterEpoch stop;
    if (config.early_stop && data.validation.n > 0)
      stop = [&](const TrainState& trained) {
        const double accuracy =
            evaluate_accuracy(with_weights(model, trained), data.validation,
                              config.train.eval_batch, config.train.threads,
                              config.train.backend, config.gate);
        result.epoch_accuracy[trained.epochs_done] = accuracy;
        return config.early_stop(trained.epochs_done, accuracy, result);
      };
    TrainReport report =
        train(model, data.train, train_config, std::move(start), config.on_epoch, stop);
    result.loss_curve = report.state.epoch_losses;
    result.training_seconds = report.seconds;
    result.step_ms = report.median_step_ms;
    result.peak_training_bytes = report.peak_memory_bytes;
    result.training_compile_seconds = report.setup_seconds;
    if (report.status == TrainStatus::Stopped) {
      result.status = EvalStatus::Stopped;
      result.reason = report.reason;
      result.accuracy = result.epoch_accuracy.at(report.state.epochs_done);
    } else if (report.status != TrainStatus::Ok) {
      result.status =
          report.status == TrainStatus::Diverged ? EvalStatus::Diverged : EvalStatus::TimedOut;
      result.reason = report.reason;
      if (result.status == EvalStatus::Diverged) result.loss_curve.push_back(std::nan(""));
    }
    const Graph trained = with_weights(model, report.state);
    if (result.status == EvalStatus::Ok) {
      if (data.validation.n > 0)
        result.accuracy = evaluate_accuracy(trained, data.validation, config.train.eval_batch,
                                            config.train.threads, config.train.backend,
                                            config.gate);
      if (config.test_accuracy)
        result.test_accuracy = evaluate_accuracy(trained, data.test, config.train.eval_batch,
                                                 config.train.threads, config.train.backend,
                                                 config.gate);
    }
    if (state) *state = std::move(report.state);
  } catch (const std::exception& e) {
    result.status = EvalStatus::Failed;
    result.reason = e.what();
  }
  return result;
}

}  // namespace nas::evaluator
