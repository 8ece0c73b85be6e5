// A model compiled to native code for a target (compiler/compile.h makes one): the lowered
// model (its kernels, static memory plan of the activations and pre-packed weights) and the
// JIT's code for its kernels. Runs at the target's thread count in its own oneTBB arena;
// inputs and outputs are plain NCHW tensors, as the graph declares them.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/tensor.h"
#include "compiler/codegen/codegen.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/target/target.h"

namespace nas::runtime {

class CompiledModel {
 public:
  // Runs `lowered`'s kernels from `code`, which holds every one of them; `compile_seconds`
  // is what making both took.
  static std::unique_ptr<CompiledModel> load(LoweredModel lowered,
                                             std::unique_ptr<codegen::JitModule> code,
                                             double compile_seconds);
  ~CompiledModel();

  // Outputs for these inputs (one per graph input, in order, of the declared types; a
  // mismatch is a UserError naming the input).
  std::vector<graph::Tensor> run(const std::vector<graph::Tensor>& inputs);
  // The same, into caller-owned outputs and without allocating: what latency measures.
  void run(const std::vector<const graph::Tensor*>& inputs,
           const std::vector<graph::Tensor*>& outputs);
  // The same run, timing each kernel as it runs in order (caches as a real run leaves
  // them): milliseconds per kernel, in the order of describe()'s "kernels".
  std::vector<double> run_timed(const std::vector<const graph::Tensor*>& inputs,
                                const std::vector<graph::Tensor*>& outputs);

  const target::Target& target() const;
  const graph::Graph& graph() const;  // as the graph passes left it
  int64_t peak_activation_bytes() const;  // the memory plan's arena
  int64_t weight_bytes() const;           // packed weights
  double compile_seconds() const;         // passes + lowering + LLVM, wall time
  int kernel_count() const;
  // {"target", "kernels": [{"name", "family", "nodes", "schedule"}], "peak_activation_bytes",
  //  "weight_bytes", "compile_seconds"}
  nlohmann::json describe() const;

 private:
  CompiledModel();
  void run_kernels(const std::vector<const graph::Tensor*>& inputs,
                   const std::vector<graph::Tensor*>& outputs, std::vector<double>* ms);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nas::runtime
