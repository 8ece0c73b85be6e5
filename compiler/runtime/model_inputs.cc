#include "compiler/runtime/model_inputs.h"

#include <random>

namespace nas::runtime {

std::vector<graph::Tensor> seeded_inputs(const graph::Graph& model, uint64_t seed) {
  std::vector<graph::Tensor> inputs;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  for (graph::ValueId v : model.inputs()) {
    graph::Tensor t(model.type(v));
    if (t.dtype() == graph::DType::F32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace nas::runtime
