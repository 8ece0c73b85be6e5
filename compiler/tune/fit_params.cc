#include "compiler/tune/fit_params.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "compiler/lower/default_schedule.h"
#include "compiler/lower/lower_group.h"
#include "compiler/tune/schedule_space.h"

namespace nas::tune {

namespace {

using target::ScheduleParams;

// One workload as the fit sees it: its default schedule under any constants (memoized) and
// the time of each schedule its records measured.
class FitWorkload {
 public:
  FitWorkload(const ModelWorkload& w, const target::Target& target,
              const std::vector<Measurement>& measured)
      : workload_(w), target_(target) {
    for (const Measurement& m : measured) {
      if (!m.ms) continue;
      add(schedule(target.schedule.with_json(m.params)), *m.ms);
    }
  }

  const std::string& schedule(const ScheduleParams& params) {
    const std::string key = params.to_json().dump();
    auto it = schedules_.find(key);
    if (it == schedules_.end()) {
      const lower::GroupStages& g = workload_.group;
      it = schedules_
               .emplace(key, lower::default_schedule(g.stages, g.family, g.anchor, target_, params)
                                 .to_json()
                                 .dump())
               .first;
    }
    return it->second;
  }
  void add(const std::string& schedule, double ms) {
    auto [it, added] = ms_.emplace(schedule, ms);
    if (!added) it->second = std::min(it->second, ms);
    best_ = std::min(best_, ms);
  }
  // The measured time of that schedule, if the records have it.
  std::optional<double> ms(const std::string& schedule) const {
    const auto it = ms_.find(schedule);
    return it == ms_.end() ? std::nullopt : std::optional<double>(it->second);
  }
  double best() const { return best_; }
  int kernels() const { return workload_.kernels; }
  const ModelWorkload& workload() const { return workload_; }

