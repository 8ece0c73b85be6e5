// `nas tune MODEL.onnx --target T --trials N --records FILE`: tunes the schedule of each
// distinct kernel of the model on this machine (compiler/tune/tuner.h) and adds every
// measurement to the records, which `nas bench/compile/run --records FILE` and the search
// read. A progress line per workload on stderr (trial, best GFLOP/s so far, ETA), then a
// table per workload: default and tuned time, speed-up, GFLOP/s; or one JSON object with
// --json. A workload the records hold `trials` measurements of is not measured again.
// Several models are tuned one after the other into the same records. With --fit-target
// FILE, the target's schedule constants are then fitted to the records of every workload
// of the models (compiler/tune/fit_params.h), kept in the records (where `--records` reads
// them as the target's defaults) and written as a target file. Last, inside each model
// (compiler/tune/in_model.h): each 3x3 convolution is timed by Winograd's algorithm and
// direct, and the faster kept in the records; then the model runs with its tuned and its
// default schedules in turn, and the tuned schedules slower there are set back.
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/support/atomic_file.h"
#include "compiler/tune/fit_params.h"
#include "compiler/tune/in_model.h"
#include "compiler/tune/tuner.h"
#include "search/cli/commands.h"
#include "search/cli/compile_options.h"

namespace nas::cli {

namespace {

struct TuneArgs {
  std::vector<std::string> models;
  std::string fit_target;
  std::vector<std::string> shapes;
  TargetArgs target;
  tune::TuneOptions tuning;
  bool random = false;
  bool cold = false;
  bool json = false;
  int in_model_runs = 15;
};

double gflops(int64_t work, double ms) { return ms > 0 ? 2.0 * static_cast<double>(work) / ms / 1e6 : 0; }

void tune_one(const TuneArgs& args, const std::string& model_path, tune::Tuner& tuner,
              const compiler::CompileOptions& options, const graph::Graph& model);
void fit_target(const TuneArgs& args, const std::vector<graph::Graph>& models, tune::Tuner& tuner,
                tune::TuningRecords& records, const compiler::CompileOptions& options);
void check_one_in_model(const TuneArgs& args, const std::string& model_path,
                        const graph::Graph& model, tune::TuningRecords& records,
                        const compiler::CompileOptions& options);

void run_tune(const TuneArgs& args) {
  if (args.target.records.empty()) user_error("--records FILE is required (where the measurements go)");
  if (args.models.size() > 1 && !args.shapes.empty())
    user_error("--shape names the inputs of one model; {} models were given", args.models.size());
  if (!args.fit_target.empty()) check_destination(args.fit_target);
  TargetArgs target_args = args.target;
  target_args.records.clear();  // tune from the default schedules
  const compiler::CompileOptions options = compile_options(target_args);
  require_runnable(options.target);
  std::vector<graph::Graph> models;
  for (const std::string& path : args.models) models.push_back(import_with_shapes(path, args.shapes));
  tune::TuningRecords records(args.target.records);
  tune::TuneOptions tuning = args.tuning;
  tuning.use_model = !args.random;
  tuning.cold_caches = args.cold;
  tune::Tuner tuner(records, options.target, tuning);
  for (size_t m = 0; m < models.size(); ++m)
    tune_one(args, args.models[m], tuner, options, models[m]);
  if (!args.fit_target.empty()) fit_target(args, models, tuner, records, options);
  if (args.in_model_runs > 0)
    for (size_t m = 0; m < models.size(); ++m)
      check_one_in_model(args, args.models[m], models[m], records, options);
}

// Inside the model: each 3x3 convolution by Winograd's algorithm or direct, whichever is
// faster there; then the tuned schedules that lose to the defaults are set back.
void check_one_in_model(const TuneArgs& args, const std::string& model_path,
                        const graph::Graph& model, tune::TuningRecords& records,
                        const compiler::CompileOptions& options) {
  const tune::InModelOptions runs{.runs = args.in_model_runs};
  compiler::CompileOptions defaults = options;
  defaults.target.schedule = records.fitted_schedule(options.target);
  compiler::CompileOptions tuned = defaults;
  tuned.lowering.tuned_params = records.best_params(defaults.target);
  tuned.lowering.winograd_direct = records.direct_convolutions(defaults.target);
  const tune::WinogradCheck algorithms =
      tune::choose_winograd_in_model(model, tuned, records, runs);
  if (!algorithms.timings.empty())
    std::cerr << fmt::format(
        "{}: {} 3x3 convolution(s) timed in the model both ways ({} runs): {} faster by "
        "Winograd's algorithm, {} direct\n",
        model_path, algorithms.timings.size(), algorithms.runs,
        algorithms.timings.size() - static_cast<size_t>(algorithms.direct()), algorithms.direct());

  defaults.lowering.winograd_direct = tuned.lowering.winograd_direct =
      records.direct_convolutions(defaults.target);
  const auto default_model = compiler::compile_model(model, defaults);
  const auto tuned_model = compiler::compile_model(model, tuned);
  const tune::InModelCheck check =
      tune::check_in_model(model, *default_model, *tuned_model, records, runs);
  if (check.timings.empty()) return;
  double default_ms = 0, tuned_ms = 0;
  for (const tune::InModelTiming& t : check.timings) {
    default_ms += t.default_ms;
    tuned_ms += t.tuned_ms;
  }
  std::cerr << fmt::format(
      "{}: {} tuned workload(s) timed in the model ({} runs): {} kept, {} set back to the "
      "default (their kernels there: default {:.4f} ms, tuned {:.4f} ms)\n",
      model_path, check.timings.size(), check.runs, check.kept(), check.rejected(), default_ms,
      tuned_ms);
}

void fit_target(const TuneArgs& args, const std::vector<graph::Graph>& models, tune::Tuner& tuner,
                tune::TuningRecords& records, const compiler::CompileOptions& options) {
  std::vector<tune::ModelWorkload> workloads;
  for (const graph::Graph& model : models)
    for (tune::ModelWorkload& w : tune::model_workloads(model, options))
      workloads.push_back(std::move(w));
  tune::FitOptions fit_options;
  fit_options.measure = [&](const tune::ModelWorkload& w, const target::ScheduleParams& params) {
    return tuner.measure(w.group, w.kernel, params);
  };
  const tune::FittedParams fit =
      tune::fit_schedule_params(workloads, records, options.target, fit_options);
  nlohmann::json changed = nlohmann::json::object();
  const nlohmann::json defaults = options.target.schedule.to_json();
  const nlohmann::json fitted = fit.params.to_json();
  for (const auto& [field, value] : fitted.items())
    if (defaults.at(field) != value) changed[field] = value;
  records.set_fitted(tune::target_key(options.target), changed);
  write_file_atomically(args.fit_target,
                        tune::fitted_target_yaml(options.target, fit, args.target.records));
  std::cerr << fmt::format(
      "fitted {} field(s) on {} workload(s), {} schedule(s) measured for it: default {:.4f} ms, "
      "fitted {:.4f} ms, best {:.4f} ms (sums over kernels) -> {}\n",
      fit.changes.size(), fit.workloads, fit.measured, fit.ms_default, fit.ms_fitted,
      fit.ms_best, args.fit_target);
}

void tune_one(const TuneArgs& args, const std::string& model_path, tune::Tuner& tuner,
              const compiler::CompileOptions& options, const graph::Graph& model) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  int workloads_started = 0, trials_done = 0;
  uint64_t current = 0;
  auto progress = [&](const tune::WorkloadResult& r, int trial, int trials) {
    if (r.workload != current) {
      current = r.workload;
      ++workloads_started;
    }
    ++trials_done;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = elapsed / trials_done * (trials - trial);
    const std::string line = fmt::format(
        "[workload {}] {} ({}): trial {}/{}, best {:.1f} GFLOP/s{}, workload ETA {:.0f} s",
        workloads_started, r.kernel, r.family, trial, trials, gflops(r.work, r.best_ms),
        r.default_ms > 0 ? fmt::format(" ({:.2f}x the default)", r.default_ms / r.best_ms) : "",
        eta);
    if (tty)
      std::cerr << "\r\033[K" << line << std::flush;
    else if (trial == trials)
      std::cerr << line << "\n";
  };
  const std::vector<tune::WorkloadResult> results = tuner.tune_model(model, options, progress);
  if (tty) std::cerr << "\n";

