// Optimizers that update parameter tensors in place from their gradients, with PyTorch's
// update rules so recipes carry over: SGD with momentum (v = m*v + g + wd*w; w -= lr*v) and
// Adam (bias-corrected, L2 weight decay added to the gradient). The state is plain tensors
// so a checkpoint can hold it.
#pragma once

#include <string>
#include <vector>

#include "compiler/graph/tensor.h"

namespace nas::evaluator {

struct OptimizerConfig {
  enum class Kind { Sgd, Adam };
  Kind kind = Kind::Sgd;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

// "sgd", "adam"; UserError naming the accepted values otherwise.
OptimizerConfig::Kind parse_optimizer_kind(const std::string& name);

struct OptimizerState {
  int64_t steps = 0;
  std::vector<graph::Tensor> slot1;  // SGD: velocity; Adam: first moment
  std::vector<graph::Tensor> slot2;  // Adam: second moment
};

class Optimizer {
 public:
  explicit Optimizer(OptimizerConfig config) : config_(config) {}

  // Updates params[i] from grads[i] (f32, same shapes) with learning rate lr.
  void step(std::vector<graph::Tensor*> params, const std::vector<const graph::Tensor*>& grads,
            double lr);

  const OptimizerState& state() const { return state_; }
  void set_state(OptimizerState state) { state_ = std::move(state); }

 private:
  OptimizerConfig config_;
  OptimizerState state_;
};

}  // namespace nas::evaluator
