#include "evaluator/train/optimizer.h"

#include <cmath>

#include "compiler/support/error.h"

namespace nas::evaluator {

using graph::Tensor;

OptimizerConfig::Kind parse_optimizer_kind(const std::string& name) {
  if (name == "sgd") return OptimizerConfig::Kind::Sgd;
  if (name == "adam") return OptimizerConfig::Kind::Adam;
  user_error("unknown optimizer '{}' (expected sgd or adam)", name);
}

void Optimizer::step(std::vector<Tensor*> params, const std::vector<const Tensor*>& grads,
                     double lr) {
  NAS_CHECK(params.size() == grads.size(), "{} params, {} grads", params.size(), grads.size());
  const bool adam = config_.kind == OptimizerConfig::Kind::Adam;
  if (state_.slot1.empty()) {
    for (const Tensor* p : params) {
      state_.slot1.emplace_back(p->type());
      if (adam) state_.slot2.emplace_back(p->type());
    }
  }
  NAS_CHECK(state_.slot1.size() == params.size(), "optimizer state holds {} slots for {} params",
            state_.slot1.size(), params.size());
  ++state_.steps;
  const double wd = config_.weight_decay;
  const double bc1 = 1.0 - std::pow(config_.beta1, static_cast<double>(state_.steps));
  const double bc2 = 1.0 - std::pow(config_.beta2, static_cast<double>(state_.steps));
  for (size_t i = 0; i < params.size(); ++i) {
    NAS_CHECK(params[i]->type() == grads[i]->type(), "param {} is {}, its gradient {}", i,
              params[i]->type().str(), grads[i]->type().str());
    float* w = params[i]->data<float>();
    const float* g = grads[i]->data<float>();
    float* m = state_.slot1[i].data<float>();
    const int64_t n = params[i]->numel();
    if (!adam) {
      const float mu = static_cast<float>(config_.momentum);
      for (int64_t k = 0; k < n; ++k) {
        const float d = g[k] + static_cast<float>(wd) * w[k];
        m[k] = state_.steps == 1 ? d : mu * m[k] + d;
        const float update = config_.nesterov ? d + mu * m[k] : m[k];
        w[k] -= static_cast<float>(lr) * update;
      }
    } else {
      float* v = state_.slot2[i].data<float>();
      const float b1 = static_cast<float>(config_.beta1), b2 = static_cast<float>(config_.beta2);
      for (int64_t k = 0; k < n; ++k) {
        const float d = g[k] + static_cast<float>(wd) * w[k];
        m[k] = b1 * m[k] + (1 - b1) * d;
        v[k] = b2 * v[k] + (1 - b2) * d * d;
        const double mhat = m[k] / bc1, vhat = v[k] / bc2;
        w[k] -= static_cast<float>(lr * mhat / (std::sqrt(vhat) + config_.epsilon));
      }
    }
  }
}

}  // namespace nas::evaluator
