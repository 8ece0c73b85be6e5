// `nas train MODEL.onnx --data fashion-mnist --epochs E [...] [-o TRAINED.onnx] [--json]`
// (or `nas train --space FILE --arch STRING ...` for an architecture of a search space):
// trains a model's weights briefly (from the weights in the file), printing a line per
// epoch, then reports its metrics: parameters, FLOPs, peak activation memory, model size,
// latency at batch 1, validation (and optionally test) accuracy, training time and the
// median training step.
#include <iostream>

#include <fmt/format.h>

#include "compiler/onnx/onnx_export.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "evaluator/data/data_splits.h"
#include "evaluator/evaluate.h"
#include "evaluator/train/recipe.h"
#include "search/cli/commands.h"
#include "space/space_file.h"

namespace nas::cli {

namespace {

struct TrainArgs {
  std::string model;
  std::string arch;
  std::string space;
  std::string output;
  // The same recipe and data settings as an experiment config's `training:` and `data:`.
  evaluator::TrainingRecipe recipe;
  evaluator::DataSpec data;
  int threads = 1;
  std::string target = "host";
  bool reference = false;
  uint64_t seed = 0;
  std::string checkpoint;
  std::string resume;
  bool test = false;
  bool json = false;
};

void run_train(const TrainArgs& a) {
  if (a.model.empty() == a.space.empty())
    user_error("give either MODEL.onnx or --space FILE with --arch STRING");
  if (!a.space.empty() && a.arch.empty()) user_error("--space needs --arch STRING");
  // Where the results go, checked before the training that produces them.
  if (!a.output.empty()) check_destination(a.output);
  if (!a.checkpoint.empty()) check_destination(a.checkpoint);
  const graph::Graph model = a.model.empty() ? [&] {
    const space::SearchSpace space = space::load_space(a.space);
    return space.decode(space.parse(a.arch));
  }() : onnx_io::import_onnx(a.model);
  const evaluator::DataSplits data =
      evaluator::load_data_splits(a.data, a.seed, a.test, model);

  evaluator::EvaluationConfig config;
  evaluator::TrainingRecipe recipe = a.recipe;
  if (a.reference) recipe.trainer = "reference";
  config.train = recipe.train_config(a.seed, a.threads);
  config.train.target = a.target;
  config.targets = {{a.target, a.threads}};
  config.test_accuracy = a.test;
  if (!a.json)
    config.on_epoch = [](const evaluator::EpochProgress& p) {
      std::cout << fmt::format("epoch {}/{}  loss {:.4f}  lr {:.4g}  {:.1f} s\n", p.epoch,
                               p.epochs, p.loss, p.lr, p.seconds)
                << std::flush;
    };
  evaluator::TrainState state =
      a.resume.empty() ? evaluator::initial_state(model) : evaluator::load_checkpoint(a.resume);
  const evaluator::EvalResult r = evaluator::evaluate_candidate(model, data, config, &state);
  if (r.status == evaluator::EvalStatus::Failed) user_error("{}", r.reason);
  if (!a.output.empty()) onnx_io::export_onnx(evaluator::with_weights(model, state), a.output);
  if (!a.checkpoint.empty()) evaluator::save_checkpoint(state, a.checkpoint);

  if (a.json) {
    std::cout << r.to_json().dump(2) << "\n";
  } else {
    const auto& lat = r.latency.at(a.target);
    std::cout << fmt::format(
        "status            {}{}\n"
        "parameters        {}\n"
        "FLOPs             {}\n"
        "peak activations  {} bytes (batch 1)\n"
        "model size        {} bytes\n"
        "latency           {:.3f} ms median [{:.3f}-{:.3f}] at batch 1, {} thread(s), "
        "compiled for {}\n"
        "val accuracy      {}\n",
        evaluator::status_name(r.status), r.reason.empty() ? "" : " (" + r.reason + ")",
        r.cost.parameters, r.cost.flops, r.cost.peak_activation_bytes, r.cost.model_bytes,
        lat.median_ms, lat.min_ms, lat.max_ms, lat.threads, a.target,
        data.validation.n > 0 ? fmt::format("{:.4f} ({} samples)", r.accuracy, data.validation.n)
                              : std::string("n/a (no validation split)"));
    if (r.test_accuracy)
      std::cout << fmt::format("test accuracy     {:.4f} ({} samples)\n", *r.test_accuracy,
                               data.test.n);
    std::cout << fmt::format("training time     {:.1f} s, median step {:.2f} ms (batch {}), {}\n",
                             r.training_seconds, r.step_ms, a.recipe.batch,
                             a.reference ? std::string("reference executor")
                                         : fmt::format("compiled step ({:.2f} s to compile, "
                                                       "{} bytes of training memory)",
                                                       r.training_compile_seconds,
                                                       r.peak_training_bytes));
    if (!a.output.empty()) std::cout << "trained model     " << a.output << "\n";
  }
  // A run that did not finish is an outcome, not a crash: report it, exit non-zero.
  if (r.status != evaluator::EvalStatus::Ok) throw UserError(r.reason);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model's weights briefly and report its metrics");
  cmd->add_option("model", a->model, "ONNX model (weights are the starting point)");
  cmd->add_option("--space", a->space, "Search space file (with --arch, instead of MODEL)");
  cmd->add_option("--arch", a->arch, "Architecture of --space, in its string form");
  cmd->add_option("--data", a->data.set, "fashion-mnist or synthetic")->capture_default_str();
  cmd->add_option("--data-dir", a->data.folder,
                  "Folder of the Fashion-MNIST IDX files (default: $NAS_FASHION_MNIST_DIR, "
                  "else /usr/share/datasets/fashion-mnist)");
  cmd->add_option("--epochs", a->recipe.epochs)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", a->recipe.batch)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", a->recipe.lr, "Base learning rate")->capture_default_str();
  cmd->add_option("--optimizer", a->recipe.optimizer, "sgd or adam")->capture_default_str();
  cmd->add_option("--momentum", a->recipe.momentum)->capture_default_str();
  cmd->add_option("--weight-decay", a->recipe.weight_decay)->capture_default_str();
  cmd->add_option("--schedule", a->recipe.schedule, "constant, cosine or step")->capture_default_str();
  cmd->add_option("--warmup-epochs", a->recipe.warmup_epochs)->capture_default_str();
  cmd->add_flag("--augment", a->recipe.augment, "Random crop (padding 2) and horizontal flip");
  cmd->add_option("--label-smoothing", a->recipe.label_smoothing,
                  "Share of each label spread over the classes, in [0, 1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--threads", a->threads)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--target", a->target,
                  "Target the training step is compiled for and latency measured on (a name "
                  "or target file; it must run on this machine)")
      ->capture_default_str();
  cmd->add_flag("--reference", a->reference,
                "Train on the reference executor (the oracle) instead of the compiled step");
  cmd->add_option("--seed", a->seed, "Seeds the split, batch order and augmentation")
      ->capture_default_str();
  cmd->add_option("--subset", a->data.train_subset, "Train on the first K samples of the train split");
  cmd->add_option("--val-subset", a->data.validation_subset, "Validate on K samples");
  cmd->add_option("--train-size", a->data.train_size,
                  "Samples of the training file in the train split")
      ->capture_default_str();
  cmd->add_option("--val-size", a->data.validation_size,
                  "Samples of the training file in the validation split (0: none)")
      ->capture_default_str();
  cmd->add_option("--checkpoint", a->checkpoint,
                  "Write the training state here, to continue later with --resume");
  cmd->add_option("--resume", a->resume,
                  "Continue from a checkpoint up to --epochs in total (same recipe and seed)");
  cmd->add_option("--time-limit", a->recipe.time_limit_seconds, "Stop training after this many seconds");
  cmd->add_flag("--test", a->test, "Also report accuracy on the test split");
  cmd->add_option("-o,--output", a->output, "Write the trained model as ONNX");
  cmd->add_flag("--json", a->json, "Print the evaluation record as JSON");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace nas::cli
