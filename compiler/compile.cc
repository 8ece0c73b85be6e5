#include "compiler/compile.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/codegen/codegen.h"
#include "compiler/graph/dead_code.h"
#include "compiler/graph/printer.h"
#include "compiler/graph/verifier.h"
#include "compiler/passes/concat_in_place.h"
#include "compiler/passes/constant_folding.h"
#include "compiler/passes/divide_by_constants.h"
#include "compiler/passes/fold_batch_norm.h"
#include "compiler/passes/pad_channels.h"
#include "compiler/passes/scale_into_weights.h"
#include "compiler/passes/widen_groups.h"
#include "compiler/passes/winograd.h"
#include "compiler/passes/fusion.h"
#include "compiler/passes/layout.h"
#include "compiler/support/error.h"

namespace nas::compiler {

using graph::Graph;

namespace {

// One graph-to-graph pass, checked after it runs.
Graph run_pass(const char* name, const std::function<Graph(const Graph&)>& pass,
               const Graph& graph, const IrDump& dump) {
  Graph result = pass(graph);
  const std::vector<std::string> problems = graph::verify_graph(result);
  NAS_CHECK(problems.empty(), "pass {} left an invalid graph: {}", name, fmt::join(problems, "; "));
  dump.print(name, [&] { return graph::print_graph(result); });
  return result;
}

void check_dump(const IrDump& dump) {
  const std::vector<std::string>& steps = dump_steps();
  for (const std::string& step : dump.after)
    if (step != "all" && std::ranges::find(steps, step) == steps.end())
      user_error("cannot dump the IR after '{}': the steps are {}", step, fmt::join(steps, ", "));
}

// Kernel k of model `model`, anchored at op `op`: "<model>_k<k>_<op>".
std::string kernel_name(const Graph& graph, const passes::FusedGroup& group, size_t k) {
  std::string op = graph.nodes()[static_cast<size_t>(group.anchor)].op_name();
  std::ranges::transform(op, op.begin(), [](unsigned char c) { return std::tolower(c); });
  return fmt::format("{}_k{}_{}", lower::c_identifier(graph.name()), k, op);
}

std::vector<lower::LoweredKernel> lower_groups(const Graph& graph,
                                               const passes::FusionPlan& fusion,
                                               const passes::LayoutPlan& layout,
                                               const CompileOptions& options) {
  lower::LowerOptions group_options = options.lowering;
  group_options.channel_blocks = layout.channel_blocks;
  std::vector<lower::LoweredKernel> kernels;
  for (size_t k = 0; k < fusion.groups.size(); ++k)
    kernels.push_back(lower::lower_group(graph, fusion.groups[k], options.target,
                                         kernel_name(graph, fusion.groups[k], k), group_options));
  return kernels;
}

std::string print_kernels(const std::vector<lower::LoweredKernel>& kernels) {
  std::string text;
  for (const lower::LoweredKernel& k : kernels) text += lower::print_kernel(k);
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const std::vector<std::string>& dump_steps() {
  static const std::vector<std::string> steps = {
      "fold_batch_norm", "constant_folding", "divide_by_constants", "dead_code", "pad_channels",
      "widen_groups", "winograd", "scale_into_weights", "fusion", "layout", "lower", "llvm"};
  return steps;
}

bool IrDump::wants(std::string_view step) const {
  return std::ranges::any_of(after, [&](const std::string& s) { return s == "all" || s == step; });
}

void IrDump::write(std::string_view step, const std::string& text) const {
  std::ostream& out = to ? *to : std::cerr;
  out << "// IR after " << step << "\n" << text << std::flush;
}

IrDump parse_ir_dump(std::string_view spec, std::string_view source) {
  IrDump dump;
  const std::vector<std::string>& steps = dump_steps();
  std::stringstream list{std::string(spec)};
  for (std::string item; std::getline(list, item, ',');) {
    const std::string step = item.starts_with("after-") ? item.substr(6) : item;
    if (step != "all" && (!item.starts_with("after-") ||
                          std::ranges::find(steps, step) == steps.end()))
      user_error("{}: '{}' is neither 'all' nor after-<step>; the steps are {}", source, item,
                 fmt::join(steps, ", "));
    dump.after.push_back(step);
  }
  return dump;
}

OptimizedGraph optimize_graph(const Graph& source, const IrDump& dump,
                              const GraphPassOptions& options) {
  check_dump(dump);
  graph::verify_or_throw(source);
  Graph g = run_pass("fold_batch_norm", passes::fold_batch_norm, source, dump);
  g = run_pass("constant_folding", passes::fold_constants, g, dump);
  g = run_pass("divide_by_constants", passes::divide_by_constants, g, dump);
  g = run_pass("dead_code", graph::eliminate_dead_code, g, dump);
  // Before the Winograd rewrite and the gates' fold, which both take a convolution's
  // weights out of the constants that it pads; before widen_groups, whose merge of groups
  // needs their count padded (RegNetY's 55 groups of 8 channels: 56 of them make 28 of 16).
  g = run_pass("pad_channels",
               [&](const Graph& in) {
                 return passes::pad_channels(in, options.pad_lanes, options.full_vector_padding);
               },
               g, dump);
  g = run_pass("widen_groups",
               [&](const Graph& in) { return passes::widen_groups(in, options.group_lanes); }, g,
               dump);
  g = run_pass("winograd",
               [&](const Graph& in) { return passes::rewrite_winograd(in, options.winograd); }, g,
               dump);
  g = run_pass("scale_into_weights",
               [&](const Graph& in) {
                 return options.scale_into_weights ? passes::scale_into_weights(in) : in;
               },
               g, dump);
  NAS_CHECK(g.inputs().size() == source.inputs().size() &&
                g.outputs().size() == source.outputs().size(),
            "the graph passes changed the inputs or outputs of '{}'", source.name());
  passes::FusionPlan fusion = passes::plan_fusion(g);
  dump.print("fusion", [&] { return passes::print_fusion_plan(g, fusion); });
  return OptimizedGraph{std::move(g), std::move(fusion)};
}

// The Winograd rewrite the target's schedule constants ask for (none where the options
// turn it off).
passes::WinogradOptions winograd_options(const CompileOptions& options) {
  if (!options.lowering.winograd) return {};
  const target::ScheduleParams params =
      options.lowering.schedule_params.value_or(options.target.schedule);
  return {.tile = params.winograd_tile,
          .min_channels = params.winograd_min_channels,
          .min_tiles = params.winograd_min_tiles,
          .keep_direct = options.lowering.winograd_direct};
}

runtime::LoweredModel lower_model(const Graph& graph, const CompileOptions& options) {
  const int lanes = options.target.vector_lanes;
  OptimizedGraph optimized = optimize_graph(
      graph, options.dump,
      {.winograd = winograd_options(options),
       .group_lanes = lanes,
       .pad_lanes = options.lowering.blocked_layout && options.lowering.pad_channels ? lanes : 0,
       .full_vector_padding =
           options.lowering.schedule_params.value_or(options.target.schedule).full_vector_padding,
       .scale_into_weights = options.lowering.scale_into_weights});
  const Graph& g = optimized.graph;
  passes::LayoutPlan layout;
  if (options.lowering.blocked_layout)
    layout = passes::plan_layouts(g, optimized.fusion, options.target.vector_lanes);
  options.dump.print("layout", [&] { return passes::print_layout_plan(g, layout); });
  passes::ConcatInPlace in_place = passes::plan_concat_in_place(g, optimized.fusion, layout);
  passes::FusionPlan fusion = passes::without_groups(optimized.fusion, in_place.groups);
  std::vector<lower::LoweredKernel> kernels = lower_groups(g, fusion, layout, options);
  options.dump.print("lower", [&] { return print_kernels(kernels); });
  return runtime::assemble_model(
      std::move(optimized.graph), std::move(fusion), std::move(layout), std::move(kernels),
      options.target, options.lowering.schedule_params.value_or(options.target.schedule),
      std::move(in_place.views));
}

std::unique_ptr<runtime::CompiledModel> compile_model(const Graph& graph,
                                                      const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (!target::can_run_here(options.target))
    throw UserError(target::why_not_runnable(options.target));
  if (options.target.threads < 1)
    user_error("target '{}': threads must be at least 1, got {}", options.target.name,
               options.target.threads);
  runtime::LoweredModel lowered = lower_model(graph, options);
  const std::vector<loop::LoweredFunc> funcs = lowered.functions();
  options.dump.print("llvm", [&] { return codegen::emit_llvm_ir(funcs, options.target, true); });
  std::unique_ptr<codegen::JitModule> code =
      codegen::JitModule::compile(funcs, options.target, options.compile_threads);
  return runtime::CompiledModel::load(std::move(lowered), std::move(code), seconds_since(start));
}

runtime::LoweredModel compile_object_file(const Graph& graph, const CompileOptions& options,
                                          const std::string& path) {
  runtime::LoweredModel lowered = lower_model(graph, options);
  const std::vector<loop::LoweredFunc> funcs = lowered.functions();
  options.dump.print("llvm", [&] { return codegen::emit_llvm_ir(funcs, options.target, true); });
  codegen::write_object_file(funcs, options.target, path, options.compile_threads);
  return lowered;
}

}  // namespace nas::compiler
