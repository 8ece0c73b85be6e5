#include "evaluator/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "compiler/compile.h"
#include "compiler/graph/rebuild.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "evaluator/train/training_graph.h"

namespace nas::evaluator {

using namespace graph;
using Clock = std::chrono::steady_clock;

std::string_view train_status_name(TrainStatus status) {
  switch (status) {
    case TrainStatus::Ok: return "ok";
    case TrainStatus::Diverged: return "diverged";
    case TrainStatus::TimedOut: return "timed_out";
    case TrainStatus::Stopped: return "stopped";
  }
  return "?";
}

TrainState initial_state(const Graph& model) {
  TrainState state;
  for (const auto& [id, tensor] : model.constants())
    if (tensor.dtype() == DType::F32) state.weights.emplace(model.value(id).name, tensor);
  return state;
}

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Loads the state's weights into a graph's constants of the same names.
void load_weights(Graph& g, const TrainState& state) {
  for (const auto& [name, tensor] : state.weights) {
    std::optional<ValueId> id = g.find(name);
    if (!id || !g.is_constant(*id))
      user_error("checkpoint weight '{}' is not a constant of model '{}'", name, g.name());
    if (g.type(*id) != tensor.type())
      user_error("checkpoint weight '{}' is {}, the model's is {}", name, tensor.type().str(),
                 g.type(*id).str());
    g.set_constant(*id, tensor);
  }
}

LrSchedule make_schedule(const TrainConfig& config, int64_t steps_per_epoch) {
  const int64_t horizon = config.schedule_epochs > 0 ? config.schedule_epochs : config.epochs;
  LrSchedule s;
  s.kind = config.schedule;
  s.base_lr = config.lr;
  s.warmup_steps = std::llround(config.warmup_epochs * steps_per_epoch);
  s.total_steps = horizon * steps_per_epoch;
  s.step_every = std::llround(config.step_epochs * steps_per_epoch);
  s.gamma = config.gamma;
  return s;
}

Tensor images_tensor(const Batch& b) {
  Tensor t(DType::F32, {b.size, b.channels, b.height, b.width});
  std::memcpy(t.raw(), b.images.data(), b.images.size() * sizeof(float));
  return t;
}

}  // namespace

target::Target training_target(const TrainConfig& config) {
  target::Target t = target::parse_target(config.target);
  t.threads = std::max(1, config.threads);
  return t;
}

