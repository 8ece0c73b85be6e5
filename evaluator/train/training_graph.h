// Turns an inference model into the graph of one training step.
//
// The model is rebuilt for the training batch with every BatchNormalization in training
// mode (batch statistics; it then also yields the updated running statistics); a
// SoftmaxCrossEntropy loss against an int64 label input is added on the first output (the
// logits), and the gradients of the loss with respect to every trainable parameter are
// appended. Trainable parameters are the float constants the loss depends on, except
// batch-norm running statistics, which are state updated from the step's outputs.
#pragma once

#include <string>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::evaluator {

struct TrainingGraph {
  graph::Graph graph;
  graph::ValueId images = graph::kNoValue;   // the model's first input, at the batch size
  graph::ValueId labels = graph::kNoValue;   // i64 [batch]
  graph::ValueId loss = graph::kNoValue;
  graph::ValueId logits = graph::kNoValue;
  struct Parameter {
    std::string name;          // the constant's name, shared with the inference model
    graph::ValueId value;      // the constant in `graph`
    graph::ValueId gradient;   // its gradient in `graph`
  };
  std::vector<Parameter> parameters;
  struct RunningStat {
    std::string name;          // running mean or variance constant's name
    graph::ValueId value;      // the constant in `graph`
    graph::ValueId updated;    // the step's new value
  };
  std::vector<RunningStat> running_stats;
  // Graph outputs are, in order: loss, logits, each parameter's gradient, each updated
  // running statistic.
};

// With label_smoothing e > 0 the loss is the cross-entropy against labels smoothed as in
// Szegedy et al. (2016): (1 - e) * CE(label) + e * mean over classes of -log p.
TrainingGraph build_training_graph(const graph::Graph& model, int64_t batch,
                                   double label_smoothing = 0);

}  // namespace nas::evaluator
