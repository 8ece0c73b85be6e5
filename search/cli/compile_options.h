// What `nas run`, `nas compile`, `nas bench` and `nas tune` share: the target options
// (--target, --threads, --schedule, --layout, --winograd, --records) and importing an ONNX model whose input shapes come from --shape or,
// for a symbolic batch dimension alone, batch 1.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/graph/graph.h"
#include "compiler/compile.h"

namespace nas::cli {

struct TargetArgs {
  std::string target = "host";
  int threads = 0;  // 0: the target's own
  std::string schedule = "default";
  std::string layout = "blocked";
  std::string winograd = "on";
  std::string records;  // tuning records to read (--records); empty: none
};

void add_target_options(CLI::App* cmd, TargetArgs& args);

// The target (named or a YAML file) with --threads, the schedule and layout choices, the
// tuned schedules of --records, and the IR to print from NAS_DUMP_IR. Throws UserError for
// an unknown target, schedule, layout or dump step, or a records file that is missing or
// not one; whether the target runs here is not checked.
compiler::CompileOptions compile_options(const TargetArgs& args);

// Exits with the reason (UserError) when the target cannot run on this machine.
void require_runnable(const target::Target& target);

// Imports `path`; each input's shape comes from `shapes` ("NAME=1x3x28x28" or, for a model
// with one input, "1x3x28x28"), else from the model, a symbolic first dimension being 1.
graph::Graph import_with_shapes(const std::string& path, const std::vector<std::string>& shapes);

}  // namespace nas::cli
