// Experiment configs: every key, defaults, each error message with its location, --set
// overrides and the resume key.
#include <fstream>

#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/target/target.h"
#include "search/config.h"
#include "search/winners.h"
#include "search/evaluation_backend.h"
#include "tests/test_util.h"

namespace nas::search {
namespace {

using nas::testing::TempDir;
using nas::testing::user_error_message;
using ::testing::HasSubstr;

// A config file in a temp folder next to an (empty) space file it points at.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir_ / "space.yaml") << "name: tiny\n"; }
  ExperimentConfig parse(const std::string& text, const std::vector<std::string>& sets = {}) {
    return parse_config(text, dir_ / "exp.yaml", sets);
  }
  std::string error(const std::string& text, const std::vector<std::string>& sets = {}) {
    return user_error_message([&] { parse(text, sets); });
  }
  std::string file() const { return (dir_ / "exp.yaml").string(); }

  TempDir dir_;
};

const char* kMinimal = R"(name: tiny
space: space.yaml
objectives:
  - {metric: accuracy, goal: maximize}
)";

const char* kFull = R"(name: full
output: out/full
seed: 7
data:
  set: synthetic
  train_size: 1000
  validation_size: 200
  train_subset: 300
  validation_subset: 100
space: space.yaml
targets:
  - name: host
    threads: 2
    constraints: {latency_ms: 1.5, params: 50000, peak_memory: 200000}
constraints: {params: 40000}
objectives:
  - {metric: accuracy, goal: maximize}
  - {metric: "latency:host", goal: minimize}
strategy:
  name: nsga2
  settings: {population: 20, mutation_rate: 0.25, crossover: true, kind: fast}
budget: {candidates: 40, wall_minutes: 5, batch: 4}
parallel: {workers: 2, threads_per_worker: 3}
timing: {warmup: 1, min_repeats: 5, min_seconds: 0.05, max_repeats: 100, max_seconds: 1,
         rounds: 4, pin: false, max_spread: 0.2, max_slowdown: 0.5, attempts: 2,
         calibrate: false}
training:
  epochs: 2
  batch: 32
  lr: 0.1
  optimizer: adam
  momentum: 0.8
  weight_decay: 0.0005
  schedule: cosine
  warmup_epochs: 0.5
  augment: true
  time_limit_seconds: 60
final: {top_k: 3, epochs: 10, lr: 0.02}
)";

TEST_F(ConfigTest, MinimalConfigTakesTheDefaults) {
  const ExperimentConfig c = parse(kMinimal);
  EXPECT_EQ(c.name, "tiny");
  EXPECT_EQ(c.output, std::filesystem::path("experiments/runs/tiny"));
  EXPECT_EQ(c.space, dir_ / "space.yaml");  // relative to the config file
  EXPECT_EQ(c.data.set, "fashion-mnist");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].name, "host");
  EXPECT_EQ(c.targets[0].threads, std::nullopt);  // the target's own
  EXPECT_EQ(c.strategy, "random");
  EXPECT_EQ(c.candidates, 16);
  EXPECT_EQ(c.batch_size(), 1);  // one per worker
  EXPECT_EQ(c.training.epochs, 1);
  EXPECT_EQ(c.final_training.top_k, 0);
  EXPECT_TRUE(c.constraints().empty());
}

