// Turns Conv -> BatchNormalization(training_mode 0) into one Conv with new weight and bias
// constants. It folds only where that changes nothing else: the conv's output has the batch
// norm as its only user and is not a graph output, and the conv's weight (and bias, if any)
// and the four batch-norm parameters are f32 constants. The folded conv's output takes the
// batch norm's output name, so the rest of the graph reads as before. The original weights
// stay only if something else still reads them; dead-code elimination at the end removes
// the batch norms and unused constants and re-checks every invariant of graph.h.
#include "compiler/passes/fold_batch_norm.h"

#include <cmath>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/passes/rewrite.h"

namespace nas::passes {

using namespace graph;

namespace {

enum BatchNormInput { kX = 0, kScale, kShift, kMean, kVar };
enum ConvInput { kConvX = 0, kWeight, kBias };

bool is_f32_constant(const Graph& g, ValueId v) {
  return v != kNoValue && g.is_constant(v) && g.type(v).dtype == DType::F32;
}

// The conv node that `bn` can fold into, or -1.
int32_t foldable_conv(const Graph& g, const Node& bn) {
  if (bn.op->id != OpId::BatchNormalization || bn.attrs.i("training_mode") != 0 ||
      bn.outputs.size() != 1)
    return -1;
  for (int i : {kScale, kShift, kMean, kVar})
    if (!is_f32_constant(g, bn.inputs[i])) return -1;
  const ValueId conv_out = bn.inputs[kX];
  const Value& value = g.value(conv_out);
  if (value.kind != ValueKind::NodeOutput) return -1;
  const Node& conv = g.nodes()[value.producer];
  if (conv.op->id != OpId::Conv || !is_f32_constant(g, conv.inputs[kWeight])) return -1;
  if (conv.inputs.size() > kBias && !is_f32_constant(g, conv.inputs[kBias])) return -1;
  if (distinct_users(g, conv_out).size() != 1 || is_graph_output(g, conv_out)) return -1;
  return value.producer;
}

struct Folded {
  Tensor weight;
  Tensor bias;
};

Folded fold(const Graph& g, const Node& conv, const Node& bn) {
  const Tensor& weight = g.constant(conv.inputs[kWeight]);
  const int64_t channels = weight.dim(0);
  const int64_t per_channel = weight.numel() / channels;
  const bool has_bias = conv.inputs.size() > kBias && conv.inputs[kBias] != kNoValue;
  const float* scale = g.constant(bn.inputs[kScale]).data<float>();
  const float* shift = g.constant(bn.inputs[kShift]).data<float>();
  const float* mean = g.constant(bn.inputs[kMean]).data<float>();
  const float* var = g.constant(bn.inputs[kVar]).data<float>();
  const double epsilon = bn.attrs.f("epsilon");

  Folded out{weight, Tensor(DType::F32, {channels})};
  float* w = out.weight.data<float>();
  float* b = out.bias.data<float>();
  for (int64_t k = 0; k < channels; ++k) {
    const double s = static_cast<double>(scale[k]) / std::sqrt(static_cast<double>(var[k]) + epsilon);
    for (int64_t i = k * per_channel; i < (k + 1) * per_channel; ++i)
      w[i] = static_cast<float>(static_cast<double>(w[i]) * s);
    const double old_bias = has_bias ? g.constant(conv.inputs[kBias]).data<float>()[k] : 0.0;
    b[k] = static_cast<float>((old_bias - mean[k]) * s + shift[k]);
  }
  return out;
}

}  // namespace

Graph fold_batch_norm(const Graph& input) {
  Graph g = input;
  bool changed = false;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const int32_t conv_index = foldable_conv(g, g.nodes()[n]);
    if (conv_index < 0) continue;
    const Node& bn = g.nodes()[n];
    Folded folded = fold(g, g.nodes()[conv_index], bn);
    const std::string& conv_name = g.nodes()[conv_index].name;
    const ValueId weight = g.add_constant(unique_name(g, conv_name + ".folded_weight"),
                                          std::move(folded.weight));
    const ValueId bias = g.add_constant(unique_name(g, conv_name + ".folded_bias"),
                                        std::move(folded.bias));
    Node& conv = g.mutable_node(conv_index);
    conv.inputs.resize(3, kNoValue);
    conv.inputs[kWeight] = weight;
    conv.inputs[kBias] = bias;
    replace_value(g, g.nodes()[n].outputs[0], conv.outputs[0]);
    changed = true;
  }
  return changed ? eliminate_dead_code(g) : input;
}

}  // namespace nas::passes
