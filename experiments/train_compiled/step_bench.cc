// The compiled training step of a model, timed as the trainer runs it: one step (forward
// in training mode, loss, backward) on a fixed random batch, then the SGD update with
// momentum in place, repeated; the median over the steps after a warm-up counts.
//
//   ./build/train_step_bench MODEL.onnx [--threads N] [--batch B] [--steps S] [--warmup W]
//                            [--reference] [--records FILE [--tune TRIALS]]
//
// With --records, the step's kernels take the schedules tuned in FILE (`nas tune`'s
// records); with --tune too, the step's kernels are first tuned into FILE with TRIALS
// measurements each (the tuner, compiler/tune/, on the training graph's kernels).
//
// Prints one JSON object: model, threads, batch, median/min step ms (and the median of the
// SGD update within it, on the host), compile seconds, the FLOPs of one step (the op
// registry's count over the training graph: forward, loss and backward, 2 per
// multiply-add), and the memory of the step (activations, weights, gradients).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/onnx/onnx_import.h"
#include "compiler/compile.h"
#include "compiler/target/target.h"
#include "compiler/tune/tuner.h"
#include "evaluator/metrics.h"
#include "evaluator/train/optimizer.h"
#include "evaluator/train/training_step.h"

int main(int argc, char** argv) {
  using namespace nas;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [--threads N] [--batch B] [--steps S] "
                         "[--warmup W] [--reference] [--records FILE [--tune TRIALS]]\n", argv[0]);
    return 2;
  }
  int threads = 1, steps = 30, warmup = 3, tune_trials = 0;
  std::string records;
  int64_t batch = 64;
  evaluator::TrainBackend backend = evaluator::TrainBackend::Compiled;
  for (int i = 2; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--reference") { backend = evaluator::TrainBackend::Reference; continue; }
    if (i + 1 >= argc) break;
    const std::string value = argv[++i];
    if (key == "--threads") threads = std::stoi(value);
    if (key == "--batch") batch = std::stoll(value);
    if (key == "--steps") steps = std::stoi(value);
    if (key == "--warmup") warmup = std::stoi(value);
    if (key == "--records") records = value;
    if (key == "--tune") tune_trials = std::stoi(value);
  }
  const graph::Graph model = onnx_io::import_onnx(argv[1]);
  evaluator::TrainingGraph t = evaluator::build_training_graph(model, batch);
  const int64_t flops = evaluator::cost_metrics(t.graph).flops;
  const size_t parameters = t.parameters.size();

  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal;
  graph::Tensor images(t.graph.type(t.images)), labels(t.graph.type(t.labels));
  for (int64_t i = 0; i < images.numel(); ++i) images.data<float>()[i] = normal(rng);
  const int64_t classes = t.graph.type(t.logits).shape[1];
  for (int64_t i = 0; i < labels.numel(); ++i)
    labels.data<int64_t>()[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));

  target::Target target = target::host_target();
  target.threads = threads;
  evaluator::TunedParams tuned;
  double tune_seconds = 0;
  if (!records.empty()) {
    tune::TuningRecords file(records);
    if (tune_trials > 0) {
      const auto start = std::chrono::steady_clock::now();
      compiler::CompileOptions options;
      options.target = target;
      tune::Tuner(file, target, {.trials = tune_trials, .batch = std::min(tune_trials, 8)})
          .tune_model(evaluator::compiled_step_graph(t), options);
      tune_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    tuned = file.best_params(target);
  }
  const auto step = evaluator::make_training_step(std::move(t), backend, target, tuned);
  evaluator::Optimizer sgd({.momentum = 0.9});
  std::vector<double> ms, optimizer_ms;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<graph::Tensor>& out = step->run(images, labels);
    std::vector<graph::Tensor*> params;
    std::vector<const graph::Tensor*> grads;
    for (size_t i = 0; i < parameters; ++i) {
      params.push_back(&step->weight(i));
      grads.push_back(&out[2 + i]);
    }
    const auto update = std::chrono::steady_clock::now();
    sgd.step(params, grads, 0.01);
    const auto end = std::chrono::steady_clock::now();
    if (s >= warmup) {
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      optimizer_ms.push_back(std::chrono::duration<double, std::milli>(end - update).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  std::sort(optimizer_ms.begin(), optimizer_ms.end());
  const nlohmann::json record = {
      {"model", argv[1]},
      {"threads", threads},
      {"batch", batch},
      {"backend", std::string(evaluator::train_backend_name(backend))},
      {"median_step_ms", ms[ms.size() / 2]},
      {"min_step_ms", ms.front()},
      {"median_optimizer_ms", optimizer_ms[optimizer_ms.size() / 2]},  // part of the step
      {"steps", steps},
      {"compile_seconds", step->setup_seconds()},
      {"records", records},
      {"tune_seconds", tune_seconds},
      {"flops_per_step", flops},
      {"peak_memory_bytes", step->peak_memory_bytes()},
  };
  std::printf("%s\n", record.dump().c_str());
  return 0;
}
