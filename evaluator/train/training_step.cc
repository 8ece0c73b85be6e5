#include "evaluator/train/training_step.h"

#include <chrono>

#include <tbb/task_arena.h>

#include "compiler/compile.h"
#include "compiler/graph/rebuild.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/support/error.h"
#include "compiler/target/target.h"

namespace nas::evaluator {

using namespace graph;

std::string_view train_backend_name(TrainBackend backend) {
  return backend == TrainBackend::Compiled ? "compiled" : "reference";
}

TrainBackend parse_train_backend(const std::string& name) {
  if (name == "compiled") return TrainBackend::Compiled;
  if (name == "reference") return TrainBackend::Reference;
  user_error("unknown trainer '{}' (expected compiled or reference)", name);
}

namespace {

// The weights of a training graph, in the order of TrainingStep::weight.
std::vector<ValueId> weight_values(const TrainingGraph& t) {
  std::vector<ValueId> values;
  for (const auto& p : t.parameters) values.push_back(p.value);
  for (const auto& s : t.running_stats) values.push_back(s.value);
  return values;
}

// The reference executor on the training graph, whose constants are the weights.
class ReferenceStep final : public TrainingStep {
 public:
  ReferenceStep(TrainingGraph t, int threads)
      : t_(std::move(t)), weights_(weight_values(t_)), executor_(t_.graph), arena_(threads) {}

  const std::vector<Tensor>& run(const Tensor& images, const Tensor& labels) override {
    arena_.execute([&] { outputs_ = executor_.run({images, labels}); });
    return outputs_;
  }
  Tensor& weight(size_t i) override { return t_.graph.mutable_constant(weights_.at(i)); }
  int64_t peak_memory_bytes() const override { return 0; }
  double setup_seconds() const override { return 0; }

 private:
  TrainingGraph t_;
  std::vector<ValueId> weights_;
  ReferenceExecutor executor_;
  tbb::task_arena arena_;
  std::vector<Tensor> outputs_;
};

// The training graph compiled with its weights as inputs (after the images and labels).
class CompiledStep final : public TrainingStep {
 public:
  CompiledStep(const TrainingGraph& t, const target::Target& target, const TunedParams& tuned) {
    const auto start = std::chrono::steady_clock::now();
    const Graph step = compiled_step_graph(t);
    compiler::CompileOptions options;
    options.target = target;
    options.lowering.tuned_params = tuned;
    model_ = compiler::compile_model(step, options);
    for (ValueId v : weight_values(t)) weights_.push_back(t.graph.constant(v));
    for (ValueId v : step.outputs()) outputs_.emplace_back(step.type(v));
    for (Tensor& o : outputs_) output_ptrs_.push_back(&o);
    setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  const std::vector<Tensor>& run(const Tensor& images, const Tensor& labels) override {
    std::vector<const Tensor*> inputs{&images, &labels};
    for (const Tensor& w : weights_) inputs.push_back(&w);
    model_->run(inputs, output_ptrs_);
    return outputs_;
  }
  Tensor& weight(size_t i) override { return weights_.at(i); }
  int64_t peak_memory_bytes() const override {
    int64_t bytes = model_->peak_activation_bytes();
    for (const Tensor& w : weights_) bytes += w.nbytes();
    for (const Tensor& o : outputs_) bytes += o.nbytes();
    return bytes;
  }
  double setup_seconds() const override { return setup_seconds_; }

 private:
  std::unique_ptr<runtime::CompiledModel> model_;
  std::vector<Tensor> weights_;
  std::vector<Tensor> outputs_;
  std::vector<Tensor*> output_ptrs_;
  double setup_seconds_ = 0;
};

}  // namespace

Graph compiled_step_graph(const TrainingGraph& t) {
  RebuildOptions rebuild;
  rebuild.constants_as_inputs = weight_values(t);
  return rebuild_graph(t.graph, rebuild).graph;
}

std::unique_ptr<TrainingStep> make_training_step(TrainingGraph t, TrainBackend backend,
                                                 const target::Target& target,
                                                 const TunedParams& tuned) {
  if (backend == TrainBackend::Reference)
    return std::make_unique<ReferenceStep>(std::move(t), std::max(1, target.threads));
  if (const std::string why = target::why_not_runnable(target); !why.empty())
    user_error("cannot train on target '{}': training steps run on this machine, and {}",
               target.name, why);
  return std::make_unique<CompiledStep>(t, target, tuned);
}

}  // namespace nas::evaluator
