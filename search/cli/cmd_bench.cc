// `nas bench MODEL.onnx --target T --threads N`: the latency of one inference, measured with
// the timing protocol (runtime/timing.h) on random inputs: the compiled code by default, the
// reference executor with --reference. Prints the median, min, max and IQR, the spread of
// the round medians, the protocol and the compile time, or one JSON object with --json.
// With --serve it compiles once and measures once per line of standard input, one JSON
// object per line: a benchmark driver alternates it with another runtime in steps of a
// fraction of a second, finer than the drift of a shared machine's speed.
#include <functional>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "compiler/graph/memory_plan.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/compile.h"
#include "compiler/runtime/model_inputs.h"
#include "compiler/runtime/timing.h"
#include "search/cli/commands.h"
#include "search/cli/compile_options.h"

namespace nas::cli {

namespace {

struct BenchArgs {
  std::string model;
  std::vector<std::string> shapes;
  TargetArgs target;
  bool json = false;
  bool reference = false;
  double min_seconds = runtime::TimingProtocol{}.min_seconds;
  int warmup = runtime::TimingProtocol{}.warmup;
  int min_repeats = runtime::TimingProtocol{}.min_repeats;
  int rounds = runtime::TimingProtocol{}.rounds;
  bool no_pin = false;
  bool no_calibrate = false;
  bool serve = false;
  double max_spread = runtime::TimingProtocol{}.max_spread;
};

// What was compiled and how, beside each measurement.
struct BenchSetup {
  std::string target_name, target_str;
  int threads = 1;
  runtime::TimingProtocol protocol;
  double compile_seconds = 0;
  int64_t peak_bytes = 0;
  int kernels = 0;
  int64_t flops = 0;
};

void report(const BenchArgs& args, const BenchSetup& setup, const runtime::TimingStats& stats) {
  const runtime::TimingProtocol& protocol = setup.protocol;
  const std::string executor = args.reference ? "reference" : "compiled";
  if (args.json || args.serve) {
    const nlohmann::json j = {{"model", args.model},
                              {"target", setup.target_name},
                              {"threads", setup.threads},
                              {"executor", executor},
                              {"median_ms", stats.median_ms},
                              {"min_ms", stats.min_ms},
                              {"max_ms", stats.max_ms},
                              {"p25_ms", stats.p25_ms},
                              {"p75_ms", stats.p75_ms},
                              {"repeats", stats.repeats},
                              {"spread", stats.spread},
                              {"attempts", stats.attempts},
                              {"calibration_ms", stats.calibration_ms},
                              {"slowdown", stats.slowdown},
                              {"measured_median_ms", stats.measured_median_ms},
                              {"repeatable", runtime::repeatable(stats, protocol)},
                              {"protocol", protocol.describe()},
                              {"compile_seconds", setup.compile_seconds},
                              {"peak_activation_bytes", setup.peak_bytes},
                              {"flops", setup.flops}};
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << fmt::format("model:     {}\n", args.model)
            << fmt::format("target:    {}\n", setup.target_str)
            << fmt::format("executor:  {}\n", executor);
  if (!args.reference)
    std::cout << fmt::format("compile:   {:.3f} s, {} kernel{}\n", setup.compile_seconds,
                             setup.kernels, setup.kernels == 1 ? "" : "s");
  std::cout << fmt::format("latency:   median {:.4f} ms, min {:.4f} ms, max {:.4f} ms, "
                           "IQR {:.4f} ms ({:.4f} .. {:.4f}) over {} runs\n",
                           stats.median_ms, stats.min_ms, stats.max_ms, stats.iqr_ms(),
                           stats.p25_ms, stats.p75_ms, stats.repeats)
            << fmt::format("spread:    {:.1f}% between the medians of {} rounds{}{}\n",
                           stats.spread * 100, protocol.rounds,
                           stats.attempts > 1 ? fmt::format(" ({} measurements)", stats.attempts)
                                              : "",
                           runtime::repeatable(stats, protocol) ? "" : ": NOT REPEATABLE")
            << (stats.calibration_ms > 0
                    ? fmt::format("speed:     the machine ran {:.2f}x its quiet time on the "
                                  "calibration work ({:.4f} ms); measured median {:.4f} ms, "
                                  "{:.3f}x the calibration work\n",
                                  stats.slowdown, stats.calibration_ms, stats.measured_median_ms,
                                  stats.measured_median_ms / stats.calibration_ms)
                    : "")
            << fmt::format("memory:    {} bytes of activations\n", setup.peak_bytes)
            << fmt::format("protocol:  {}\n", protocol.describe());
}

void bench(const BenchArgs& args) {
  const compiler::CompileOptions options = compile_options(args.target);
  require_runnable(options.target);
  const graph::Graph model = import_with_shapes(args.model, args.shapes);
  runtime::TimingProtocol protocol;
  protocol.min_seconds = args.min_seconds;
  protocol.warmup = args.warmup;
  protocol.min_repeats = args.min_repeats;
  protocol.rounds = args.rounds;
  protocol.pin = !args.no_pin;
  protocol.calibrate = !args.no_calibrate;
  protocol.max_spread = args.max_spread;

  const std::vector<graph::Tensor> inputs = runtime::seeded_inputs(model);
  std::vector<graph::Tensor> outputs;
  for (graph::ValueId v : model.outputs()) outputs.emplace_back(model.type(v));
  std::vector<const graph::Tensor*> in;
  std::vector<graph::Tensor*> out;
  for (const graph::Tensor& t : inputs) in.push_back(&t);
  for (graph::Tensor& t : outputs) out.push_back(&t);

  BenchSetup setup{options.target.name, options.target.str(), options.target.threads, protocol};
  setup.flops = model.flops();
  std::function<void()> run_once;
  std::unique_ptr<graph::ReferenceExecutor> executor;
  std::unique_ptr<tbb::task_arena> arena;
  std::unique_ptr<runtime::CompiledModel> compiled;
  if (args.reference) {
    executor = std::make_unique<graph::ReferenceExecutor>(model);
    arena = std::make_unique<tbb::task_arena>(options.target.threads);
    setup.peak_bytes = graph::plan_memory(model).arena_bytes;
    run_once = [&] { arena->execute([&] { executor->run(inputs); }); };
  } else {
    compiled = compiler::compile_model(model, options);
    setup.compile_seconds = compiled->compile_seconds();
    setup.peak_bytes = compiled->peak_activation_bytes();
    setup.kernels = compiled->kernel_count();
    run_once = [&] { compiled->run(in, out); };
  }
  if (!args.serve) {
    report(args, setup, runtime::measure(run_once, protocol));
    return;
  }
  for (std::string line; std::getline(std::cin, line);) {
    report(args, setup, runtime::measure(run_once, protocol));
    std::cout.flush();
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand(
      "bench", "Measure the latency of one inference of an ONNX model on a target");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--shape", args->shapes,
                  "Input shape NAME=1x3x28x28 (or just the shape for a one-input model); "
                  "default: the model's, batch 1 where the batch is symbolic")
      ->allow_extra_args(false);
  add_target_options(cmd, args->target);
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_flag("--reference", args->reference,
                "Time the reference executor instead of the compiled code");
  cmd->add_option("--min-seconds", args->min_seconds, "Least total time of the timed runs")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--min-repeats", args->min_repeats, "Least number of timed runs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Untimed runs first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--rounds", args->rounds, "The timed runs in this many rounds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--no-pin", args->no_pin, "Leave the measuring thread free to change CPUs");
  cmd->add_flag("--no-calibrate", args->no_calibrate,
                "Report the times as measured, not at the machine's quiet speed (no "
                "calibration work after each run)");
  cmd->add_flag("--serve", args->serve,
                "Compile once, then measure once per line read from standard input, printing "
                "one JSON object per line, until the input ends (for a driver that alternates "
                "with another runtime)");
  cmd->add_option("--max-spread", args->max_spread,
                  "Measure again (twice at most) while the round medians spread wider than "
                  "this fraction of the median; 0: once")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([args] { bench(*args); });
}

}  // namespace nas::cli
