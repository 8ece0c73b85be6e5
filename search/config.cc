#include "search/config.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"
#include "compiler/support/yaml_reader.h"
#include "compiler/target/target.h"
#include "evaluator/evaluate.h"
#include "search/strategy.h"

namespace nas::search {

namespace {

namespace fs = std::filesystem;

// `what`: "config file", "space file".
std::string read_text(const fs::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) user_error("cannot read {} '{}'", what, file.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Messages are located FILE:LINE:COL for what the file says, "--set KEY" for what an
// override says (yaml_reader.h); list items are "targets.0", as --set addresses them.
using Reader = yaml::YamlReader;

std::optional<YAML::Node> child(const YAML::Node& parent, const std::string& key) {
  return Reader::child(parent, key);
}

// Applies "a.b=value" to the tree: maps on the way are created as needed, list items are
// addressed by index (targets.0.threads=2). Whether the key exists is checked when the tree
// is parsed.
std::string apply_override(YAML::Node& root, const std::string& expr) {
  const size_t eq = expr.find('=');
  if (eq == std::string::npos || eq == 0)
    user_error("--set '{}': expected KEY=VALUE, e.g. budget.candidates=8", expr);
  const std::string path = expr.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(expr.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    user_error("--set '{}': the value is not valid YAML ({})", expr, e.msg);
  }
  std::vector<std::string> keys;
  std::stringstream s(path);
  for (std::string k; std::getline(s, k, '.');) {
    if (k.empty()) user_error("--set '{}': empty key in '{}'", expr, path);
    keys.push_back(k);
  }
  YAML::Node cur = root;
  std::string so_far;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& k = keys[i];
    const bool last = i + 1 == keys.size();
    if (cur.IsSequence()) {
      size_t index = 0;
      try {
        size_t used = 0;
        index = std::stoul(k, &used);
        if (used != k.size()) throw std::invalid_argument(k);
      } catch (const std::exception&) {
        user_error("--set '{}': '{}' is a list; address its items by number ({}.0)", expr,
                   so_far, so_far);
      }
      if (index >= cur.size())
        user_error("--set '{}': '{}' has {} items", expr, so_far, cur.size());
      if (last) {
        cur[index] = value;
      } else {
        YAML::Node next = cur[index];
        cur.reset(next);
      }
    } else if (cur.IsMap() || cur.IsNull() || !cur.IsDefined()) {
      if (last) {
        cur[k] = value;
      } else {
        YAML::Node next = cur[k];
        cur.reset(next);
      }
    } else {
      user_error("--set '{}': '{}' is a value, not a section", expr, so_far);
    }
    so_far = so_far.empty() ? k : so_far + "." + k;
  }
  return path;
}

nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it)
      j[it->first.Scalar()] = to_json(it->second);
    return j;
  }
  if (node.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const YAML::Node& item : node) j.push_back(to_json(item));
    return j;
  }
  if (!node.IsScalar()) return nullptr;
  int64_t i;
  double d;
  bool b;
  if (node.Tag() != "!") {  // unquoted: typed like YAML's core schema
    if (YAML::convert<int64_t>::decode(node, i)) return i;
    if (YAML::convert<double>::decode(node, d)) return d;
    if (YAML::convert<bool>::decode(node, b)) return b;
  }
  return node.Scalar();
}

const std::vector<std::string> kTopKeys = {
    "name",     "output",     "seed",     "data",     "space",  "targets", "constraints",
    "objectives", "strategy", "budget",  "parallel", "timing", "tuning", "training",
    "fidelity", "final"};
const std::vector<std::string> kTuningKeys = {"trials", "records"};
const std::vector<std::string> kFidelityKeys = {"epochs", "eta", "early_stopping"};
const std::vector<std::string> kDataKeys = {"set",          "folder",           "train_size",
                                            "validation_size", "train_subset",
                                            "validation_subset"};
