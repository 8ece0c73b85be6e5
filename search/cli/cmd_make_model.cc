// `nas make-model small-cnn -o MODEL.onnx [--seed S] [--batch B] [--sample-input X.npy]`:
// writes a reference model the repository defines, with seeded weights, as ONNX; the
// sample input is real Fashion-MNIST test images where the data set is installed.
// `nas make-model --space FILE --arch STRING -o MODEL.onnx [--batch B]` writes one
// architecture of a search space instead, with the weights its template draws from the
// architecture's hash (untrained: for compiling and timing, not for accuracy).
#include <cstring>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "compiler/graph/npy.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "evaluator/data/dataset.h"
#include "evaluator/models/small_cnn.h"
#include "search/cli/commands.h"
#include "space/space_file.h"

namespace nas::cli {

namespace {

struct MakeModelArgs {
  std::string name;
  std::string space;
  std::string arch;
  std::string output;
  std::string sample_input;
  uint64_t seed = 0;
  int64_t batch = 1;
};

// The first `batch` Fashion-MNIST test images, normalised as in training; seeded noise
// when the data set is not installed.
graph::Tensor sample_images(int64_t batch, uint64_t seed, std::string& source) {
  graph::Tensor t(graph::DType::F32, {batch, 1, 28, 28});
  evaluator::DataOptions options;
  const auto folder = evaluator::fashion_mnist_folder(options);
  try {
    const evaluator::Dataset test = evaluator::load_idx_dataset(
        folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz",
        evaluator::kFashionMnistClasses, options.normalization);
    std::memcpy(t.raw(), test.images.data(), static_cast<size_t>(t.nbytes()));
    source = fmt::format("the first {} Fashion-MNIST test image(s)", batch);
  } catch (const UserError&) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal;
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    source = fmt::format("seeded noise (Fashion-MNIST not found in {})", folder.string());
  }
  return t;
}

graph::Graph build_model(const MakeModelArgs& a) {
  if (a.name.empty() == a.space.empty())
    user_error("give either a model name (small-cnn) or --space FILE with --arch STRING");
  if (!a.space.empty()) {
    if (a.arch.empty()) user_error("--space needs --arch STRING");
    const space::SearchSpace space = space::load_space(a.space);
    return space.decode(space.parse(a.arch), a.batch);
  }
  if (!a.arch.empty()) user_error("--arch needs --space FILE");
  if (a.name != "small-cnn") user_error("unknown model '{}' (expected small-cnn)", a.name);
  return evaluator::small_cnn(a.seed, a.batch);
}

void run_make_model(const MakeModelArgs& a) {
  check_destination(a.output);
  if (!a.sample_input.empty()) check_destination(a.sample_input);
  const graph::Graph model = build_model(a);
  onnx_io::export_onnx(model, a.output);
  std::cout << fmt::format("wrote {}: {} parameters, {} FLOPs\n", a.output,
                           model.parameter_count(), model.flops());
  if (!a.sample_input.empty()) {
    const graph::Shape& in = model.type(model.inputs()[0]).shape;
    if (in != graph::Shape{a.batch, 1, 28, 28})
      user_error("--sample-input writes Fashion-MNIST images, but the model's input is not "
                 "[{},1,28,28]", a.batch);
    std::string source;
    write_npy(a.sample_input, sample_images(a.batch, a.seed, source));
    std::cout << fmt::format("wrote {}: {}\n", a.sample_input, source);
  }
}

}  // namespace

void add_make_model_command(CLI::App& app) {
  auto a = std::make_shared<MakeModelArgs>();
  auto* cmd = app.add_subcommand("make-model", "Write a reference model as ONNX");
  cmd->add_option("name", a->name, "small-cnn: the small Fashion-MNIST CNN");
  cmd->add_option("--space", a->space, "Search-space YAML file (instead of a name)");
  cmd->add_option("--arch", a->arch, "Architecture of --space, as `nas space --sample` prints it");
  cmd->add_option("-o,--output", a->output, "ONNX file to write")->required();
  cmd->add_option("--seed", a->seed,
                  "Seeds the weights of small-cnn (an architecture's come from its hash)")
      ->capture_default_str();
  cmd->add_option("--batch", a->batch, "Batch of the model's input")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sample-input", a->sample_input, "Also write a sample input as .npy");
  cmd->callback([a] { run_make_model(*a); });
}

}  // namespace nas::cli
