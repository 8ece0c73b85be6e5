#include "evaluator/train/training_graph.h"

#include <set>

#include "compiler/graph/autodiff.h"
#include "compiler/graph/rebuild.h"
#include "compiler/support/error.h"

namespace nas::evaluator {

using namespace graph;

TrainingGraph build_training_graph(const Graph& model, int64_t batch, double label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing < 1))
    user_error("label smoothing must be in [0, 1), got {}", label_smoothing);
  if (model.inputs().size() != 1)
    user_error("model '{}' has {} inputs; training needs exactly one (the images)", model.name(),
               model.inputs().size());
  if (model.outputs().empty()) user_error("model '{}' has no outputs", model.name());
  const Graph rebatched = with_batch_size(model, batch);

  RebuildOptions options;
  options.edit_attrs = [](const Graph&, const Node& node, Attrs& attrs) {
    if (node.op_name() == "BatchNormalization") attrs.set("training_mode", int64_t{1});
  };
  Rebuilt rebuilt = rebuild_graph(rebatched, options);
  TrainingGraph t{std::move(rebuilt.graph)};
  Graph& g = t.graph;
  t.images = g.inputs()[0];
  t.logits = g.outputs()[0];
  const TensorType& logits = g.type(t.logits);
  if (logits.rank() != 2 || logits.shape[0] != batch)
    user_error("model '{}': output '{}' is {}, training needs logits [batch, classes]",
               model.name(), g.value(t.logits).name, logits.str());
  t.labels = g.add_input("labels", {DType::I64, {batch}});

  // Running statistics: inputs 3 and 4 of each batch norm, updated by its outputs 1 and 2.
  std::set<ValueId> state;
  for (size_t n = 0; n < rebatched.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (node.op_name() != "BatchNormalization") continue;
    const std::vector<ValueId>& outs = rebuilt.node_outputs[n];
    NAS_CHECK(outs.size() == 3, "training-mode BatchNormalization has {} outputs", outs.size());
    for (int k = 0; k < 2; ++k) {
      const ValueId stat = node.inputs[3 + k];
      if (!g.is_constant(stat))
        user_error("node '{}' (BatchNormalization): running statistic '{}' must be a constant",
                   node.name, g.value(stat).name);
      state.insert(stat);
      t.running_stats.push_back({g.value(stat).name, stat, outs[1 + k]});
    }
  }
  std::vector<ValueId> params;
  for (const auto& [id, tensor] : g.constants())
    if (tensor.dtype() == DType::F32 && !state.count(id)) params.push_back(id);

  // The loss comes after the parameters are listed: its constants are not trained.
  const std::vector<ValueId> cross_entropy =
      g.add_node("SoftmaxCrossEntropy", {t.logits, t.labels}, {}, "loss");
  t.loss = cross_entropy[0];
  if (label_smoothing > 0) {
    const auto scalar = [&](const std::string& name, double value) {
      return g.add_constant(g.fresh_name(name), Tensor::scalar_f32(static_cast<float>(value)));
    };
    const ValueId mean_log_prob = g.add("ReduceMean", {cross_entropy[1]},
                                        {{"keepdims", int64_t{0}}}, "loss.mean_log_prob");
    t.loss = g.add("Sub",
                   {g.add("Mul", {t.loss, scalar("loss.keep", 1 - label_smoothing)}),
                    g.add("Mul", {mean_log_prob, scalar("loss.spread", label_smoothing)})},
                   {}, "loss.smoothed");
  }
  std::vector<ValueId> grads = append_gradients(g, t.loss, params);
  for (size_t i = 0; i < params.size(); ++i)
    t.parameters.push_back({g.value(params[i]).name, params[i], grads[i]});

  g.set_outputs({t.loss, t.logits});
  for (const auto& p : t.parameters) g.add_output(p.gradient);
  for (const auto& s : t.running_stats) g.add_output(s.updated);
  return t;
}

}  // namespace nas::evaluator
