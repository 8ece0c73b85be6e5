// A model compiled to native code for a target: the graph passes, one kernel per fused group
// (lower/lower_group.h) JIT-compiled by codegen, a static memory plan of the activations and
// the (pre-packed) weights. Runs at the target's thread count in its own oneTBB arena;
// inputs and outputs are plain NCHW tensors, as the graph declares them.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/tensor.h"
#include "compiler/lower/lower_group.h"
#include "compiler/target/target.h"

namespace nas::runtime {

struct CompileOptions {
  target::Target target;          // must be able to run here (target::can_run_here)
  lower::LowerOptions lowering;   // schedule choice for every kernel
  // Threads that compile the kernels (0: those of the caller's oneTBB arena). The code is
  // the same for any number.
  int compile_threads = 0;
};

class CompiledModel {
 public:
  // Throws UserError for a graph it cannot compile (naming the node) or a target that
  // cannot run here (saying why).
  static std::unique_ptr<CompiledModel> compile(const graph::Graph& graph,
                                                const CompileOptions& options);
  ~CompiledModel();

  // Outputs for these inputs (one per graph input, in order, of the declared types; a
  // mismatch is a UserError naming the input).
  std::vector<graph::Tensor> run(const std::vector<graph::Tensor>& inputs);
  // The same, into caller-owned outputs and without allocating: what latency measures.
  void run(const std::vector<const graph::Tensor*>& inputs,
           const std::vector<graph::Tensor*>& outputs);

  const target::Target& target() const;
  int64_t peak_activation_bytes() const;  // the memory plan's arena
  int64_t weight_bytes() const;           // packed weights
  double compile_seconds() const;         // passes + lowering + LLVM, wall time
  int kernel_count() const;
  // {"target", "kernels": [{"name", "family", "nodes", "schedule"}], "peak_activation_bytes",
  //  "weight_bytes", "compile_seconds"}
  nlohmann::json describe() const;

 private:
  CompiledModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nas::runtime
