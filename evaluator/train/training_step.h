// One training step (forward in training mode, loss, backward) run on a batch, either by
// the compiler's native code (the default) or by the reference executor (the oracle).
//
// Both run the graph of build_training_graph. The compiled step compiles it once per model
// and batch, for a target that runs here (the host by default) at the trainer's thread
// count, with the weights and running statistics as graph inputs rather than constants:
// the code is the same whatever the weights, nothing derived from them is folded at
// compile time, and the weights stay in the step's own tensors, which the optimizer
// updates in place between runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/tensor.h"
#include "compiler/target/target.h"
#include "evaluator/train/training_graph.h"

namespace nas::evaluator {

enum class TrainBackend { Compiled, Reference };
std::string_view train_backend_name(TrainBackend backend);  // "compiled", "reference"
// The backend of a name; a UserError naming the accepted ones otherwise.
TrainBackend parse_train_backend(const std::string& name);

class TrainingStep {
 public:
  virtual ~TrainingStep() = default;
  // Forward and backward on one batch (images f32 [batch, ...], labels i64 [batch]): the
  // training graph's outputs in its order (loss, logits, gradients, updated statistics),
  // valid until the next run.
  virtual const std::vector<graph::Tensor>& run(const graph::Tensor& images,
                                                const graph::Tensor& labels) = 0;
  // The weights the next run reads, updated in place by the caller: the training graph's
  // parameters, then its running statistics, in its order.
  virtual graph::Tensor& weight(size_t i) = 0;
  // Memory of one step: the compiled step's arena (the activations kept for the backward
  // pass and every other value handed between kernels, reused by liveness), its weights
  // and the outputs (gradients); 0 for the reference, which allocates as it goes.
  virtual int64_t peak_memory_bytes() const = 0;
  // Seconds it took to make the step (compiling, for the compiled one).
  virtual double setup_seconds() const = 0;
};

// The graph the compiled step compiles: `t`'s graph with its weights (parameters, then
// running statistics) as inputs after the images and labels.
graph::Graph compiled_step_graph(const TrainingGraph& t);

// Tuned schedule constants by workload (lower::LowerOptions::tuned_params, e.g.
// tune::TuningRecords::best_params); empty: the default schedules.
using TunedParams = std::function<std::optional<target::ScheduleParams>(uint64_t workload)>;

// `t` is moved in. The step runs at the target's thread count; the compiled step is
// compiled for the target, which must run here (a UserError says why not otherwise: the
// trainer runs its steps on this machine), with `tuned` schedules where it has them.
std::unique_ptr<TrainingStep> make_training_step(TrainingGraph t, TrainBackend backend,
                                                 const target::Target& target,
                                                 const TunedParams& tuned = {});

}  // namespace nas::evaluator
