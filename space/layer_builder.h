// Layers the network templates are made of, added to a graph with seeded weights drawn like
// PyTorch's defaults (uniform in +-1/sqrt(fan_in) for convolutions and dense layers; batch
// norm scale 1, shift 0, running mean 0, variance 1). The generator is a SplitMix64, so a
// seed (the architecture's hash) names the same weights on every platform.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/graph/graph.h"
#include "compiler/support/random.h"

namespace nas::space {

enum class Activation { Relu, HardSwish };
Activation activation_from_label(const std::string& label);  // "relu", "hswish"

class LayerBuilder {
 public:
  LayerBuilder(graph::Graph& g, uint64_t seed) : g_(g), rng_(seed) {}

  graph::Graph& graph() { return g_; }
  int64_t channels(graph::ValueId x) const { return g_.type(x).shape.at(1); }

  // kxk convolution, padding k/2, from the input's channels to `out` channels.
  graph::ValueId conv(const std::string& name, graph::ValueId x, int64_t out, int64_t kernel,
                      int64_t stride = 1, int64_t group = 1, bool bias = false);
  graph::ValueId batch_norm(const std::string& name, graph::ValueId x);
  graph::ValueId activation(const std::string& name, graph::ValueId x, Activation act);
  // Gemm with transB = 1 from [N, in] to [N, out], with bias.
  graph::ValueId dense(const std::string& name, graph::ValueId x, int64_t out);

  // A network's weights stop at 2^28 parameters (1 GiB of f32, twice VGG-16's): a space
  // file with a mistyped width is refused with the layer named, not built in 10 GB.
  static constexpr int64_t kMaxParameters = int64_t{1} << 28;

 private:
  // Weights drawn uniformly from [-bound, bound], or filled with `value`, as constants.
  graph::ValueId uniform(const std::string& name, graph::Shape shape, double bound);
  graph::ValueId filled(const std::string& name, graph::Shape shape, float value);
  // Adds the shape's elements to the network's count; a UserError past kMaxParameters.
  void count_parameters(const std::string& name, const graph::Shape& shape);

  graph::Graph& g_;
  SplitMix64 rng_;
  int64_t parameters_ = 0;
};

}  // namespace nas::space
