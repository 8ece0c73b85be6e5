#include "search/winners.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "compiler/graph/rebuild.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "search/config.h"
#include "search/final_epochs.h"
#include "search/run_search.h"
#include "search/report.h"

namespace nas::search {

FinalRecipe final_recipe(const ExperimentConfig& config, const space::SearchSpace& space) {
  FinalRecipe r;
  // Winners are trained one after another, so each gets every worker's threads.
  r.evaluation.train = config.final_training.recipe.train_config(
      config.seed, config.workers * config.threads_per_worker);
  r.evaluation.targets.clear();
  for (const TargetConfig& t : config.targets) r.evaluation.targets.push_back({t.name, t.threads});
  r.evaluation.timing = config.timing;
  r.evaluation.tuning = config.tuning;
  if (config.final_training.wall_minutes) r.wall_seconds = 60 * *config.final_training.wall_minutes;
  ExperimentConfig final_data = config;
  if (config.final_training.train_subset)
    final_data.data.train_subset = *config.final_training.train_subset;
  if (config.final_training.include_validation) {
    final_data.data.train_size += final_data.data.validation_size;
    final_data.data.validation_size = 0;
    final_data.data.validation_subset = 0;
  }
  r.data = load_experiment_data(final_data, space);
  if (config.data.set == "fashion-mnist") {
    r.input_normalization = evaluator::Normalization{};  // what the loader applied
    r.class_names = evaluator::fashion_mnist_class_names();
  }
  return r;
}


namespace fs = std::filesystem;

namespace {

// The model a user deploys: it takes pixel / 255 (float32 in [0, 1]), the data set's
// normalization in front as Sub and Div with the loader's constants, so it computes bit for
// bit what training saw.
graph::Graph deployable(const graph::Graph& trained,
                        const std::optional<evaluator::Normalization>& normalization) {
  if (!normalization) return trained;
  graph::RebuildOptions options;
  options.before_inputs = [&](graph::Graph& g, graph::ValueId x) {
    const auto scalar = [&](const std::string& name, float value) {
      graph::Tensor t(graph::DType::F32, {1});
      t.data<float>()[0] = value;
      return g.add_constant(name, std::move(t));
    };
    const graph::ValueId centred =
        g.add("Sub", {x, scalar("input.mean", normalization->mean)}, {}, "input.centre");
    return g.add("Div", {centred, scalar("input.std", normalization->std)}, {}, "input.scale");
  };
  return graph::rebuild_graph(trained, options).graph;
}

// The median latency on each target, measured with the final training's evaluation.
nlohmann::json latency_ms(const evaluator::EvalResult& result) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [target, latency] : result.latency) out[target] = latency.median_ms;
  return out;
}

// The targets the latencies were measured on: name, LLVM CPU and threads.
nlohmann::json target_descriptions(const FinalRecipe& recipe) {
  nlohmann::json out = nlohmann::json::array();
  for (const evaluator::LatencyTarget& t : recipe.evaluation.targets) {
    const target::Target compiled = evaluator::latency_compile_target(t);
    out.push_back({{"name", t.name}, {"cpu", compiled.cpu}, {"threads", compiled.threads}});
  }
  return out;
}

// What a user needs to feed the exported models: their input, and what the outputs mean.
nlohmann::json input_description(const graph::Graph& model, const FinalRecipe& recipe) {
  const graph::ValueId x = model.inputs().at(0);
  nlohmann::json input = {{"name", model.value(x).name},
                          {"shape", model.type(x).shape},
                          {"dtype", "float32"},
                          {"layout", "NCHW"}};
  if (recipe.input_normalization) {
    input["range"] = {0.0, 1.0};
    input["values"] = "pixel / 255 (0 black, 1 white); the normalization is in the model";
  } else {
    input["values"] = "as the data set gives them";
  }
  return input;
}

nlohmann::json budget_descriptions(const std::vector<WinnerBudget>& budgets) {
  nlohmann::json out = nlohmann::json::array();
  for (const WinnerBudget& budget : budgets) {
    nlohmann::json limits = nlohmann::json::object();
    for (const ConstraintSpec& limit : budget) limits[limit.metric] = limit.max;
    out.push_back(limits);
  }
  return out;
}

}  // namespace