 private:
  const ModelWorkload& workload_;
  const target::Target& target_;
  std::map<std::string, std::string> schedules_;  // params JSON -> schedule JSON
  std::map<std::string, double> ms_;              // schedule JSON -> fastest time
  double best_ = std::numeric_limits<double>::infinity();
};

// What setting one field to `value` does: the workloads whose schedule changes, the summed
// time before and after of those the records cover (kernels counted), and those they do not.
struct Trial {
  int workloads = 0;
  double before = 0, after = 0;
  std::vector<size_t> uncovered;       // workloads whose changed schedule was not measured
  std::vector<std::string> schedules;  // per workload, under the trial's constants
  bool gains(double min_gain) const { return workloads > 0 && after <= before * (1 - min_gain); }
};

}  // namespace

FittedParams fit_schedule_params(const std::vector<ModelWorkload>& workloads,
                                 const TuningRecords& records, const target::Target& target,
                                 const FitOptions& options) {
  const std::string key = target_key(target);
  FittedParams fit;
  fit.params = target.schedule;
  std::vector<FitWorkload> fitted;
  std::vector<std::string> current;  // per fitted workload: its schedule under fit.params
  std::map<std::string, std::vector<nlohmann::json>> candidates;  // field -> values to try
  for (const ModelWorkload& w : workloads) {
    FitWorkload f(w, target, records.of(w.key, key));
    const std::string& base = f.schedule(fit.params);
    if (!f.ms(base)) {
      ++fit.skipped;
      continue;
    }
    current.push_back(base);
    const ScheduleSpace space = ScheduleSpace::of(w.group, target);
    for (const Knob& knob : space.knobs()) {
      std::vector<nlohmann::json>& values = candidates[knob.name];
      for (const nlohmann::json& v : knob.values)
        if (std::ranges::find(values, v) == values.end()) values.push_back(v);
    }
    fitted.push_back(std::move(f));
  }
  fit.workloads = static_cast<int>(fitted.size());
  for (size_t i = 0; i < fitted.size(); ++i) {
    fit.ms_default += fitted[i].kernels() * *fitted[i].ms(current[i]);
    fit.ms_best += fitted[i].kernels() * fitted[i].best();
  }

  auto try_value = [&](const ScheduleParams& params) {
    Trial t;
    for (size_t i = 0; i < fitted.size(); ++i) {
      const std::string& s = fitted[i].schedule(params);
      t.schedules.push_back(s);
      if (s == current[i]) continue;
      const std::optional<double> ms = fitted[i].ms(s);
      if (!ms) {
        t.uncovered.push_back(i);
        continue;
      }
      ++t.workloads;
      t.before += fitted[i].kernels() * *fitted[i].ms(current[i]);
      t.after += fitted[i].kernels() * *ms;
    }
    return t;
  };
  // A value whose covered workloads gain (or that covers none) has the rest measured, one at
  // a time while the measured ones still gain, within the budget; then it is judged on all.
  int budget = options.max_measurements;
  auto judge = [&](const ScheduleParams& params) -> std::optional<Trial> {
    Trial t = try_value(params);
    if (t.uncovered.empty()) return t;
    if (!options.measure || (t.workloads > 0 && !t.gains(options.min_gain))) return std::nullopt;
    for (size_t i : t.uncovered) {
      if (budget == 0) return std::nullopt;
      --budget;
      ++fit.measured;
      const std::optional<double> ms = options.measure(fitted[i].workload(), params);
      if (!ms) return std::nullopt;  // a schedule that fails is no default
      fitted[i].add(t.schedules[i], *ms);
      const Trial so_far = try_value(params);
      if (!so_far.gains(options.min_gain)) return std::nullopt;
    }
    return try_value(params);
  };

  // Fields in name order, values in the spaces' order: the same records fit the same way.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [field, values] : candidates) {
      const nlohmann::json now = fit.params.to_json().at(field);
      std::optional<Trial> best;
      nlohmann::json best_value;
      for (const nlohmann::json& value : values) {
        if (value == now) continue;
        std::optional<Trial> t = judge(fit.params.with_json({{field, value}}));
        if (!t || !t->gains(options.min_gain)) continue;
        if (!best || t->before - t->after > best->before - best->after) {
          best = std::move(t);
          best_value = value;
        }
      }
      if (!best) continue;
      fit.params = fit.params.with_json({{field, best_value}});
      current = best->schedules;
      fit.changes.push_back({field, now, best_value, best->workloads, best->before, best->after});
      changed = true;
    }
  }
  for (size_t i = 0; i < fitted.size(); ++i)
    fit.ms_fitted += fitted[i].kernels() * *fitted[i].ms(current[i]);
  return fit;
}

std::string fitted_target_yaml(const target::Target& target, const FittedParams& fit,
                               const std::string& records_path) {
  std::string out = fmt::format(
      "# {} with schedule constants fitted to the tuning records {} (nas tune --fit-target):\n"
      "# {} workloads, their kernels' summed time {:.4f} ms with the defaults, {:.4f} ms with\n"
      "# these, {:.4f} ms with each one's best schedule. Fields not listed keep the defaults\n"
      "# (target/schedule_params.h says where each came from).\n",
      target.name, records_path, fit.workloads, fit.ms_default, fit.ms_fitted, fit.ms_best);
  out += fmt::format("name: {}-fitted\ntriple: {}\ncpu: {}\nfeatures: [", target.name,
                     target.triple, target.cpu);
  bool first = true;
  for (const std::string& f : target.features) {
    out += (first ? "" : ", ") + f;
    first = false;
  }
  out += fmt::format("]\nthreads: {}\n", target.threads);
  if (fit.changes.empty()) return out;
  out += "schedule:\n";
  const nlohmann::json fitted = fit.params.to_json();
  std::map<std::string, const FieldChange*> last;  // a field changed twice: its last change
  for (const FieldChange& c : fit.changes) last[c.field] = &c;
  for (const auto& [field, change] : last) {
    const nlohmann::json default_value = target.schedule.to_json().at(field);
    out += fmt::format("  # default {}; on the {} workload(s) it changes, {:.4f} -> {:.4f} ms\n",
                       default_value.dump(), change->workloads, change->ms_before,
                       change->ms_after);
    out += fmt::format("  {}: {}\n", field, fitted.at(field).dump());
  }
  return out;
}

}  // namespace nas::tune