  if (args.json) {
    nlohmann::json j = {{"model", model_path},
                        {"target", tune::target_key(options.target)},
                        {"records", args.target.records},
                        {"workloads", nlohmann::json::array()}};
    for (const tune::WorkloadResult& r : results)
      j["workloads"].push_back({{"workload", tune::workload_hex(r.workload)},
                                {"kernel", r.kernel},
                                {"family", r.family},
                                {"kernels", r.kernels},
                                {"work", r.work},
                                {"default_ms", r.default_ms},
                                {"tuned_ms", r.best_ms},
                                {"measured", r.measured},
                                {"failed", r.failed}});
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << fmt::format("{:<40} {:<17} {:>3} {:>10} {:>10} {:>7} {:>8} {:>8}\n", "kernel",
                           "family", "n", "default ms", "tuned ms", "speedup", "GFLOP/s",
                           "measured");
  double default_total = 0, tuned_total = 0;
  for (const tune::WorkloadResult& r : results) {
    std::cout << fmt::format("{:<40} {:<17} {:>3} {:>10.4f} {:>10.4f} {:>6.2f}x {:>8.1f} {:>8}\n",
                             r.kernel.substr(0, 40), r.family, r.kernels, r.default_ms,
                             r.best_ms, r.best_ms > 0 ? r.default_ms / r.best_ms : 0,
                             gflops(r.work, r.best_ms), r.measured);
    default_total += r.kernels * r.default_ms;
    tuned_total += r.kernels * r.best_ms;
  }
  std::cout << fmt::format("sum of kernel times: default {:.3f} ms, tuned {:.3f} ms ({:.2f}x)\n",
                           default_total, tuned_total,
                           tuned_total > 0 ? default_total / tuned_total : 0)
            << fmt::format("records: {}\n", args.target.records);
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto args = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand(
      "tune", "Tune the schedules of an ONNX model's kernels on this machine into a records file");
  cmd->add_option("model", args->models, "ONNX model files (tuned in turn into the records)")
      ->required();
  cmd->add_option("--shape", args->shapes,
                  "Input shape NAME=1x3x28x28 (or just the shape for a one-input model)")
      ->allow_extra_args(false);
  add_target_options(cmd, args->target);
  cmd->add_option("--trials", args->tuning.trials, "Measurements per distinct kernel")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", args->tuning.batch, "Measurements per round of the cost model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--early-stopping", args->tuning.early_stopping,
                  "Stop a kernel after this many measurements without a faster one (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", args->tuning.seed, "Seeds the search")->capture_default_str();
  cmd->add_flag("--random", args->random, "Random search: no cost model");
  cmd->add_flag("--cold", args->cold,
                "Before each timed run of a candidate, sweep its weights and outputs out of the "
                "cores' caches and read its input back, as in a model (default: the caches as "
                "its run before left them)");
  cmd->add_flag("--json", args->json, "Print one JSON object per model");
  cmd->add_option("--in-model-runs", args->in_model_runs,
                  "Then run each model this many times in turn with its 3x3 convolutions by "
                  "Winograd's algorithm and direct, and with its tuned and its default "
                  "schedules, each kernel timed in place; keep the faster algorithm, and set "
                  "back the tuned schedules that are slower there (0: no check)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--fit-target", args->fit_target,
                  "Then fit the target's schedule constants to the records of the models' "
                  "workloads and write them as a target file here");
  cmd->callback([args] { run_tune(*args); });
}

}  // namespace nas::cli