TEST_F(ConfigTest, FullConfigReadsEveryKey) {
  const ExperimentConfig c = parse(kFull);
  EXPECT_EQ(c.output, std::filesystem::path("out/full"));
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.data.set, "synthetic");
  EXPECT_EQ(c.data.train_size, 1000);
  EXPECT_EQ(c.data.validation_size, 200);
  EXPECT_EQ(c.data.train_subset, 300);
  EXPECT_EQ(c.data.validation_subset, 100);
  EXPECT_EQ(c.targets[0].threads, 2);
  EXPECT_EQ(c.objectives.size(), 2u);
  EXPECT_TRUE(c.objectives[0].maximize);
  EXPECT_EQ(c.objectives[1].metric, "latency:host");
  EXPECT_FALSE(c.objectives[1].maximize);
  EXPECT_EQ(c.strategy, "nsga2");
  EXPECT_EQ(c.strategy_settings,
            (nlohmann::json{{"population", 20}, {"mutation_rate", 0.25}, {"crossover", true},
                            {"kind", "fast"}}));
  EXPECT_EQ(c.candidates, 40);
  EXPECT_EQ(c.wall_minutes, 5);
  EXPECT_EQ(c.batch_size(), 4);
  EXPECT_EQ(c.workers, 2);
  EXPECT_EQ(c.threads_per_worker, 3);
  EXPECT_EQ(c.timing.warmup, 1);
  EXPECT_EQ(c.timing.min_repeats, 5);
  EXPECT_EQ(c.timing.min_seconds, 0.05);
  EXPECT_EQ(c.timing.max_repeats, 100);
  EXPECT_EQ(c.timing.max_seconds, 1);
  EXPECT_EQ(c.timing.rounds, 4);
  EXPECT_FALSE(c.timing.pin);
  EXPECT_EQ(c.timing.max_spread, 0.2);
  EXPECT_EQ(c.timing.max_slowdown, 0.5);
  EXPECT_EQ(c.timing.slowdown_limit(), 0.5);
  EXPECT_EQ(c.timing.attempts, 2);
  EXPECT_FALSE(c.timing.calibrate);
  const TrainingRecipe& t = c.training;
  EXPECT_EQ(t.epochs, 2);
  EXPECT_EQ(t.batch, 32);
  EXPECT_EQ(t.lr, 0.1);
  EXPECT_EQ(t.optimizer, "adam");
  EXPECT_EQ(t.momentum, 0.8);
  EXPECT_EQ(t.weight_decay, 0.0005);
  EXPECT_EQ(t.schedule, "cosine");
  EXPECT_EQ(t.warmup_epochs, 0.5);
  EXPECT_TRUE(t.augment);
  EXPECT_EQ(t.time_limit_seconds, 60);
  EXPECT_EQ(c.final_training.top_k, 3);
  EXPECT_EQ(c.final_training.recipe.epochs, 10);
  EXPECT_EQ(c.final_training.recipe.lr, 0.02);
  EXPECT_EQ(c.final_training.recipe.batch, 32);  // the rest from training
  const evaluator::TrainConfig tc = t.train_config(9, 3);
  EXPECT_EQ(tc.seed, 9u);
  EXPECT_EQ(tc.threads, 3);
  EXPECT_EQ(tc.optimizer.kind, evaluator::OptimizerConfig::Kind::Adam);
  EXPECT_EQ(tc.augmentation.crop_padding, 2);
  // Latency per target; the tighter of the target's and the global parameter limit.
  const std::vector<ConstraintSpec> k = c.constraints();
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0].metric, "latency:host");
  EXPECT_EQ(k[0].max, 1.5);
  EXPECT_EQ(k[1].metric, "params");
  EXPECT_EQ(k[1].max, 40000);
  EXPECT_EQ(k[2].metric, "peak_memory");
  EXPECT_EQ(k[2].max, 200000);
}

TEST_F(ConfigTest, UnknownKeysNameTheirLocationAndTheExpectedKeys) {
  EXPECT_EQ(error(std::string(kMinimal) + "data: {set: synthetic, trainsize: 5}\n"),
            file() + ":5:24: unknown key 'data.trainsize' (did you mean 'data.train_size'?); "
                     "known: set, folder, train_size, validation_size, train_subset, "
                     "validation_subset");
  EXPECT_EQ(error(std::string(kMinimal) + "budjet: {candidates: 4}\n"),
            file() + ":5:1: unknown key 'budjet' (did you mean 'budget'?); known: name, "
                     "output, seed, data, space, targets, constraints, objectives, strategy, "
                     "budget, parallel, timing, tuning, training, fidelity, final");
  EXPECT_EQ(error(std::string(kMinimal) + "targets:\n  - {name: host, constraints: {ms: 1}}\n"),
            file() + ":6:32: unknown key 'targets.0.constraints.ms'; known: latency_ms, "
                     "params, peak_memory");
  EXPECT_EQ(error(std::string(kMinimal) + "final: {top_k: 2, epoch: 3}\n"),
            file() + ":5:19: unknown key 'final.epoch' (did you mean 'final.epochs'?); known: "
                     "top_k, budgets, train_subset, include_validation, wall_minutes, epochs, "
                     "batch, lr, optimizer, momentum, weight_decay, schedule, warmup_epochs, "
                     "augment, label_smoothing, time_limit_seconds, trainer");
}