const std::vector<std::string> kTargetKeys = {"name", "threads", "constraints", "requires"};
const std::vector<std::string> kRequiresKeys = {"cpu", "cpu_features", "min_threads"};
const std::vector<std::string> kTargetConstraintKeys = {"latency_ms", "params", "peak_memory"};
const std::vector<std::string> kGlobalConstraintKeys = {"params", "peak_memory"};
const std::vector<std::string> kObjectiveKeys = {"metric", "goal"};
const std::vector<std::string> kStrategyKeys = {"name", "settings"};
const std::vector<std::string> kBudgetKeys = {"candidates", "wall_minutes", "batch"};
const std::vector<std::string> kParallelKeys = {"workers", "threads_per_worker"};
const std::vector<std::string> kTimingKeys = {"warmup",      "min_repeats", "min_seconds",
                                              "max_repeats", "max_seconds", "rounds",
                                              "pin",         "max_spread",  "max_slowdown",
                                              "attempts",    "calibrate"};
const std::vector<std::string> kRecipeKeys = {
    "epochs", "batch",         "lr",      "optimizer",          "momentum", "weight_decay",
    "schedule", "warmup_epochs", "augment", "label_smoothing", "time_limit_seconds", "trainer"};

void read_recipe(const Reader& r, const YAML::Node& node, const std::string& path,
                 TrainingRecipe& t) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    // A copy (a handle): it->second lives in a proxy that ends with the statement
    // (AddressSanitizer: stack-use-after-scope).
    const YAML::Node v = it->second;
    const std::string p = path + "." + key;
    if (key == "epochs") t.epochs = r.integer(v, p, 1);
    if (key == "batch") t.batch = r.integer(v, p, 1);
    if (key == "lr") t.lr = r.number(v, p, 0);
    if (key == "momentum") t.momentum = r.number(v, p, 0);
    if (key == "weight_decay") t.weight_decay = r.number(v, p, 0);
    if (key == "warmup_epochs") t.warmup_epochs = r.number(v, p, 0);
    if (key == "augment") t.augment = r.boolean(v, p);
    if (key == "label_smoothing") {
      t.label_smoothing = r.number(v, p, 0);
      if (t.label_smoothing >= 1) r.fail_expected(v, p, "a number in [0, 1)");
    }
    if (key == "time_limit_seconds") t.time_limit_seconds = r.number(v, p, 0);
    try {
      if (key == "optimizer") {
        t.optimizer = r.text(v, p);
        evaluator::parse_optimizer_kind(t.optimizer);
      }
      if (key == "schedule") {
        t.schedule = r.text(v, p);
        evaluator::parse_lr_schedule_kind(t.schedule);
      }
      if (key == "trainer") {
        t.trainer = r.text(v, p);
        evaluator::parse_train_backend(t.trainer);
      }
    } catch (const UserError& e) {
      r.fail(v, p, "key '{}': {}", p, e.what());
    }
  }
}

// A target's `requires:`: {cpu: NAME, cpu_features: [F, ...], min_threads: N}.
// final.budgets: a list of maps {METRIC: LIMIT}, each a cost a winner must meet.
std::vector<WinnerBudget> read_budgets(const Reader& r, const YAML::Node& node,
                                       const std::vector<TargetConfig>& targets) {
  r.check_list(node, "final.budgets", 1,
               "a list of budgets such as [{\"latency:host\": 0.1}, {params: 50000}]");
  std::vector<WinnerBudget> budgets;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = r.item_path("final.budgets", i);
    const YAML::Node item = node[i];
    if (!item.IsMap() || item.size() == 0)
      r.fail_expected(item, path,
                      "a map of costs and their limits, such as {\"latency:host\": 0.1}");
    WinnerBudget budget;
    for (auto it = item.begin(); it != item.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node limit = it->second;
      const std::string metric = key.Scalar();
      const std::string p = path + "." + metric;
      try {
        check_metric_name(metric);
      } catch (const UserError& e) {
        r.fail(key, p, "key '{}': {}", p, e.what());
      }
      if (metric == "accuracy" || metric == "test_accuracy")
        r.fail(key, p, "key '{}': a budget limits a cost (latency, params, flops, ...); '{}' "
               "is not one", p, metric);
      if (metric.rfind("latency:", 0) == 0 &&
          std::none_of(targets.begin(), targets.end(),
                       [&](const TargetConfig& t) { return t.name == metric.substr(8); }))
        r.fail(key, p, "key '{}': '{}' names no target in 'targets'", p, metric);
      budget.push_back({metric, r.number(limit, p, 0)});
    }
    budgets.push_back(std::move(budget));
  }
  return budgets;
}

