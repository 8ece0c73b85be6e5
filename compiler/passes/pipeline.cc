#include "compiler/passes/pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/printer.h"
#include "compiler/graph/verifier.h"
#include "compiler/passes/constant_folding.h"
#include "compiler/passes/fold_batch_norm.h"
#include "compiler/passes/fusion.h"
#include "compiler/support/error.h"

namespace nas::passes {

using namespace graph;

namespace {

constexpr std::string_view kFusionStep = "fusion";

void check_dump_steps(const PipelineOptions& options) {
  const std::vector<std::string> steps = dump_steps();
  for (const std::string& step : options.dump_after)
    if (step != "all" && std::ranges::find(steps, step) == steps.end())
      user_error("cannot dump the IR after '{}': the steps are {}", step, fmt::join(steps, ", "));
}

}  // namespace

std::vector<std::string> dump_steps() {
  std::vector<std::string> names;
  for (const Pass& pass : graph_passes()) names.push_back(pass.name);
  names.emplace_back(kFusionStep);
  names.emplace_back("layout");
  names.emplace_back("lower");
  names.emplace_back("llvm");
  return names;
}

bool wants_dump(const PipelineOptions& options, std::string_view step) {
  return std::ranges::any_of(options.dump_after,
                             [&](const std::string& s) { return s == "all" || s == step; });
}

void dump_ir(const PipelineOptions& options, std::string_view step, const std::string& text) {
  std::ostream& out = options.dump_to ? *options.dump_to : std::cerr;
  out << "// IR after " << step << "\n" << text << std::flush;
}

const std::vector<Pass>& graph_passes() {
  static const std::vector<Pass> passes = {
      {"fold_batch_norm", fold_batch_norm},
      {"constant_folding", fold_constants},
      {"dead_code", eliminate_dead_code},
  };
  return passes;
}

PipelineOptions pipeline_options_from_env() {
  PipelineOptions options;
  const char* env = std::getenv("NAS_DUMP_IR");
  if (!env || !*env) return options;
  const std::vector<std::string> steps = dump_steps();
  std::stringstream list(env);
  for (std::string item; std::getline(list, item, ',');) {
    const std::string step = item.starts_with("after-") ? item.substr(6) : item;
    if (step != "all" && (!item.starts_with("after-") ||
                          std::ranges::find(steps, step) == steps.end()))
      user_error("NAS_DUMP_IR: '{}' is neither 'all' nor after-<step>; the steps are {}", item,
                 fmt::join(steps, ", "));
    options.dump_after.push_back(step);
  }
  return options;
}

PipelineResult run_graph_pipeline(Graph graph, const PipelineOptions& options) {
  check_dump_steps(options);
  for (const Pass& pass : graph_passes()) {
    graph = pass.run(graph);
    const std::vector<std::string> problems = verify_graph(graph);
    NAS_CHECK(problems.empty(), "pass {} left an invalid graph: {}", pass.name,
              fmt::join(problems, "; "));
    if (wants_dump(options, pass.name)) dump_ir(options, pass.name, print_graph(graph));
  }
  FusionPlan plan = plan_fusion(graph);
  if (wants_dump(options, kFusionStep)) dump_ir(options, kFusionStep, print_fusion_plan(graph, plan));
  return PipelineResult{std::move(graph), std::move(plan)};
}

}  // namespace nas::passes
