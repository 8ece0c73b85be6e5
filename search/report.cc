#include "search/report.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"
#include "search/config.h"
#include "search/hypervolume.h"
#include "search/pareto.h"
#include "search/run_search.h"
#include "search/store.h"
#include "space/space_file.h"

namespace nas::search {

namespace fs = std::filesystem;

namespace {

// The latency targets any record measured, sorted by name.
std::vector<std::string> latency_targets(const std::vector<TrialRecord>& records) {
  std::set<std::string> targets;
  for (const TrialRecord& r : records)
    for (const auto& [target, latency] : r.result.latency) targets.insert(target);
  return {targets.begin(), targets.end()};
}

std::string number(double v) { return fmt::format("{}", v); }

std::string csv_header(const std::vector<std::string>& targets) {
  std::string line =
      "id,batch,arch,fidelity,seed,status,reason,feasible,on_front,violation,accuracy,"
      "test_accuracy,params,flops,peak_memory,model_bytes";
  for (const std::string& t : targets) {
    line += ',';
    line += csv_field("latency:" + t);
    line += ',';
    line += csv_field("untuned_latency:" + t);  // the default schedules' (empty: not tuned)
  }
  return line + ",step_ms,training_seconds,seconds\r\n";
}

std::string csv_row(const TrialRecord& r, const TrialStanding& s,
                    const std::vector<std::string>& targets) {
  const evaluator::EvalResult& e = r.result;
  std::vector<std::string> fields = {
      std::to_string(r.id),
      std::to_string(r.batch),
      csv_field(r.arch),
      std::to_string(r.fidelity),
      std::to_string(r.seed),
      std::string(evaluator::status_name(e.status)),
      csv_field(e.reason),
      s.feasible ? "1" : "0",
      s.on_front ? "1" : "0",
      s.ok ? number(s.violation) : "",
      s.ok && !s.trained ? "" : number(e.accuracy),  // not trained: no accuracy
      e.test_accuracy ? number(*e.test_accuracy) : "",
      std::to_string(e.cost.parameters),
      std::to_string(e.cost.flops),
      std::to_string(e.cost.peak_activation_bytes),
      std::to_string(e.cost.model_bytes)};
  for (const std::string& t : targets) {
    auto it = e.latency.find(t);
    fields.push_back(it == e.latency.end() ? "" : number(it->second.median_ms));
    fields.push_back(it == e.latency.end() || it->second.untuned_median_ms == 0
                         ? ""
                         : number(it->second.untuned_median_ms));
  }
  fields.push_back(number(e.step_ms));
  fields.push_back(number(e.training_seconds));
  fields.push_back(number(r.seconds));
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += fields[i];
  }
  return line + "\r\n";
}

// Written whole or not at all, so that an interrupted `nas report` never leaves a
// truncated results.json behind.
void write_file(const fs::path& path, const std::string& text) {
  write_file_atomically(path.string(), text);
}

nlohmann::json space_json(const space::SearchSpace& space) {
  nlohmann::json decisions = nlohmann::json::array();
  for (const space::Decision& d : space.decisions())
    decisions.push_back(
        {{"name", d.name}, {"labels", d.labels}, {"values", d.values}, {"ordered", d.ordered}});
  return {{"name", space.name()}, {"decisions", decisions}};
}

}  // namespace

std::vector<TrialStanding> rank_trials(const std::vector<TrialRecord>& records,
                                       const space::SearchSpace& space,
                                       const std::vector<ObjectiveSpec>& objectives,
                                       const std::vector<ConstraintSpec>& constraints) {
  std::vector<TrialStanding> standings(records.size());
  std::map<std::string, size_t> latest;  // architecture -> its longest, latest evaluation
  for (size_t i = 0; i < records.size(); ++i) {
    const TrialRecord& r = records[i];
    TrialStanding& s = standings[i];
    TrialResult t;
    try {
      t = to_trial_result(space.parse(r.arch), r.result, objectives, constraints);
    } catch (const UserError& e) {
      user_error("trial {} ({}): {}", r.id, r.arch, e.what());
    }
    s.ok = t.ok;
    s.trained = t.ok && t.trained;
    s.objectives = t.objectives;
    s.violation = t.violation;
    s.feasible = t.ok && t.violation == 0;
    auto [it, inserted] = latest.emplace(r.arch, i);
    if (!inserted) {
      const TrialRecord& other = records[it->second];
      if (std::pair(r.fidelity, r.id) > std::pair(other.fidelity, other.id)) it->second = i;
    }
  }
  for (size_t i = 0; i < records.size(); ++i)
    standings[i].superseded = latest.at(records[i].arch) != i;

  std::vector<size_t> candidates;
  for (size_t i = 0; i < records.size(); ++i)
    if (standings[i].feasible && !standings[i].superseded) candidates.push_back(i);
  std::vector<TrialResult> candidate_results;
  for (size_t i : candidates)
    candidate_results.push_back({{}, true, standings[i].objectives, standings[i].violation});
  for (size_t k : pareto_front(candidate_results)) standings[candidates[k]].on_front = true;
  return standings;
}

