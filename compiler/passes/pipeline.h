// The graph pipeline: the passes an inference graph goes through before lowering, as one
// list, with a way to print the IR after each step.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/passes/fusion_plan.h"

namespace nas::passes {

struct Pass {
  std::string name;
  std::function<graph::Graph(const graph::Graph&)> run;
};

// The graph-to-graph passes in the order they run. Fusion planning follows them as the
// final step, named "fusion".
const std::vector<Pass>& graph_passes();

// The steps whose IR can be printed, in order: the graph passes, "fusion", then the
// compiler's steps after the graph pipeline (runtime/lowered_model.cc, compiled_model.cc):
// "layout" (the activations stored NCHW[x]c, passes/layout.h), "lower" (each kernel's loop
// IR) and "llvm" (the optimized LLVM IR of the module).
std::vector<std::string> dump_steps();

struct PipelineOptions {
  // Print the IR after these steps (dump_steps(), or "all"), to `dump_to`.
  std::vector<std::string> dump_after;
  std::ostream* dump_to = nullptr;  // nullptr: stderr
};

// Whether `options` asks for the IR after `step`, and printing it there under a
// "// IR after <step>" line. For the steps that run outside run_graph_pipeline.
bool wants_dump(const PipelineOptions& options, std::string_view step);
void dump_ir(const PipelineOptions& options, std::string_view step, const std::string& text);

// Options from NAS_DUMP_IR: a comma-separated list of "after-<step>" or "all", e.g.
// NAS_DUMP_IR=after-fold_batch_norm,after-fusion. An unknown step is a UserError that
// lists the steps.
PipelineOptions pipeline_options_from_env();

struct PipelineResult {
  graph::Graph graph;
  FusionPlan fusion;
};

// Runs the passes, checks the graph after each (a pass that breaks an invariant of graph.h
// is an internal error naming it), and plans fusion on the result.
PipelineResult run_graph_pipeline(graph::Graph graph, const PipelineOptions& options = {});

}  // namespace nas::passes