TEST_F(ConfigTest, FinalBudgetsAreCostLimits) {
  const std::string m = kMinimal;
  const ExperimentConfig c =
      parse(m + "final:\n  budgets:\n    - {\"latency:host\": 0.1}\n"
                "    - {\"latency:host\": 0.02, params: 50000}\n");
  ASSERT_EQ(c.final_training.budgets.size(), 2u);
  EXPECT_EQ(describe_budget(c.final_training.budgets[0]), "latency:host <= 0.1");
  EXPECT_EQ(describe_budget(c.final_training.budgets[1]), "latency:host <= 0.02, params <= 50000");
  EXPECT_EQ(c.final_training.top_k, 0);
  EXPECT_EQ(c.final_training.train_subset, std::nullopt);
  EXPECT_FALSE(c.final_training.include_validation);
  const ExperimentConfig all =
      parse(m + "final: {top_k: 1, train_subset: 0, include_validation: true}\n");
  EXPECT_EQ(all.final_training.train_subset, 0);
  EXPECT_TRUE(all.final_training.include_validation);
  EXPECT_EQ(error(m + "data: {set: synthetic}\nfinal: {include_validation: true}\n"),
            file() + ":6:29: key 'final.include_validation': the synthetic data set has no "
                     "validation split to train on (fashion-mnist has)");

  EXPECT_EQ(all.final_training.wall_minutes, std::nullopt);
  EXPECT_EQ(parse(m + "final: {top_k: 1, wall_minutes: 12.5}\n").final_training.wall_minutes,
            12.5);
  EXPECT_EQ(error(m + "final: {top_k: 1, wall_minutes: 0}\n"),
            file() + ":5:33: key 'final.wall_minutes': expected a number of minutes above 0, "
                     "got '0'");

  EXPECT_EQ(error(m + "final: {budgets: 0.1}\n"),
            file() + ":5:18: key 'final.budgets': expected a list of budgets such as "
                     "[{\"latency:host\": 0.1}, {params: 50000}], got '0.1'");
  EXPECT_EQ(error(m + "final: {budgets: [0.1]}\n"),
            file() + ":5:19: key 'final.budgets.0': expected a map of costs and their limits, "
                     "such as {\"latency:host\": 0.1}, got '0.1'");
  EXPECT_EQ(error(m + "final: {budgets: [{accuracy: 0.9}]}\n"),
            file() + ":5:20: key 'final.budgets.0.accuracy': a budget limits a cost (latency, "
                     "params, flops, ...); 'accuracy' is not one");
  EXPECT_EQ(error(m + "final: {budgets: [{\"latency:phone\": 1}]}\n"),
            file() + ":5:20: key 'final.budgets.0.latency:phone': 'latency:phone' names no "
                     "target in 'targets'");
  EXPECT_EQ(error(m + "final: {budgets: [{params: -1}]}\n"),
            file() + ":5:28: key 'final.budgets.0.params': expected a number >= 0, got '-1'");
  EXPECT_THAT(error(m + "final: {budgets: [{speed: 1}]}\n"),
              HasSubstr(file() + ":5:20: key 'final.budgets.0.speed': "));
}