HardwareRequirement read_requirement(const Reader& r, const YAML::Node& node,
                                     const std::string& target_path) {
  const std::string path = target_path + ".requires";
  r.check_map(node, path, kRequiresKeys);
  HardwareRequirement q;
  if (auto n = child(node, "cpu")) q.cpu = r.text(*n, path + ".cpu");
  if (auto n = child(node, "cpu_features")) {
    r.check_list(*n, path + ".cpu_features", 0, "a list of CPU features such as [avx2, fma]");
    for (size_t i = 0; i < n->size(); ++i) {
      const std::string feature = r.text((*n)[i], fmt::format("{}.cpu_features.{}", path, i));
      if (!target::is_known_feature("x86_64-pc-linux-gnu", feature) &&
          !target::is_known_feature("aarch64-linux-gnu", feature))
        r.fail((*n)[i], fmt::format("{}.cpu_features.{}", path, i),
               "key '{}.cpu_features.{}': unknown CPU feature '{}' (LLVM's names: avx2, fma, "
               "avx512f, neon, ...)",
               path, i, feature);
      q.cpu_features.insert(feature);
    }
  }
  if (auto n = child(node, "min_threads"))
    q.min_threads = static_cast<int>(r.integer(*n, path + ".min_threads", 1));
  return q;
}

std::optional<double> min_limit(std::optional<double> a, std::optional<double> b) {
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

// {"a": {"b": 1}, "l": [x]} -> {"a.b": 1, "l.0": x}.
void flatten(const nlohmann::json& j, const std::string& prefix, nlohmann::json& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i)
      flatten(j[i], prefix + "." + std::to_string(i), out);
  } else {
    out[prefix] = j;
  }
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json recipe_json(const TrainingRecipe& t) {
  nlohmann::json j = {{"epochs", t.epochs},       {"batch", t.batch},
                      {"lr", t.lr},               {"optimizer", t.optimizer},
                      {"momentum", t.momentum},   {"weight_decay", t.weight_decay},
                      {"schedule", t.schedule},   {"warmup_epochs", t.warmup_epochs},
                      {"augment", t.augment},     {"time_limit_seconds", t.time_limit_seconds},
                      {"trainer", t.trainer}};
  // Only where set, so configs without it keep the hash they had.
  if (t.label_smoothing > 0) j["label_smoothing"] = t.label_smoothing;
  return j;
}

