// `nas tune MODEL.onnx --target T --trials N --records FILE`: tunes the schedule of each
// distinct kernel of the model on this machine (compiler/tune/tuner.h) and adds every
// measurement to the records, which `nas bench/compile/run --records FILE` and the search
// read. A progress line per workload on stderr (trial, best GFLOP/s so far, ETA), then a
// table per workload: default and tuned time, speed-up, GFLOP/s; or one JSON object with
// --json. A workload the records hold `trials` measurements of is not measured again.
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/tune/tuner.h"
#include "search/cli/commands.h"
#include "search/cli/compile_options.h"

namespace nas::cli {

namespace {

struct TuneArgs {
  std::string model;
  std::vector<std::string> shapes;
  TargetArgs target;
  tune::TuneOptions tuning;
  bool random = false;
  bool json = false;
};

double gflops(int64_t work, double ms) { return ms > 0 ? 2.0 * static_cast<double>(work) / ms / 1e6 : 0; }

void run_tune(const TuneArgs& args) {
  if (args.target.records.empty()) user_error("--records FILE is required (where the measurements go)");
  TargetArgs target_args = args.target;
  target_args.records.clear();  // tune from the default schedules
  const compiler::CompileOptions options = compile_options(target_args);
  require_runnable(options.target);
  const graph::Graph model = import_with_shapes(args.model, args.shapes);
  tune::TuningRecords records(args.target.records);
  tune::TuneOptions tuning = args.tuning;
  tuning.use_model = !args.random;
  tune::Tuner tuner(records, options.target, tuning);

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
    nlohmann::json j = {{"model", args.model},
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
  cmd->add_option("model", args->model, "ONNX model file")->required();
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
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] { run_tune(*args); });
}

}  // namespace nas::cli