std::vector<size_t> front_order(const std::vector<TrialRecord>& records,
                                const std::vector<TrialStanding>& standings) {
  std::vector<size_t> front;
  for (size_t i = 0; i < standings.size(); ++i)
    if (standings[i].on_front) front.push_back(i);
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    const double oa = standings[a].objectives.empty() ? 0 : standings[a].objectives[0];
    const double ob = standings[b].objectives.empty() ? 0 : standings[b].objectives[0];
    return std::pair(oa, records[a].id) < std::pair(ob, records[b].id);
  });
  return front;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::optional<std::vector<double>> hypervolume_reference(
    const std::vector<ObjectiveSpec>& objectives, const std::vector<ConstraintSpec>& constraints) {
  std::vector<double> reference;
  for (const ObjectiveSpec& o : objectives) {
    if (o.maximize) {
      reference.push_back(0);
      continue;
    }
    const auto bound = std::find_if(constraints.begin(), constraints.end(),
                                    [&](const ConstraintSpec& c) { return c.metric == o.metric; });
    if (bound == constraints.end()) return std::nullopt;
    reference.push_back(bound->max);
  }
  return reference;
}

std::optional<double> experiment_hypervolume(const std::vector<TrialStanding>& standings,
                                             const std::vector<ObjectiveSpec>& objectives,
                                             const std::vector<ConstraintSpec>& constraints) {
  const auto reference = hypervolume_reference(objectives, constraints);
  if (!reference) return std::nullopt;
  std::vector<Point> points;
  for (const TrialStanding& s : standings)
    if (s.feasible && !s.superseded) points.push_back(s.objectives);
  return hypervolume(points, *reference);
}

nlohmann::json results_json(const std::vector<TrialRecord>& records,
                            const space::SearchSpace& space,
                            const std::vector<ObjectiveSpec>& objectives,
                            const std::vector<ConstraintSpec>& constraints) {
  const std::vector<TrialStanding> standings =
      rank_trials(records, space, objectives, constraints);
  nlohmann::json objective_list = nlohmann::json::array();
  for (const ObjectiveSpec& o : objectives)
    objective_list.push_back({{"metric", o.metric}, {"maximize", o.maximize}});
  nlohmann::json constraint_list = nlohmann::json::array();
  for (const ConstraintSpec& c : constraints)
    constraint_list.push_back({{"metric", c.metric}, {"max", c.max}});
  nlohmann::json trials = nlohmann::json::array();
  for (size_t i = 0; i < records.size(); ++i) {
    const TrialRecord& r = records[i];
    trials.push_back({{"id", r.id},
                      {"batch", r.batch},
                      {"arch", r.arch},
                      {"arch_json", space.to_json(space.parse(r.arch))},
                      {"fidelity", r.fidelity},
                      {"seed", r.seed},
                      {"seconds", r.seconds},
                      {"finished", r.finished},
                      {"feasible", standings[i].feasible},
                      {"superseded", standings[i].superseded},
                      {"on_front", standings[i].on_front},
                      {"result", r.result.to_json()}});
  }
  const auto reference = hypervolume_reference(objectives, constraints);
  const auto volume = experiment_hypervolume(standings, objectives, constraints);
  const auto count = [&](auto pred) { return std::count_if(standings.begin(), standings.end(), pred); };
  const auto count_status = [&](evaluator::EvalStatus status) {
    return std::count_if(records.begin(), records.end(),
                         [&](const TrialRecord& r) { return r.result.status == status; });
  };
  const nlohmann::json summary = {
      {"trials", records.size()},
      {"ok", count([](const TrialStanding& s) { return s.ok; })},
      {"not_trained", count([](const TrialStanding& s) { return s.ok && !s.trained; })},
      {"stopped_early", count_status(evaluator::EvalStatus::Stopped)},
      {"feasible", count([](const TrialStanding& s) { return s.feasible; })},
      {"front", count([](const TrialStanding& s) { return s.on_front; })},
      {"hypervolume", volume ? nlohmann::json(*volume) : nlohmann::json()},
      {"hypervolume_reference", reference ? nlohmann::json(*reference) : nlohmann::json()}};
  return {{"space", space_json(space)},
          {"objectives", objective_list},
          {"constraints", constraint_list},
          {"summary", summary},
          {"trials", trials}};
}

