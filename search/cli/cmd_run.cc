// `nas run MODEL.onnx --input X.npy [--input name=Y.npy ...] [--output Y.npy ...]`: imports
// an ONNX model with its input shapes taken from the .npy files (so symbolic dims resolve),
// compiles it for the target (host by default) and runs the compiled code, or the reference
// executor with --reference, and writes or prints the outputs.
#include <filesystem>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/printer.h"
#include <tbb/task_arena.h>

#include "compiler/graph/npy.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/compile.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "search/cli/commands.h"
#include "search/cli/compile_options.h"

namespace nas::cli {

namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  bool reference = false;
  bool print_graph = false;
  TargetArgs target;
};

// "name=path" names its tensor; a plain path (or an existing file whose name has '=')
// is positional.
std::pair<std::string, std::string> split_binding(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || std::filesystem::exists(arg)) return {"", arg};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

std::string print_values(const graph::Tensor& t, int64_t count) {
  std::string out;
  const int64_t n = std::min(count, t.numel());
  for (int64_t i = 0; i < n; ++i)
    out += fmt::format("{}{}", i ? " " : "", t.dtype() == graph::DType::I64
                                                 ? fmt::format("{}", static_cast<int64_t>(t.at(i)))
                                                 : fmt::format("{:.6g}", t.at(i)));
  if (t.numel() > n) out += " ...";
  return out;
}

void run(const RunArgs& args) {
  const compiler::CompileOptions compile = compile_options(args.target);
  if (!args.reference) require_runnable(compile.target);
  // Match the data to the model's inputs by position or by name.
  const std::vector<onnx_io::OnnxInputInfo> declared = onnx_io::onnx_graph_inputs(args.model);
  std::vector<std::string> names;
  for (const auto& in : declared) names.push_back(in.name);
  std::map<std::string, std::string> paths;  // input name -> .npy path
  size_t position = 0;
  for (const std::string& arg : args.inputs) {
    auto [name, path] = split_binding(arg);
    if (name.empty()) {
      if (position >= declared.size())
        user_error("--input {}: the model takes {} input{} ({})", arg, declared.size(),
                   declared.size() == 1 ? "" : "s", fmt::join(names, ", "));
      name = declared[position++].name;
    } else if (std::find(names.begin(), names.end(), name) == names.end()) {
      user_error("--input {}: the model has no input '{}' (inputs: {})", arg, name,
                 fmt::join(names, ", "));
    }
    if (paths.count(name)) user_error("--input {}: input '{}' is given twice", arg, name);
    paths[name] = path;
  }
  onnx_io::ImportOptions options;
  std::map<std::string, graph::Tensor> data;
  for (const auto& in : declared) {
    auto it = paths.find(in.name);
    if (it == paths.end())
      user_error("input '{}' ({}) is missing; pass --input {}=FILE.npy", in.name, in.type, in.name);
    graph::Tensor t = read_npy(it->second);
    options.input_shapes[in.name] = t.shape();
    data.emplace(in.name, std::move(t));
  }

  const graph::Graph g = onnx_io::import_onnx(args.model, options);
  if (args.print_graph) std::cerr << graph::print_graph(g);
  // Output files: a plain path for the first output, name=path for any; checked before
  // the model runs.
  std::map<size_t, std::string> out_paths;
  for (const std::string& arg : args.outputs) {
    auto [name, path] = split_binding(arg);
    size_t index = 0;
    if (!name.empty()) {
      auto found = std::find_if(g.outputs().begin(), g.outputs().end(),
                                [&, &name = name](graph::ValueId v) {
                                  return g.value(v).name == name;
                                });
      if (found == g.outputs().end()) {
        std::vector<std::string> out_names;
        for (graph::ValueId v : g.outputs()) out_names.push_back(g.value(v).name);
        user_error("--output {}: the model has no output '{}' (outputs: {})", arg, name,
                   fmt::join(out_names, ", "));
      }
      index = static_cast<size_t>(found - g.outputs().begin());
    }
    if (out_paths.count(index))
      user_error("--output {}: output '{}' is given twice", arg, g.value(g.outputs()[index]).name);
    check_destination(path);
    out_paths[index] = path;
  }
  std::vector<graph::Tensor> inputs;
  for (graph::ValueId v : g.inputs()) inputs.push_back(data.at(g.value(v).name));
  std::vector<graph::Tensor> outputs;
  if (args.reference) {
    tbb::task_arena arena(compile.target.threads);
    arena.execute([&] { outputs = graph::run_reference(g, inputs); });
  } else {
    outputs = compiler::compile_model(g, compile)->run(inputs);
  }

  if (out_paths.empty()) {
    for (size_t o = 0; o < outputs.size(); ++o)
      std::cout << fmt::format("{}: {} = {}\n", g.value(g.outputs()[o]).name,
                               outputs[o].type().str(), print_values(outputs[o], 8));
    return;
  }
  for (const auto& [index, path] : out_paths) write_npy(path, outputs[index]);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run an ONNX model on .npy inputs");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--input,-i", args->inputs,
                  "Input .npy file: PATH (by position) or NAME=PATH; the input shapes are "
                  "taken from the files")
      ->allow_extra_args(false);
  cmd->add_option("--output,-o", args->outputs,
                  "Output .npy file: PATH (the first output) or NAME=PATH; without it the "
                  "outputs are printed")
      ->allow_extra_args(false);
  cmd->add_flag("--reference", args->reference,
                "Run the reference executor instead of the compiled code (on the target's "
                "threads)");
  add_target_options(cmd, args->target);
  cmd->add_flag("--print-graph", args->print_graph, "Print the imported graph to stderr");
  cmd->callback([args] { run(*args); });
}

}  // namespace nas::cli