TEST_F(ConfigTest, BadValuesNameTheirLocation) {
  const std::string m = kMinimal;
  EXPECT_EQ(error(m + "budget: {candidates: many}\n"),
            file() + ":5:22: key 'budget.candidates': expected an integer >= 1, got 'many'");
  EXPECT_EQ(error(m + "budget: {candidates: 0}\n"),
            file() + ":5:22: key 'budget.candidates': expected an integer >= 1, got '0'");
  EXPECT_EQ(error(m + "training: {lr: fast}\n"),
            file() + ":5:16: key 'training.lr': expected a number >= 0, got 'fast'");
  EXPECT_EQ(error(m + "training: {label_smoothing: 1}\n"),
            file() + ":5:29: key 'training.label_smoothing': expected a number in [0, 1), got '1'");
  EXPECT_EQ(parse(m + "final: {label_smoothing: 0.1}\n").final_training.recipe.label_smoothing,
            0.1);
  EXPECT_EQ(error(m + "training: {augment: maybe}\n"),
            file() + ":5:21: key 'training.augment': expected true or false, got 'maybe'");
  EXPECT_THAT(error(m + "training: {optimizer: rmsprop}\n"),
              HasSubstr(file() + ":5:23: key 'training.optimizer': unknown optimizer 'rmsprop'"));
  EXPECT_EQ(error(m + "data: {set: cifar}\n"),
            file() + ":5:13: key 'data.set': expected fashion-mnist or synthetic, got 'cifar'");
  EXPECT_EQ(error(m + "data: 5\n"),
            file() + ":5:7: key 'data': expected a map with keys set, folder, train_size, "
                     "validation_size, train_subset, validation_subset, got '5'");
  EXPECT_THAT(error(m + "targets:\n  - {name: gpu}\n"),
              HasSubstr(file() + ":6:12: key 'targets.0.name': unknown target 'gpu': expected host, "
                                 "host-sse4"));
  EXPECT_THAT(error(m + "targets:\n  - {name: aarch64}\n"),
              HasSubstr(file() + ":6:12: key 'targets.0.name': target 'aarch64' "
                                 "(aarch64-linux-gnu) cannot run on this x86_64 host"));
  EXPECT_EQ(error(m + "targets:\n  - {name: host}\n  - {name: host}\n"),
            file() + ":7:5: key 'targets.1': target 'host' is listed twice (latency is recorded by "
                     "target name)");
  EXPECT_EQ(error(m + "strategy: {settings: 3}\n"),
            file() + ":5:22: key 'strategy.settings': expected a map of keys, got '3'");
  EXPECT_EQ(error(m + "strategy: {name: nsga3}\n"),
            file() + ":5:18: key 'strategy.name': expected random, evolution, nsga2 or "
                     "predictor, got 'nsga3'");
  // A subset larger than its split, at the subset's line (it once named neither).
  EXPECT_EQ(error(m + "data: {validation_subset: 20000}\n"),
            file() + ":5:27: key 'data.validation_subset': 20000 is more than the 10000 images "
                     "of its split (data.validation_size); expected at most 10000, or 0 for all "
                     "of them");
  EXPECT_EQ(error(m + "data: {train_size: 100, train_subset: 101}\n"),
            file() + ":5:39: key 'data.train_subset': 101 is more than the 100 images of its "
                     "split (data.train_size); expected at most 100, or 0 for all of them");
  EXPECT_EQ(error("name: x\nspace: missing.yaml\nobjectives: []\n"),
            file() + ":2:8: key 'space': space file '" + (dir_ / "missing.yaml").string() +
                "' not found");
  EXPECT_EQ(error("name: x\nobjectives: []\n"), file() + ":1:1: missing key 'space'");
  EXPECT_EQ(error("name: a/b\nspace: space.yaml\n"),
            file() + ":1:7: key 'name': expected a non-empty word without '/', got 'a/b'");
  EXPECT_EQ(error("name: [x\n"), file() + ":2:1: invalid YAML: end of sequence flow not found");
}