Experiment experiment_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    std::vector<space::Decision> decisions;
    for (const nlohmann::json& d : j.at("space").at("decisions"))
      decisions.push_back({d.at("name").get<std::string>(),
                           d.at("labels").get<std::vector<std::string>>(),
                           d.at("values").get<std::vector<double>>(), d.at("ordered").get<bool>()});
    Experiment e{space::SearchSpace(j.at("space").at("name").get<std::string>(),
                                    std::move(decisions)),
                 {}, {}, {}, {}};
    for (const nlohmann::json& o : j.at("objectives")) {
      e.objectives.push_back({o.at("metric").get<std::string>(), o.at("maximize").get<bool>()});
      check_metric_name(e.objectives.back().metric);
    }
    for (const nlohmann::json& c : j.at("constraints")) {
      e.constraints.push_back({c.at("metric").get<std::string>(), c.at("max").get<double>()});
      check_metric_name(e.constraints.back().metric);
    }
    for (const nlohmann::json& t : j.at("trials")) {
      TrialRecord r;
      r.id = t.at("id").get<int64_t>();
      r.batch = t.at("batch").get<int64_t>();
      r.arch = t.at("arch").get<std::string>();
      r.fidelity = t.at("fidelity").get<int64_t>();
      r.seed = t.at("seed").get<uint64_t>();
      r.seconds = t.at("seconds").get<double>();
      r.finished = t.value("finished", "");
      r.result = evaluator::EvalResult::from_json(t.at("result"));
      e.space.parse(r.arch);  // the architecture must belong to the space
      e.records.push_back(std::move(r));
    }
    return e;
  } catch (const nlohmann::json::exception& ex) {
    user_error("{}: malformed results: {}", source, ex.what());
  } catch (const UserError& ex) {
    user_error("{}: {}", source, ex.what());
  }
}

void write_results(const fs::path& dir, const std::vector<TrialRecord>& records,
                   const space::SearchSpace& space, const std::vector<ObjectiveSpec>& objectives,
                   const std::vector<ConstraintSpec>& constraints) {
  const std::vector<TrialStanding> standings =
      rank_trials(records, space, objectives, constraints);
  const std::vector<std::string> targets = latency_targets(records);
  std::string results = csv_header(targets);
  for (size_t i = 0; i < records.size(); ++i) results += csv_row(records[i], standings[i], targets);
  std::string pareto = csv_header(targets);
  for (size_t i : front_order(records, standings)) pareto += csv_row(records[i], standings[i], targets);

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) user_error("cannot create {}: {}", dir.string(), ec.message());
  write_file(dir / "results.csv", results);
  write_file(dir / "pareto.csv", pareto);
  write_file(dir / "results.json",
             results_json(records, space, objectives, constraints).dump(2) + "\n");
}

Experiment load_experiment(const fs::path& dir) {
  // A search's folder: the resolved config and the store say everything, including how to
  // train the winners. A folder with only results.json can still be reported.
  if (fs::exists(dir / "config.yaml") && fs::exists(store_path(dir))) {
    const ExperimentConfig config = load_config(dir / "config.yaml");
    Experiment e{space::load_space(config.space.string()), config.objectives,
                 config.constraints(), {}, {}};
    ExperimentStore store(store_path(dir));
    for (const StoredTrial& t : store.trials())
      if (t.done) e.records.push_back(t.record);
    e.final_recipe = [config, space = e.space] { return final_recipe(config, space); };
    e.final_selection = {config.final_training.budgets,
                         static_cast<int>(config.final_training.top_k)};
    return e;
  }
  const fs::path path = dir / "results.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) user_error("{}: no such file (is {} an experiment folder?)", path.string(), dir.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& ex) {
    user_error("{}: not valid JSON: {}", path.string(), ex.what());
  }
  return experiment_from_json(j, path.string());
}

}  // namespace nas::search