std::vector<size_t> pick_winners(const std::vector<TrialRecord>& records,
                                 const space::SearchSpace& space,
                                 const std::vector<ObjectiveSpec>& objectives,
                                 const std::vector<ConstraintSpec>& constraints, int top_k) {
  if (top_k < 1) user_error("the number of winners to export must be at least 1 (got {})", top_k);
  const std::vector<TrialStanding> standings =
      rank_trials(records, space, objectives, constraints);
  std::vector<size_t> picked = front_order(records, standings);
  std::vector<size_t> rest;
  for (size_t i = 0; i < records.size(); ++i)
    if (standings[i].feasible && !standings[i].superseded && !standings[i].on_front)
      rest.push_back(i);
  std::sort(rest.begin(), rest.end(), [&](size_t a, size_t b) {
    return std::pair(standings[a].objectives.at(0), records[a].id) <
           std::pair(standings[b].objectives.at(0), records[b].id);
  });
  picked.insert(picked.end(), rest.begin(), rest.end());
  if (picked.size() > static_cast<size_t>(top_k)) picked.resize(top_k);
  return picked;
}

std::string describe_budget(const WinnerBudget& budget) {
  std::string out;
  for (const ConstraintSpec& limit : budget)
    out += fmt::format("{}{} <= {}", out.empty() ? "" : ", ", limit.metric, limit.max);
  return out;
}

std::vector<WinnerPick> select_winners(const std::vector<TrialRecord>& records,
                                       const space::SearchSpace& space,
                                       const std::vector<ObjectiveSpec>& objectives,
                                       const std::vector<ConstraintSpec>& constraints,
                                       const WinnerSelection& selection) {
  std::vector<WinnerPick> picks;
  const auto picked = [&](size_t i) {
    return std::any_of(picks.begin(), picks.end(),
                       [&](const WinnerPick& p) { return p.record == i; });
  };
  // Every feasible architecture once, the front first (pick_winners' order).
  const std::vector<size_t> ranked = pick_winners(
      records, space, objectives, constraints, std::max<int>(1, static_cast<int>(records.size())));
  if (!selection.budgets.empty()) {
    // Best first by the first objective alone: the best within a budget is the first that
    // meets it.
    std::vector<size_t> by_first_objective = ranked;
    const std::vector<TrialStanding> standings =
        rank_trials(records, space, objectives, constraints);
    std::stable_sort(by_first_objective.begin(), by_first_objective.end(), [&](size_t a, size_t b) {
      return standings[a].objectives.at(0) < standings[b].objectives.at(0);
    });
    for (const WinnerBudget& budget : selection.budgets) {
      const auto within = [&](size_t i) {
        return std::all_of(budget.begin(), budget.end(), [&](const ConstraintSpec& limit) {
          return metric_value(records[i].result, limit.metric) <= limit.max;
        });
      };
      const auto best = std::find_if(by_first_objective.begin(), by_first_objective.end(), within);
      if (best == by_first_objective.end()) {
        std::cerr << fmt::format("nas: warning: no feasible trial is within the budget {}\n",
                                 describe_budget(budget));
      } else if (!picked(*best)) {
        picks.push_back({*best, describe_budget(budget)});
      }
    }
  }
  int added = 0;
  for (size_t i : ranked) {
    if (added == selection.top_k) break;
    if (picked(i)) continue;
    picks.push_back({i, "front"});
    ++added;
  }
  return picks;
}