ExperimentConfig parse_tree(const YAML::Node& root, const Reader& r) {
  ExperimentConfig c;
  c.file = r.file();
  const fs::path base = fs::path(r.file()).parent_path();
  auto relative_to_config = [&](const std::string& p) {
    const fs::path path(p);
    return path.is_absolute() || base.empty() ? path : base / path;
  };
  r.check_map(root, "", kTopKeys);
  auto required = [&](const std::string& key) { return r.required(root, "", key); };

  const YAML::Node name = required("name");
  c.name = r.text(name, "name");
  if (c.name.empty() || c.name.find('/') != std::string::npos)
    r.fail_expected(name, "name", "a non-empty word without '/'");
  c.output = fs::path("experiments") / "runs" / c.name;
  if (auto n = child(root, "output")) c.output = r.text(*n, "output");
  if (auto n = child(root, "seed"))
    c.seed = static_cast<uint64_t>(r.integer(*n, "seed", 0));

  if (auto d = child(root, "data")) {
    r.check_map(*d, "data", kDataKeys);
    DataConfig& data = c.data;
    if (auto n = child(*d, "set")) data.set = r.one_of(*n, "data.set", {"fashion-mnist", "synthetic"});
    if (auto n = child(*d, "folder")) data.folder = relative_to_config(r.text(*n, "data.folder"));
    if (auto n = child(*d, "train_size")) data.train_size = r.integer(*n, "data.train_size", 1);
    if (auto n = child(*d, "validation_size"))
      data.validation_size = r.integer(*n, "data.validation_size", 0);
    if (auto n = child(*d, "train_subset"))
      data.train_subset = r.integer(*n, "data.train_subset", 0);
    if (auto n = child(*d, "validation_subset"))
      data.validation_subset = r.integer(*n, "data.validation_subset", 0);
    // A subset draws from its split (Fashion-MNIST's; synthetic sets are made to size).
    const auto check_subset = [&](const char* key, int64_t subset, const char* size_key,
                                  int64_t size) {
      const std::string path = std::string("data.") + key;
      if (auto n = child(*d, key); n && data.set == "fashion-mnist" && subset > size)
        r.fail(*n, path, "key '{}': {} is more than the {} images of its split (data.{}); "
               "expected at most {}, or 0 for all of them", path, subset, size, size_key, size);
    };
    check_subset("train_subset", data.train_subset, "train_size", data.train_size);
    check_subset("validation_subset", data.validation_subset, "validation_size",
                 data.validation_size);
  }

  const YAML::Node space = required("space");
  c.space = relative_to_config(r.text(space, "space"));
  if (!fs::is_regular_file(c.space))
    r.fail(space, "space", "key 'space': space file '{}' not found", c.space.string());
  c.space_digest = fmt::format("{:016x}", fnv1a(read_text(c.space, "space file")));

  if (auto t = child(root, "targets")) {
    r.check_list(*t, "targets", 1, "a list of targets such as [{name: host, threads: 1}]");
    c.targets.clear();
    for (size_t i = 0; i < t->size(); ++i) {
      const YAML::Node item = (*t)[i];
      const std::string path = fmt::format("targets.{}", i);
      r.check_map(item, path, kTargetKeys);
      TargetConfig target;
      if (auto n = child(item, "name")) {
        target.name = r.text(*n, path + ".name");
        // Latency is measured on compiled code here, so the target must run on this machine.
        std::string problem;
        try {
          problem = target::why_not_runnable(target::parse_target(target.name));
        } catch (const UserError& e) {
          problem = e.what();
        }
        if (!problem.empty()) r.fail(*n, path + ".name", "key '{}.name': {}", path, problem);
      }
      if (auto n = child(item, "threads"))
        target.threads = static_cast<int>(r.integer(*n, path + ".threads", 1));
      if (auto k = child(item, "constraints")) {
        const std::string kp = path + ".constraints";
        r.check_map(*k, kp, kTargetConstraintKeys);
        if (auto n = child(*k, "latency_ms"))
          target.max_latency_ms = r.number(*n, kp + ".latency_ms", 0);
        if (auto n = child(*k, "params")) target.max_params = r.number(*n, kp + ".params", 0);
        if (auto n = child(*k, "peak_memory"))
          target.max_peak_memory = r.number(*n, kp + ".peak_memory", 0);
      }
      if (auto q = child(item, "requires")) target.requirement = read_requirement(r, *q, path);
      for (const TargetConfig& other : c.targets)
        if (other.name == target.name)
          r.fail(item, path, "key '{}': target '{}' is listed twice (latency is recorded by "
                 "target name)", path, target.name);
      c.targets.push_back(target);
      if (!c.hardware_requirement_or_none())
        r.fail(item, path + ".requires",
               "key '{}.requires': the targets require two different CPUs; a candidate is "
               "evaluated on one machine, so its targets must agree on the CPU", path);
    }
  }
  if (auto k = child(root, "constraints")) {
    r.check_map(*k, "constraints", kGlobalConstraintKeys);
    if (auto n = child(*k, "params")) c.max_params = r.number(*n, "constraints.params", 0);
    if (auto n = child(*k, "peak_memory"))
      c.max_peak_memory = r.number(*n, "constraints.peak_memory", 0);
  }

  const YAML::Node objectives = required("objectives");
  r.check_list(objectives, "objectives", 1,
               "a list of objectives such as [{metric: accuracy, goal: maximize}]");
  for (size_t i = 0; i < objectives.size(); ++i) {
    const YAML::Node item = objectives[i];
    const std::string path = fmt::format("objectives.{}", i);
    r.check_map(item, path, kObjectiveKeys, 2);
    ObjectiveSpec o;
    auto metric = child(item, "metric");
    o.metric = r.text(*metric, path + ".metric");
    try {
      check_metric_name(o.metric);
    } catch (const UserError& e) {
      r.fail(*metric, path + ".metric", "key '{}.metric': {}", path, e.what());
    }
    if (o.metric.rfind("latency:", 0) == 0) {
      const std::string target = o.metric.substr(8);
      bool known = false;
      for (const TargetConfig& t : c.targets) known = known || t.name == target;
      if (!known)
        r.fail(*metric, path + ".metric", "key '{}.metric': objective '{}' names no target in "
               "'targets'", path, o.metric);
    }
    const std::string g = r.one_of(*child(item, "goal"), path + ".goal", {"maximize", "minimize"});
    o.maximize = g == "maximize";
    for (const ObjectiveSpec& other : c.objectives)
      if (other.metric == o.metric)
        r.fail(item, path, "key '{}': objective '{}' is listed twice", path, o.metric);
    c.objectives.push_back(o);
  }

  c.strategy_at = c.file.string();
  if (auto s = child(root, "strategy")) {
    r.check_map(*s, "strategy", kStrategyKeys);
    if (auto n = child(*s, "name")) c.strategy = r.one_of(*n, "strategy.name", strategy_names());
    c.strategy_at = r.where(*s, "strategy");
    if (auto n = child(*s, "settings")) {
      if (!n->IsMap() && !n->IsNull())
        r.fail_expected(*n, "strategy.settings", "a map of keys");
      if (n->IsMap()) {
        c.strategy_settings = to_json(*n);
        for (const auto& item : *n) {
          const std::string key = item.first.as<std::string>();
          c.strategy_setting_at[key] = r.where(item.second, "strategy.settings." + key);
        }
      }
    }
  }
  if (auto b = child(root, "budget")) {
    r.check_map(*b, "budget", kBudgetKeys);
    if (auto n = child(*b, "candidates")) c.candidates = r.integer(*n, "budget.candidates", 1);
    if (auto n = child(*b, "wall_minutes")) c.wall_minutes = r.number(*n, "budget.wall_minutes", 0);
    if (auto n = child(*b, "batch")) c.batch = r.integer(*n, "budget.batch", 1);
  }
  if (auto p = child(root, "parallel")) {
    r.check_map(*p, "parallel", kParallelKeys);
    if (auto n = child(*p, "workers"))
      c.workers = static_cast<int>(r.integer(*n, "parallel.workers", 1));
    if (auto n = child(*p, "threads_per_worker"))
      c.threads_per_worker = static_cast<int>(r.integer(*n, "parallel.threads_per_worker", 1));
  }
  if (auto t = child(root, "timing")) {
    r.check_map(*t, "timing", kTimingKeys);
    runtime::TimingProtocol& p = c.timing;
    if (auto n = child(*t, "warmup")) p.warmup = static_cast<int>(r.integer(*n, "timing.warmup", 0));
    if (auto n = child(*t, "min_repeats"))
      p.min_repeats = static_cast<int>(r.integer(*n, "timing.min_repeats", 1));
    if (auto n = child(*t, "min_seconds")) p.min_seconds = r.number(*n, "timing.min_seconds", 0);
    if (auto n = child(*t, "max_repeats"))
      p.max_repeats = static_cast<int>(r.integer(*n, "timing.max_repeats", 1));
    if (auto n = child(*t, "max_seconds")) p.max_seconds = r.number(*n, "timing.max_seconds", 0);
    if (auto n = child(*t, "rounds"))
      p.rounds = static_cast<int>(r.integer(*n, "timing.rounds", 1));
    if (auto n = child(*t, "pin")) p.pin = r.boolean(*n, "timing.pin");
    if (auto n = child(*t, "max_spread")) p.max_spread = r.number(*n, "timing.max_spread", 0);
    if (auto n = child(*t, "max_slowdown"))
      p.max_slowdown = r.number(*n, "timing.max_slowdown", 0);
    if (auto n = child(*t, "calibrate")) p.calibrate = r.boolean(*n, "timing.calibrate");
    if (auto n = child(*t, "attempts"))
      p.attempts = static_cast<int>(r.integer(*n, "timing.attempts", 1));
  }
  if (auto t = child(root, "tuning")) {
    r.check_map(*t, "tuning", kTuningKeys);
    if (auto n = child(*t, "trials"))
      c.tuning.trials = static_cast<int>(r.integer(*n, "tuning.trials", 0));
    if (auto n = child(*t, "records"))
      c.tuning.records_dir = relative_to_config(r.text(*n, "tuning.records"));
  }
  if (auto t = child(root, "training")) {
    r.check_map(*t, "training", kRecipeKeys);
    read_recipe(r, *t, "training", c.training);
  }
  if (auto f = child(root, "fidelity")) {
    r.check_map(*f, "fidelity", kFidelityKeys);
    const YAML::Node epochs = r.required(*f, "fidelity", "epochs");
    r.check_list(epochs, "fidelity.epochs", 2, "a list of 2 or more increasing epoch counts");
    for (size_t i = 0; i < epochs.size(); ++i) {
      const std::string p = r.item_path("fidelity.epochs", i);
      const int64_t e = r.integer(epochs[i], p, 1);
      if (!c.fidelity.epochs.empty() && e <= c.fidelity.epochs.back())
        r.fail_expected(epochs[i], p,
                        fmt::format("more epochs than the fidelity before ({})",
                                    c.fidelity.epochs.back()));
      c.fidelity.epochs.push_back(e);
    }
    if (auto n = child(*f, "eta")) c.fidelity.eta = static_cast<int>(r.integer(*n, "fidelity.eta", 2));
    if (auto n = child(*f, "early_stopping"))
      c.fidelity.early_stopping = r.boolean(*n, "fidelity.early_stopping");
    if (auto t = child(root, "training"); t && child(*t, "epochs"))
      r.fail((*t)["epochs"], "training.epochs",
             "key 'training.epochs' cannot be set with a 'fidelity' section: fidelity.epochs "
             "gives the epochs of each fidelity");
  }
  c.final_training.recipe = c.training;
  if (auto f = child(root, "final")) {
    std::vector<std::string> keys = {"top_k", "budgets", "train_subset", "include_validation",
                                     "wall_minutes"};
    keys.insert(keys.end(), kRecipeKeys.begin(), kRecipeKeys.end());
    r.check_map(*f, "final", keys);
    if (auto n = child(*f, "top_k")) c.final_training.top_k = r.integer(*n, "final.top_k", 0);
    if (auto n = child(*f, "budgets")) c.final_training.budgets = read_budgets(r, *n, c.targets);
    if (auto n = child(*f, "train_subset"))
      c.final_training.train_subset = r.integer(*n, "final.train_subset", 0);
    if (auto n = child(*f, "include_validation")) {
      c.final_training.include_validation = r.boolean(*n, "final.include_validation");
      if (c.final_training.include_validation && c.data.set != "fashion-mnist")
        r.fail(*n, "final.include_validation",
               "key 'final.include_validation': the {} data set has no validation split to "
               "train on (fashion-mnist has)", c.data.set);
    }
    if (auto n = child(*f, "wall_minutes")) {
      c.final_training.wall_minutes = r.number(*n, "final.wall_minutes", 0);
      if (!(*c.final_training.wall_minutes > 0))
        r.fail_expected(*n, "final.wall_minutes", "a number of minutes above 0");
    }
    read_recipe(r, *f, "final", c.final_training.recipe);  // skips the keys above
  }

  // The saved config must read the same from the results folder: paths become absolute.
  YAML::Node saved = YAML::Clone(root);
  saved["space"] = fs::absolute(c.space).lexically_normal().string();
  if (!c.data.folder.empty())
    saved["data"]["folder"] = fs::absolute(c.data.folder).lexically_normal().string();
  YAML::Emitter out;
  out << saved;
  c.resolved_yaml = std::string(out.c_str()) + "\n";
  return c;
}

}  // namespace

