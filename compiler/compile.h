// The compiler's pipeline, from a graph to native code, as one list of steps (compile.cc
// reads top to bottom as that list, the way Halide's Lower.cpp does):
//
//   verify             the input graph is well formed (a UserError otherwise)
//   fold_batch_norm    inference batch norms folded into the convolutions before them
//   constant_folding   nodes of constants computed at compile time (shape arithmetic)
//   dead_code          nodes no output needs removed
//   fusion             the nodes grouped into kernels (passes/fusion.h)
//   layout             the activations stored NCHW[x]c between kernels (passes/layout.h)
//   lower              each group to one loop IR function with its schedule (lower/)
//   (memory plan)      activation arena and packed weights (runtime/lowered_model.h)
//   llvm               LLVM IR, optimized for the target's CPU (codegen/)
//   (machine code)     ORC JIT for a CompiledModel, or an object file
//
// The IR after each named step can be printed (IrDump; the `nas` command line turns
// NAS_DUMP_IR=after-<step>,... into one). Nothing here reads the environment.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/lower/lower_group.h"
#include "compiler/passes/fusion_plan.h"
#include "compiler/passes/winograd.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/target/target.h"

namespace nas::compiler {

// The steps whose IR can be printed, in the order they run.
const std::vector<std::string>& dump_steps();

// Which IR to print, and where.
struct IrDump {
  std::vector<std::string> after;  // names of dump_steps(), or "all"
  std::ostream* to = nullptr;      // nullptr: stderr

  bool wants(std::string_view step) const;
  // Prints `text()` under a "// IR after <step>" line when the step is wanted (the text is
  // made only then).
  template <class MakeText>
  void print(std::string_view step, MakeText&& text) const {
    if (wants(step)) write(step, text());
  }

 private:
  void write(std::string_view step, const std::string& text) const;
};

// An IrDump from the syntax of NAS_DUMP_IR: a comma-separated list of "after-<step>" or
// "all" (empty: nothing). A UserError names `source` and lists the steps.
IrDump parse_ir_dump(std::string_view spec, std::string_view source = "NAS_DUMP_IR");

struct CompileOptions {
  target::Target target;
  lower::LowerOptions lowering;  // schedule choice and layout for every kernel
  // Threads that compile the kernels (0: those of the caller's oneTBB arena). The code is
  // the same for any number.
  int compile_threads = 0;
  IrDump dump;
};

// The graph after the graph passes, and its kernels' groups.
struct OptimizedGraph {
  graph::Graph graph;
  passes::FusionPlan fusion;
};

// The graph passes that depend on the target or that options turn off; by default none.
struct GraphPassOptions {
  // Which 3x3 convolutions become WinogradConv (passes/winograd.h).
  passes::WinogradOptions winograd;
  // The vector lanes that grouped convolutions' groups are widened to
  // (passes/widen_groups.h) and that channel counts are padded for (passes/pad_channels.h).
  int group_lanes = 0;
  int pad_lanes = 0;
  double full_vector_padding = 0;  // ScheduleParams::full_vector_padding
  // Whether per-channel gates move into the next convolution's weights
  // (passes/scale_into_weights.h).
  bool scale_into_weights = false;
};

// The steps up to fusion. A UserError for an invalid graph; a pass that breaks an
// invariant of graph.h is an internal error naming it.
OptimizedGraph optimize_graph(const graph::Graph& graph, const IrDump& dump = {},
                              const GraphPassOptions& passes = {});

// The steps up to machine code: every kernel lowered with its schedule, the memory plan
// and the packed weights. Any target LLVM knows; a UserError names a node it cannot lower.
runtime::LoweredModel lower_model(const graph::Graph& graph, const CompileOptions& options);

// The whole pipeline into native code run here. A UserError for a graph it cannot compile
// (naming the node) or a target that cannot run here (saying why).
std::unique_ptr<runtime::CompiledModel> compile_model(const graph::Graph& graph,
                                                      const CompileOptions& options);

// The whole pipeline into an object file at `path`, for any target LLVM knows; returns the
// lowered model (its description and weights are what a program linking the file needs).
runtime::LoweredModel compile_object_file(const graph::Graph& graph, const CompileOptions& options,
                                          const std::string& path);

}  // namespace nas::compiler