TrainReport train(const Graph& model, const Dataset& data, const TrainConfig& config,
                  TrainState state, const std::function<void(const EpochProgress&)>& on_epoch,
                  const StopAfterEpoch& stop_after_epoch) {
  if (config.batch < 1) user_error("batch size must be >= 1, got {}", config.batch);
  if (data.n < config.batch)
    user_error("the training set has {} samples, fewer than one batch of {}", data.n,
               config.batch);
  const Clock::time_point start = Clock::now();
  TrainingGraph graph = build_training_graph(model, config.batch, config.label_smoothing);
  load_weights(graph.graph, state);
  const std::vector<TrainingGraph::Parameter> parameters = graph.parameters;
  const std::vector<TrainingGraph::RunningStat> running_stats = graph.running_stats;
  std::unique_ptr<TrainingStep> step;
  {
    MeasurementGate::Step compiling(config.gate);
    step = make_training_step(std::move(graph), config.backend, training_target(config),
                              config.tuned);
  }
  Optimizer optimizer(config.optimizer);
  optimizer.set_state(state.optimizer);

  BatchOptions batching{.batch_size = config.batch, .shuffle = true, .drop_last = true,
                        .seed = config.seed, .augmentation = config.augmentation};
  const int64_t steps_per_epoch = data.n / config.batch;
  const LrSchedule schedule = make_schedule(config, steps_per_epoch);

  TrainReport report;
  report.setup_seconds = step->setup_seconds();
  report.peak_memory_bytes = step->peak_memory_bytes();
  std::vector<double> step_ms;
  // Reads back the weights, running statistics and optimizer state the step now holds.
  auto read_back = [&] {
    size_t w = 0;
    for (const auto& p : parameters) state.weights[p.name] = step->weight(w++);
    for (const auto& s : running_stats) state.weights[s.name] = step->weight(w++);
    state.optimizer = optimizer.state();
  };
  auto finish = [&](TrainStatus status, std::string reason) {
    read_back();
    if (report.peak_memory_bytes > 0)  // the compiled step's, with the optimizer's state
      for (const auto* slots : {&state.optimizer.slot1, &state.optimizer.slot2})
        for (const Tensor& t : *slots) report.peak_memory_bytes += t.nbytes();
    report.status = status;
    report.reason = std::move(reason);
    report.state = std::move(state);
    report.seconds = seconds_since(start);
    if (!step_ms.empty()) {
      std::sort(step_ms.begin(), step_ms.end());
      report.median_step_ms = step_ms[step_ms.size() / 2];
    }
    return report;
  };

  Batch batch;
  double first_loss = -1;
  while (state.epochs_done < config.epochs) {
    const int64_t epoch = state.epochs_done;
    BatchIterator batches(data, batching, epoch);
    double loss_sum = 0;
    double lr = 0;
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const Clock::time_point step_start = Clock::now();
      batches.next(batch);
      Tensor labels = Tensor::i64({batch.size}, batch.labels);
      const Tensor images = images_tensor(batch);
      const std::vector<Tensor>* outputs = nullptr;
      {
        MeasurementGate::Step running(config.gate);
        outputs = &step->run(images, labels);
      }
      const std::vector<Tensor>& out = *outputs;
      const double loss = out[0].at(0);
      if (first_loss < 0) first_loss = loss;
      if (!std::isfinite(loss) || loss > config.divergence_factor * first_loss)
        return finish(TrainStatus::Diverged,
                      fmt::format("loss became {} at epoch {} step {} (first step: {})", loss,
                                  epoch + 1, b + 1, first_loss));
      loss_sum += loss;
      // The weights are updated in place in the step's tensors.
      std::vector<Tensor*> params;
      std::vector<const Tensor*> grads;
      for (size_t i = 0; i < parameters.size(); ++i) {
        params.push_back(&step->weight(i));
        grads.push_back(&out[2 + i]);
      }
      lr = schedule.at(state.steps_done);
      optimizer.step(params, grads, lr);
      for (size_t i = 0; i < running_stats.size(); ++i)
        step->weight(parameters.size() + i) = out[2 + parameters.size() + i];
      ++state.steps_done;
      step_ms.push_back(1e3 * seconds_since(step_start));
      if (config.time_limit_seconds > 0 && seconds_since(start) > config.time_limit_seconds)
        return finish(TrainStatus::TimedOut,
                      fmt::format("time limit of {} s reached at epoch {} step {}",
                                  config.time_limit_seconds, epoch + 1, b + 1));
    }
    state.epochs_done = epoch + 1;
    state.epoch_losses.push_back(loss_sum / static_cast<double>(steps_per_epoch));
    if (on_epoch)
      on_epoch({state.epochs_done, config.epochs, state.epoch_losses.back(), lr,
                seconds_since(start)});
    if (stop_after_epoch && state.epochs_done < config.epochs) {
      read_back();
      std::string why = stop_after_epoch(state);
      if (!why.empty()) return finish(TrainStatus::Stopped, std::move(why));
    }
  }
  return finish(TrainStatus::Ok, "");
}

Graph with_weights(const Graph& model, const TrainState& state) {
  Graph g = model;
  load_weights(g, state);
  return g;
}