std::vector<ConstraintSpec> ExperimentConfig::constraints() const {
  std::vector<ConstraintSpec> out;
  std::optional<double> params = max_params, peak = max_peak_memory;
  for (const TargetConfig& t : targets) {
    if (t.max_latency_ms) out.push_back({"latency:" + t.name, *t.max_latency_ms});
    params = min_limit(params, t.max_params);
    peak = min_limit(peak, t.max_peak_memory);
  }
  if (params) out.push_back({"params", *params});
  if (peak) out.push_back({"peak_memory", *peak});
  return out;
}

std::optional<HardwareRequirement> ExperimentConfig::hardware_requirement_or_none() const {
  HardwareRequirement all;
  for (const TargetConfig& t : targets) {
    std::optional<HardwareRequirement> both = all.and_also(t.requirement);
    if (!both) return std::nullopt;
    all = *both;
  }
  return all;
}

HardwareRequirement ExperimentConfig::hardware_requirement() const {
  std::optional<HardwareRequirement> all = hardware_requirement_or_none();
  NAS_CHECK(all.has_value(), "the targets of config '{}' require two different CPUs", name);
  return *all;
}

nlohmann::json ExperimentConfig::resume_key() const {
  nlohmann::json j;
  j["seed"] = seed;
  j["data"] = {{"set", data.set},
               {"train_size", data.train_size},
               {"validation_size", data.validation_size},
               {"train_subset", data.train_subset},
               {"validation_subset", data.validation_subset}};
  j["space (file contents)"] = space_digest;
  for (const TargetConfig& t : targets)
    j["targets"].push_back({{"name", t.name},
                            // The threads in effect, so a target file's `threads:` counts,
                            // and a config that spells out the default keeps its key.
                            {"threads", evaluator::latency_compile_target({t.name, t.threads})
                                            .threads},
                            {"constraints",
                             {{"latency_ms", optional_json(t.max_latency_ms)},
                              {"params", optional_json(t.max_params)},
                              {"peak_memory", optional_json(t.max_peak_memory)}}}});
  // Only where set, so configs without requirements keep the hash they had.
  for (size_t i = 0; i < targets.size(); ++i)
    if (!targets[i].requirement.empty())
      j["targets"][i]["requires"] = targets[i].requirement.to_json();
  j["constraints"] = {{"params", optional_json(max_params)},
                      {"peak_memory", optional_json(max_peak_memory)}};
  for (const ObjectiveSpec& o : objectives)
    j["objectives"].push_back(
        {{"metric", o.metric}, {"goal", o.maximize ? "maximize" : "minimize"}});
  j["strategy"] = {{"name", strategy}, {"settings", strategy_settings}};
  j["budget"] = {{"batch", batch_size()}};
  j["training"] = recipe_json(training);
  if (!fidelity.epochs.empty()) j["fidelity"] = {{"epochs", fidelity.epochs}, {"eta", fidelity.eta}};
  // Only where on, so configs without it keep the hash they had.
  if (fidelity.early_stopping) j["fidelity"]["early_stopping"] = true;
  nlohmann::json flat = nlohmann::json::object();
  flatten(j, "", flat);
  return flat;
}