std::vector<Winner> export_winners(const fs::path& dir, const std::vector<TrialRecord>& records,
                                   const space::SearchSpace& space,
                                   const std::vector<ObjectiveSpec>& objectives,
                                   const std::vector<ConstraintSpec>& constraints,
                                   const FinalRecipe& recipe, const WinnerSelection& selection) {
  if (selection.top_k < 0 || (selection.top_k == 0 && selection.budgets.empty()))
    user_error("the number of winners to export must be at least 1 (got {})", selection.top_k);
  if (!space.network())
    user_error("space '{}' has no network template, so its winners cannot be built",
               space.name());
  const std::vector<WinnerPick> picked =
      select_winners(records, space, objectives, constraints, selection);

  // The previous export stays whole until this one has trained every winner: the models
  // are written only then, each atomically, and the stale ones removed last.
  const fs::path folder = dir / "winners";
  if (fs::exists(folder) && !fs::is_directory(folder))
    user_error("{}: exists and is not a folder, so the winners cannot be written there",
               folder.string());

  evaluator::EvaluationConfig config = recipe.evaluation;
  config.test_accuracy = true;
  std::vector<Winner> winners;
  std::vector<std::pair<std::string, graph::Graph>> models;  // file name, trained model
  nlohmann::json listing = nlohmann::json::array();
  // With a wall-time budget, each winner's epoch is timed first and the budget shared out.
  std::vector<int64_t> epochs(picked.size(), config.train.epochs);
  std::vector<double> epoch_seconds(picked.size(), 0.0);
  if (recipe.wall_seconds) {
    for (size_t i = 0; i < picked.size(); ++i)
      epoch_seconds[i] = time_epoch(space.decode(space.parse(records[picked[i].record].arch)),
                                    recipe.data.train, config.train);
    epochs = share_epochs(epoch_seconds, *recipe.wall_seconds, config.train.epochs);
  }
  for (size_t p = 0; p < picked.size(); ++p) {
    const WinnerPick& pick = picked[p];
    const TrialRecord& r = records[pick.record];
    const space::Architecture arch = space.parse(r.arch);
    Winner w;
    w.rank = static_cast<int>(winners.size()) + 1;
    w.trial = r.id;
    w.picked_for = pick.picked_for;
    w.arch = r.arch;
    w.hash = space.hash(arch);
    w.epochs = epochs[p];
    w.epoch_seconds = epoch_seconds[p];
    const graph::Graph model = space.decode(arch);
    evaluator::TrainState state = evaluator::initial_state(model);
    evaluator::EvaluationConfig winner_config = config;
    winner_config.train.epochs = w.epochs;
    w.final_result = evaluator::evaluate_candidate(model, recipe.data, winner_config, &state);
    if (w.final_result.status == evaluator::EvalStatus::Ok) {
      w.file = fmt::format("{}_{:016x}.onnx", w.rank, w.hash);
      models.emplace_back(w.file,
                          deployable(evaluator::with_weights(model, state),
                                     recipe.input_normalization));
    }
    nlohmann::json metrics = nlohmann::json::object();
    for (const ObjectiveSpec& o : objectives)
      if (w.final_result.status == evaluator::EvalStatus::Ok)
        metrics[o.metric] = metric_value(w.final_result, o.metric);
    // Trained on the validation split too (final.include_validation): none to measure.
    if (recipe.data.validation.n == 0 && metrics.contains("accuracy"))
      metrics["accuracy"] = nullptr;
    for (const ConstraintSpec& c : constraints)
      if (w.final_result.status == evaluator::EvalStatus::Ok)
        metrics[c.metric] = metric_value(w.final_result, c.metric);
    listing.push_back({{"rank", w.rank},
                       {"trial", w.trial},
                       {"picked_for", pick.picked_for},
                       {"arch", w.arch},
                       {"arch_json", space.to_json(arch)},
                       {"hash", fmt::format("{:016x}", w.hash)},
                       {"file", w.file.empty() ? nlohmann::json() : nlohmann::json(w.file)},
                       {"epochs", w.epochs},
                       {"epoch_seconds",
                        w.epoch_seconds > 0 ? nlohmann::json(w.epoch_seconds) : nlohmann::json()},
                       {"status", evaluator::status_name(w.final_result.status)},
                       {"test_accuracy", w.final_result.test_accuracy
                                             ? nlohmann::json(*w.final_result.test_accuracy)
                                             : nlohmann::json()},
                       {"latency_ms", latency_ms(w.final_result)},
                       {"metrics", metrics},
                       {"search_result", r.result.to_json()},
                       {"final_result", w.final_result.to_json()}});
    winners.push_back(std::move(w));
  }
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) user_error("cannot create {}: {}", folder.string(), ec.message());
  std::set<std::string> written;
  for (const auto& [file, model] : models) {
    onnx_io::export_onnx(model, (folder / file).string());
    written.insert(file);
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".onnx" && !written.count(entry.path().filename().string()))
      fs::remove(entry.path());
  const fs::path json_path = folder / "winners.json";
  const nlohmann::json description = {
      {"top_k", selection.top_k},
      {"budgets", budget_descriptions(selection.budgets)},
      {"final_epochs", config.train.epochs},  // the most; each winner's under "epochs"
      {"final_wall_minutes",
       recipe.wall_seconds ? nlohmann::json(*recipe.wall_seconds / 60) : nlohmann::json()},
      {"input", models.empty() ? nlohmann::json() : input_description(models[0].second, recipe)},
      {"classes", recipe.class_names},
      {"targets", target_descriptions(recipe)},
      {"winners", listing}};
  write_file_atomically(json_path.string(), description.dump(2) + "\n");
  return winners;
}

}  // namespace nas::search
