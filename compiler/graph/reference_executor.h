// Runs a verified graph node by node with the registry's reference kernels. This is the
// oracle every compiled kernel is tested against, so it is deliberately plain.
#pragma once

#include <map>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::graph {

struct ReferenceOptions {
  // F64 runs every f32 value in double precision (for finite-difference gradient checks).
  DType float_type = DType::F32;
  // Keep every intermediate value (for tests); otherwise values are freed after last use.
  bool keep_all = false;
};

class ReferenceExecutor {
 public:
  // Verifies the graph; throws UserError if it is invalid.
  explicit ReferenceExecutor(const Graph& graph, ReferenceOptions options = {});

  // Inputs in graph-input order. Wrong count, dtype or shape is a UserError naming the input.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // After run() with keep_all: every computed value by id (constants appear only when the
  // run converted them to another float type; otherwise they are read from the graph).
  const std::map<ValueId, Tensor>& values() const { return values_; }

 private:
  const Graph& graph_;
  ReferenceOptions options_;
  std::map<ValueId, Tensor> values_;
};

// One-call convenience.
std::vector<Tensor> run_reference(const Graph& graph, const std::vector<Tensor>& inputs,
                                  ReferenceOptions options = {});

}  // namespace nas::graph