std::vector<int64_t> ExperimentConfig::fidelity_epochs() const {
  return fidelity.epochs.empty() ? std::vector<int64_t>{training.epochs} : fidelity.epochs;
}

std::string ExperimentConfig::resume_hash() const {
  return fmt::format("{:016x}", fnv1a(resume_key().dump()));
}

std::vector<std::string> resume_key_changes(const nlohmann::json& before,
                                            const nlohmann::json& after) {
  std::set<std::string> keys;
  for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
  for (auto it = after.begin(); it != after.end(); ++it) keys.insert(it.key());
  auto show = [](const nlohmann::json& j, const std::string& key) -> std::string {
    if (!j.contains(key)) return "(absent)";
    const nlohmann::json& v = j[key];
    if (v.is_null()) return "(none)";
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::vector<std::string> changes;
  for (const std::string& key : keys) {
    const std::string a = show(before, key), b = show(after, key);
    if (a != b) changes.push_back(fmt::format("{} {} -> {}", key, a, b));
  }
  return changes;
}

namespace {

ExperimentConfig parse_document(YAML::Node root, Reader& reader,
                                const std::vector<std::string>& overrides) {
  std::set<std::string> overridden;
  for (const std::string& o : overrides) overridden.insert(apply_override(root, o));
  reader.set_command_line_keys(std::move(overridden));
  return parse_tree(root, reader);
}

}  // namespace

ExperimentConfig parse_config(const std::string& text, const fs::path& file,
                              const std::vector<std::string>& overrides) {
  Reader reader(file.string(), "config file");
  return parse_document(reader.parse(text), reader, overrides);
}

ExperimentConfig load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  Reader reader(file.string(), "config file");
  return parse_document(reader.load(), reader, overrides);
}

}  // namespace nas::search