TEST_F(ConfigTest, FidelityListsIncreasingEpochs) {
  const std::string m = kMinimal;
  const ExperimentConfig c = parse(m + "fidelity: {epochs: [1, 3], eta: 2}\n");
  EXPECT_EQ(c.fidelity_epochs(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(c.fidelity.eta, 2);
  EXPECT_EQ(c.resume_key().at("fidelity.epochs.1"), 3);
  EXPECT_EQ(parse(m).fidelity_epochs(), (std::vector<int64_t>{1}));  // training.epochs
  EXPECT_EQ(error(m + "fidelity: {epochs: [2]}\n"),
            file() + ":5:20: key 'fidelity.epochs': expected a list of 2 or more increasing "
                     "epoch counts, got a list");
  EXPECT_EQ(error(m + "fidelity: {eta: 2}\n"),
            file() + ":5:11: missing key 'fidelity.epochs'");
  EXPECT_EQ(error(m + "fidelity: {epochs: [2, 2]}\n"),
            file() + ":5:24: key 'fidelity.epochs.1': expected more epochs than the fidelity "
                     "before (2), got '2'");
  EXPECT_EQ(error(m + "fidelity: {epochs: [1, 2], eta: 1}\n"),
            file() + ":5:33: key 'fidelity.eta': expected an integer >= 2, got '1'");
  EXPECT_FALSE(c.fidelity.early_stopping);
  EXPECT_FALSE(c.resume_key().contains("fidelity.early_stopping"));
  const ExperimentConfig stopping =
      parse(m + "fidelity: {epochs: [1, 3], early_stopping: true}\n");
  EXPECT_TRUE(stopping.fidelity.early_stopping);
  EXPECT_EQ(stopping.resume_key().at("fidelity.early_stopping"), true);
  EXPECT_EQ(error(m + "fidelity: {epochs: [1, 3], early_stopping: soon}\n"),
            file() + ":5:44: key 'fidelity.early_stopping': expected true or false, got 'soon'");
  EXPECT_EQ(error(m + "training: {epochs: 2}\nfidelity: {epochs: [1, 2]}\n"),
            file() + ":5:20: key 'training.epochs' cannot be set with a 'fidelity' section: "
                     "fidelity.epochs gives the epochs of each fidelity");
}

TEST_F(ConfigTest, ObjectivesAreChecked) {
  const std::string head = "name: x\nspace: space.yaml\nobjectives:\n";
  EXPECT_EQ(error(head + "  - {metric: acc, goal: maximize}\n"),
            file() + ":4:14: key 'objectives.0.metric': unknown metric 'acc' (expected "
                     "accuracy, test_accuracy, latency:<target>, params, flops, peak_memory, model_bytes, step_ms or "
                     "training_seconds)");
  EXPECT_EQ(error(head + "  - {metric: 'latency:phone', goal: minimize}\n"),
            file() + ":4:14: key 'objectives.0.metric': objective 'latency:phone' names no "
                     "target in 'targets'");
  EXPECT_EQ(error(head + "  - {metric: params, goal: up}\n"),
            file() + ":4:28: key 'objectives.0.goal': expected maximize or minimize, got 'up'");
  EXPECT_EQ(error(head + "  - {metric: params}\n"),
            file() + ":4:5: missing key 'objectives.0.goal'");
  EXPECT_EQ(error(head + "  - {metric: params, goal: minimize}\n  - {metric: params, goal: "
                         "minimize}\n"),
            file() + ":5:5: key 'objectives.1': objective 'params' is listed twice");
  EXPECT_EQ(error("name: x\nspace: space.yaml\nobjectives: []\n"),
            file() + ":3:13: key 'objectives': expected a list of objectives such as "
                     "[{metric: accuracy, goal: maximize}], got an empty list");
}

TEST_F(ConfigTest, OverridesApplyBeforeParsing) {
  const ExperimentConfig c =
      parse(kFull, {"budget.candidates=8", "data.train_subset=2000", "targets.0.threads=4",
                    "strategy.settings.population=30", "training.schedule=step", "seed=11"});
  EXPECT_EQ(c.candidates, 8);
  EXPECT_EQ(c.data.train_subset, 2000);
  EXPECT_EQ(c.targets[0].threads, 4);
  EXPECT_EQ(c.strategy_settings["population"], 30);
  EXPECT_EQ(c.training.schedule, "step");
  EXPECT_EQ(c.seed, 11u);
  // A key the file leaves out, in a section it leaves out.
  const ExperimentConfig m = parse(kMinimal, {"parallel.workers=3", "data.set=synthetic"});
  EXPECT_EQ(m.workers, 3);
  EXPECT_EQ(m.data.set, "synthetic");
  // The resolved config holds the overrides and parses to the same config.
  EXPECT_THAT(c.resolved_yaml, HasSubstr("candidates: 8"));
  const ExperimentConfig again = parse(c.resolved_yaml);
  EXPECT_EQ(again.candidates, 8);
  EXPECT_EQ(again.resume_key(), c.resume_key());
}

TEST_F(ConfigTest, BadOverridesAreNamed) {
  EXPECT_EQ(error(kMinimal, {"budget.candidatez=8"}),
            "--set budget.candidatez: unknown key 'budget.candidatez' (did you mean "
            "'budget.candidates'?); known: candidates, wall_minutes, batch");
  EXPECT_EQ(error(kMinimal, {"budget.candidates=lots"}),
            "--set budget.candidates: key 'budget.candidates': expected an integer >= 1, got "
            "'lots'");
  EXPECT_EQ(error(kMinimal, {"budget"}),
            "--set 'budget': expected KEY=VALUE, e.g. budget.candidates=8");
  EXPECT_EQ(error(kMinimal, {"name.first=x"}), "--set 'name.first=x': 'name' is a value, not a "
                                               "section");
  EXPECT_EQ(error(kFull, {"targets.x.threads=2"}),
            "--set 'targets.x.threads=2': 'targets' is a list; address its items by number "
            "(targets.0)");
  EXPECT_EQ(error(kFull, {"targets.3.threads=2"}), "--set 'targets.3.threads=2': 'targets' has "
                                                   "1 items");
}

// One rule for a target's threads in a search, as in `nas bench`: the config's when set,
// else the target file's `threads:`, else 1.
TEST_F(ConfigTest, TargetThreadsAreTheConfigsElseTheTargetFilesElseOne) {
  const target::Target& host = target::host_target();
  std::ofstream(dir_ / "host3.yaml") << "name: host3\ntriple: " << host.triple
                                     << "\ncpu: " << host.cpu << "\nfeatures: ["
                                     << fmt::format("{}", fmt::join(host.features, ", "))
                                     << "]\nthreads: 3\n";
  const std::string file = (dir_ / "host3.yaml").string();
  const std::string with_file = std::string(kMinimal) + "targets: [{name: " + file + "}]\n";
  const ExperimentConfig from_file = parse(with_file);
  EXPECT_EQ(from_file.targets[0].threads, std::nullopt);
  const evaluator::EvaluationConfig eval = evaluation_config(from_file, nullptr);
  EXPECT_EQ(evaluator::latency_compile_target(eval.targets.at(0)).threads, 3);
  EXPECT_EQ(from_file.resume_key().at("targets.0.threads"), 3);

  const ExperimentConfig from_config = parse(with_file, {"targets.0.threads=2"});
  EXPECT_EQ(evaluator::latency_compile_target(evaluation_config(from_config, nullptr).targets.at(0))
                .threads,
            2);
  EXPECT_EQ(from_config.resume_key().at("targets.0.threads"), 2);

  const ExperimentConfig named = parse(kMinimal);
  EXPECT_EQ(evaluator::latency_compile_target(evaluation_config(named, nullptr).targets.at(0)).threads,
            1);
  // A config that spells out the default keeps the key of one that leaves it out.
  EXPECT_EQ(parse(kMinimal, {"targets=[{name: host, threads: 1}]"}).resume_hash(),
            named.resume_hash());
}

TEST_F(ConfigTest, ResumeKeyCoversWhatDefinesTheResults) {
  const ExperimentConfig base = parse(kFull);
  // Budget, parallelism, timing, output and final training leave it alone.
  for (const char* set : {"budget.candidates=80", "budget.wall_minutes=1", "parallel.workers=1",
                          "parallel.threads_per_worker=1", "timing.min_repeats=2",
                          "output=elsewhere", "final.top_k=1"})
    EXPECT_EQ(parse(kFull, {set}).resume_hash(), base.resume_hash()) << set;
  // What defines the results changes it.
  for (const char* set : {"seed=8", "data.train_subset=10", "strategy.settings.population=30",
                          "strategy.name=random", "training.lr=0.2", "budget.batch=2",
                          "targets.0.constraints.latency_ms=2", "constraints.params=1",
                          "objectives.1.goal=maximize", "targets.0.threads=1"})
    EXPECT_NE(parse(kFull, {set}).resume_hash(), base.resume_hash()) << set;
  // Changes are named key by key.
  const ExperimentConfig changed =
      parse(kFull, {"strategy.settings.population=30", "training.lr=0.2"});
  EXPECT_EQ(resume_key_changes(base.resume_key(), changed.resume_key()),
            (std::vector<std::string>{"strategy.settings.population 20 -> 30",
                                      "training.lr 0.1 -> 0.2"}));
  // So does the space file's content.
  std::ofstream(dir_ / "space.yaml") << "name: other\n";
  EXPECT_EQ(resume_key_changes(base.resume_key(), parse(kFull).resume_key()).size(), 1u);
}

// The configs a user runs first load as shipped: every key known, every value valid.
TEST(ShippedConfigs, Load) {
  int loaded = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(NAS_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(nas::testing::user_error_message([&] { load_config(entry.path()); }), "(no error)");
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
}

}  // namespace
}  // namespace nas::search