double evaluate_accuracy(const Graph& model, const Dataset& data, int64_t batch, int threads,
                         TrainBackend backend, MeasurementGate* gate) {
  if (data.n == 0) user_error("cannot evaluate accuracy on an empty data set");
  batch = std::min(batch, data.n);
  tbb::task_arena arena(std::max(1, threads));
  BatchIterator batches(data, {.batch_size = batch, .shuffle = false}, 0);
  const Graph batched = with_batch_size(model, batch);
  std::unique_ptr<runtime::CompiledModel> compiled;
  if (backend == TrainBackend::Compiled) {
    compiler::CompileOptions options;
    options.target = target::host_target();
    options.target.threads = std::max(1, threads);
    MeasurementGate::Step compiling(gate);
    compiled = compiler::compile_model(batched, options);
  }
  std::map<int64_t, std::unique_ptr<Graph>> graphs;  // reference: by batch size
  int64_t correct = 0;
  Batch b;
  Tensor padded(batched.type(batched.inputs()[0]));
  while (batches.next(b)) {
    std::vector<Tensor> out;
    MeasurementGate::Step running(gate);  // each batch, as a training step
    if (compiled) {
      // A last smaller batch is padded with zeros: inference treats samples independently.
      const Tensor images = images_tensor(b);
      if (b.size < batch) std::memset(padded.raw(), 0, static_cast<size_t>(padded.nbytes()));
      std::memcpy(padded.raw(), images.raw(), static_cast<size_t>(images.nbytes()));
      out = compiled->run({padded});
    } else {
      auto& g = graphs[b.size];
      if (!g) g = std::make_unique<Graph>(with_batch_size(model, b.size));
      arena.execute([&] { out = run_reference(*g, {images_tensor(b)}); });
    }
    const Tensor& logits = out[0];
    const int64_t classes = logits.dim(1);
    const float* p = logits.data<float>();
    for (int64_t i = 0; i < b.size; ++i) {
      const float* row = p + i * classes;
      const int64_t predicted = std::max_element(row, row + classes) - row;
      correct += predicted == b.labels[i];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(data.n);
}

// Checkpoint file: "NASCKPT1", a u64 header length, a JSON header (names, types, offsets,
// optimizer steps, progress), then the raw little-endian tensor data.
namespace {
constexpr char kMagic[8] = {'N', 'A', 'S', 'C', 'K', 'P', 'T', '1'};
}

void save_checkpoint(const TrainState& state, const std::string& path) {
  nlohmann::json header;
  std::vector<const Tensor*> blobs;
  auto add = [&](const std::string& kind, const std::string& name, const Tensor& t) {
    header["tensors"].push_back({{"kind", kind}, {"name", name}, {"shape", t.shape()}});
    blobs.push_back(&t);
  };
  for (const auto& [name, t] : state.weights) add("weight", name, t);
  for (size_t i = 0; i < state.optimizer.slot1.size(); ++i)
    add("slot1", std::to_string(i), state.optimizer.slot1[i]);
  for (size_t i = 0; i < state.optimizer.slot2.size(); ++i)
    add("slot2", std::to_string(i), state.optimizer.slot2[i]);
  header["optimizer_steps"] = state.optimizer.steps;
  header["epochs_done"] = state.epochs_done;
  header["steps_done"] = state.steps_done;
  header["epoch_losses"] = state.epoch_losses;
  const std::string text = header.dump();
  const uint64_t length = text.size();
  std::string bytes(kMagic, sizeof kMagic);
  bytes.append(reinterpret_cast<const char*>(&length), sizeof length);
  bytes += text;
  for (const Tensor* t : blobs) bytes.append(reinterpret_cast<const char*>(t->raw()), t->nbytes());
  write_file_atomically(path, bytes);  // a killed write leaves the previous checkpoint
}

TrainState load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) user_error("{}: cannot open checkpoint", path);
  char magic[8] = {};
  uint64_t length = 0;
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(&length), sizeof length);
  if (!in || std::memcmp(magic, kMagic, sizeof magic) != 0 || length > (1u << 30))
    user_error("{}: not a nas checkpoint", path);
  std::string text(length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(length));
  TrainState state;
  try {
    const nlohmann::json header = nlohmann::json::parse(text);
    for (const auto& entry : header.at("tensors")) {
      Tensor t(DType::F32, entry.at("shape").get<Shape>());
      in.read(reinterpret_cast<char*>(t.raw()), t.nbytes());
      const std::string kind = entry.at("kind");
      if (kind == "weight") state.weights[entry.at("name")] = std::move(t);
      else if (kind == "slot1") state.optimizer.slot1.push_back(std::move(t));
      else state.optimizer.slot2.push_back(std::move(t));
    }
    state.optimizer.steps = header.at("optimizer_steps");
    state.epochs_done = header.at("epochs_done");
    state.steps_done = header.at("steps_done");
    state.epoch_losses = header.at("epoch_losses").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    user_error("{}: corrupt checkpoint header ({})", path, e.what());
  }
  if (!in) user_error("{}: truncated checkpoint", path);
  return state;
}

}  // namespace nas::evaluator
