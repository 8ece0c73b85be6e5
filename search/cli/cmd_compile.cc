// `nas compile MODEL.onnx --target T -o OUT`: compiles an ONNX model for any target LLVM
// knows (runnable here or not) into OUT.o, an object file with one function per kernel,
// OUT.weights.bin, the weights as the kernels read them, and OUT.json, what a program needs
// to call them: the kernels in run order with their parameters (where each lives: the
// activation arena or the weight block, at which offset), the inputs and outputs.
#include <chrono>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "search/cli/commands.h"
#include "search/cli/compile_options.h"

namespace nas::cli {

namespace {

struct CompileArgs {
  std::string model;
  std::string out;
  std::vector<std::string> shapes;
  TargetArgs target;
};

void write_bytes(const std::string& path, const void* data, int64_t size) {
  write_file_atomically(path, std::string_view(static_cast<const char*>(data),
                                               static_cast<size_t>(size)));
}

void compile(const CompileArgs& args) {
  const std::string stem =
      args.out.ends_with(".o") ? args.out.substr(0, args.out.size() - 2) : args.out;
  check_destination(stem + ".o");
  const compiler::CompileOptions options = compile_options(args.target);
  const graph::Graph model = import_with_shapes(args.model, args.shapes);

  const auto start = std::chrono::steady_clock::now();
  const runtime::LoweredModel lowered = compiler::compile_object_file(model, options, stem + ".o");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  write_bytes(stem + ".weights.bin", lowered.weights.data(), lowered.weight_bytes());
  nlohmann::json description = lowered.describe();
  description["object_file"] = stem + ".o";
  description["weights_file"] = stem + ".weights.bin";
  description["compile_seconds"] = seconds;
  description["calling_convention"] =
      "each kernel is extern \"C\" void NAME(void* const* args), args[i] pointing at its i-th "
      "parameter: 64-byte-aligned memory at `offset` in an activation arena of "
      "peak_activation_bytes (in: arena) or in the weights file loaded to 64-byte-aligned "
      "memory (in: weights); run the kernels in order after writing the inputs at their "
      "offsets, then read the outputs at theirs; parallel loops call "
      "nas_parallel_for(int32_t n, void (*body)(void*, int32_t), void* closure), which the "
      "program provides";
  const std::string json_text = description.dump(2) + "\n";
  write_bytes(stem + ".json", json_text.data(), static_cast<int64_t>(json_text.size()));
  std::cout << fmt::format(
      "compiled {} for {}: {} kernel{} in {:.3f} s -> {}.o, {}.json, {}.weights.bin "
      "(activations {} bytes, weights {} bytes)\n",
      args.model, options.target.str(), lowered.kernels.size(),
      lowered.kernels.size() == 1 ? "" : "s", seconds, stem, stem, stem,
      lowered.activations.arena_bytes, lowered.weight_bytes());
}

}  // namespace

void add_compile_command(CLI::App& app) {
  auto args = std::make_shared<CompileArgs>();
  auto* cmd = app.add_subcommand(
      "compile", "Compile an ONNX model for a target into an object file, its weights and a "
                 "JSON description of its kernels");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--output,-o", args->out, "Output stem: writes OUT.o, OUT.json, OUT.weights.bin")
      ->required();
  cmd->add_option("--shape", args->shapes,
                  "Input shape NAME=1x3x28x28 (or just the shape for a one-input model); "
                  "default: the model's, batch 1 where the batch is symbolic")
      ->allow_extra_args(false);
  add_target_options(cmd, args->target);
  cmd->callback([args] { compile(*args); });
}

}  // namespace nas::cli
