#include "compiler/tune/tuner.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "compiler/lower/default_schedule.h"
#include "compiler/support/error.h"
#include "compiler/support/random.h"
#include "compiler/tune/features.h"
#include "compiler/tune/kernel_bench.h"
#include "compiler/tune/schedule_space.h"

namespace nas::tune {

namespace {

// A schedule to measure: the constants, the kernel they make, and its features.
struct Candidate {
  ScheduleParams params;
  lower::LoweredKernel kernel;
  std::string schedule;  // the kernel's schedule as JSON: equal schedules are one candidate
  std::vector<double> features;
};

// What the kernel is, for people: its name and its parameters' shapes.
std::string describe_kernel(const lower::GroupStages& group, const std::string& name) {
  std::vector<std::string> shapes;
  for (const loop::Buffer& b : group.buffers) shapes.push_back(graph::shape_str(b.shape()));
  return fmt::format("{} {}", name, fmt::join(shapes, " "));
}

}  // namespace

Tuner::Tuner(TuningRecords& records, target::Target target, TuneOptions options)
    : records_(records), target_(std::move(target)), target_key_(target_key(target_)),
      options_(options),
      model_(XGBoostParams{.rounds = 50, .max_depth = 6, .learning_rate = 0.3,
                           .seed = options.seed, .objective = "rank:pairwise"}) {
  NAS_CHECK(options_.trials >= 1 && options_.batch >= 1, "trials {} and batch {} must be >= 1",
            options_.trials, options_.batch);
}

Tuner::~Tuner() = default;

// The cost model from the latest kTrainingRows measurements that passed (a bound on the time
// a fit takes, about a second at this size): each workload on each target is one group,
// ranked by throughput against its fastest (1 for the fastest).
void Tuner::retrain() {
  constexpr size_t kTrainingRows = 4096;
  std::vector<Measurement> rows = records_.passed(kTrainingRows);
  std::ranges::stable_sort(rows, [](const Measurement& a, const Measurement& b) {
    return std::tie(a.workload, a.target) < std::tie(b.workload, b.target);
  });
  std::vector<std::vector<double>> features;
  std::vector<double> targets;
  std::vector<unsigned> groups;
  for (size_t begin = 0; begin < rows.size();) {
    size_t end = begin;
    double fastest = *rows[begin].ms;
    while (end < rows.size() && rows[end].workload == rows[begin].workload &&
           rows[end].target == rows[begin].target)
      fastest = std::min(fastest, *rows[end++].ms);
    for (size_t i = begin; i < end; ++i) {
      if (rows[i].features.size() != feature_names().size()) continue;  // an older format
      features.push_back(rows[i].features);
      targets.push_back(fastest / *rows[i].ms);
    }
    const auto added = static_cast<unsigned>(features.size()) -
                       std::accumulate(groups.begin(), groups.end(), 0u);
    if (added > 0) groups.push_back(added);
    begin = end;
  }
  trained_ = true;
  trained_rows_ = features.size();
  measured_since_fit_ = 0;
  if (features.size() >= 2) model_.fit(features, targets, groups);
}

WorkloadResult Tuner::tune(const lower::GroupStages& group, const std::string& kernel_name,
                           const TuneProgress& progress) {
  WorkloadResult result;
  result.workload = lower::workload_key(group);
  result.kernel = kernel_name;
  result.family = std::string(lower::schedule_family_name(group.family));
  const ScheduleSpace space = ScheduleSpace::of(group, target_);
  const std::string default_params = space.base().to_json().dump();

  // What the records have of it already: nothing is measured twice.
  const std::vector<Measurement> known = records_.of(result.workload, target_key_);
  for (const Measurement& m : known) {
    result.work = m.work;
    if (!m.ms) continue;
    if (result.best_ms == 0 || *m.ms < result.best_ms) result.best_ms = *m.ms;
    if (m.params.dump() == default_params) result.default_ms = *m.ms;
  }
  int trial = static_cast<int>(known.size());
  if (trial >= options_.trials ||
      records_.finished_trials(result.workload, target_key_) >= options_.trials)
    return result;

  // The records so far rank the first round (trained once, when a workload needs it).
  if (options_.use_model && !trained_) retrain();
  KernelBench bench(group, target_, counter_hash({options_.seed, result.workload}));
  result.work = bench.work();
  const std::string kernel_text = describe_kernel(group, kernel_name);
  // A point's schedule alone is cheap; its kernel (lowered, for the features and the
  // measurement) is not: points are told apart by schedule before any is lowered.
  auto schedule_of = [&](const ScheduleParams& params) {
    return lower::default_schedule(group.stages, group.family, group.anchor, target_, params)
        .to_json()
        .dump();
  };
  auto make = [&](const ScheduleParams& params) {
    Candidate c{params, lower::default_kernel(group, target_, params, "tuned_" + kernel_name),
                "", {}};
    c.schedule = c.kernel.schedule.to_json().dump();
    c.features = kernel_features(c.kernel, target_, params, result.work);
    return c;
  };
  std::set<std::string> seen;
  for (const Measurement& m : known) seen.insert(schedule_of(space.base().with_json(m.params)));

  // The measured points of this run with their times, fastest first (for neighbours).
  std::vector<std::pair<double, Point>> measured_points;
  int since_best = 0;
  auto record_measurement = [&](const Candidate& c, const std::optional<Point>& point,
                                const KernelMeasurement& m) {
    seen.insert(c.schedule);
    Measurement record{result.workload, target_key_, result.family, kernel_text,
                       c.params.to_json(), std::nullopt, m.error, c.features, result.work};
    if (m.ok) record.ms = m.ms;
    records_.add(record);
    ++result.measured;
    ++trial;
    ++since_best;
    if (!m.ok) {
      ++result.failed;
    } else {
      if (result.best_ms == 0 || m.ms < result.best_ms) {
        result.best_ms = m.ms;
        since_best = 0;
      }
      if (record.params.dump() == default_params) result.default_ms = m.ms;
      ++measured_since_fit_;
      if (point) measured_points.emplace_back(m.ms, *point);
    }
    if (progress) progress(result, trial, options_.trials);
  };

  const Candidate base = make(space.base());
  if (!seen.contains(base.schedule))
    record_measurement(base, std::nullopt,
                       bench.measure(base.kernel, options_.protocol, options_.cold_caches));

  SplitMix64 rng(counter_hash({options_.seed, result.workload, 1}));
  auto stop = [&] {
    return trial >= options_.trials ||
           (options_.early_stopping > 0 && since_best >= options_.early_stopping);
  };
  while (!stop()) {
    const int n = std::min(options_.batch, options_.trials - trial);
    // Unseen candidates: `count` drawn by `draw`, giving up after many tries each (a small
    // space runs out; a large one may have few schedules left that its points resolve to).
    auto unseen = [&](int count, const std::function<Point()>& draw,
                      std::vector<std::pair<Candidate, Point>>& into) {
      for (int tries = 0; static_cast<int>(into.size()) < count && tries < 32 * count; ++tries) {
        const Point p = draw();
        const ScheduleParams params = space.params(p);
        const std::string schedule = schedule_of(params);
        const bool duplicate = seen.contains(schedule) ||
                               std::ranges::any_of(into, [&](const auto& e) {
                                 return e.first.schedule == schedule;
                               });
        if (!duplicate) into.emplace_back(make(params), p);
      }
    };
    std::vector<std::pair<Candidate, Point>> round;
    if (options_.use_model && model_.fitted()) {
      std::ranges::sort(measured_points, [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<std::pair<Candidate, Point>> pool;
      const size_t parents = std::min<size_t>(4, measured_points.size());
      unseen(4 * n, [&] {
        if (parents == 0 || rng.below(2) == 0) return space.random_point(rng);
        Point p = measured_points[rng.below(parents)].second;
        for (uint64_t steps = 1 + rng.below(2); steps > 0; --steps) p = space.neighbour(p, rng);
        return p;
      }, pool);
      std::vector<std::vector<double>> rows;
      for (const auto& e : pool) rows.push_back(e.first.features);
      const std::vector<double> scores = model_.predict(rows);
      std::vector<size_t> order(pool.size());
      std::iota(order.begin(), order.end(), 0);
      std::ranges::stable_sort(order, [&](size_t a, size_t b) { return scores[a] > scores[b]; });
      const int by_model = n - static_cast<int>(n * options_.random_share);
      for (size_t i = 0; i < order.size() && static_cast<int>(round.size()) < by_model; ++i)
        round.push_back(std::move(pool[order[i]]));
    }
    for (const auto& e : round) seen.insert(e.first.schedule);
    unseen(n, [&] { return space.random_point(rng); }, round);
    if (round.empty()) break;  // every schedule of the space is measured
    std::vector<lower::LoweredKernel> kernels;
    for (const auto& e : round) kernels.push_back(e.first.kernel);
    const std::vector<KernelMeasurement> measured =
        bench.measure_all(kernels, options_.protocol, options_.cold_caches);
    for (size_t i = 0; i < round.size() && !stop(); ++i)
      record_measurement(round[i].first, round[i].second, measured[i]);
    // Refitting costs about as much as a few measurements: only once the data grew by a
    // tenth (at least a round's worth).
    if (options_.use_model &&
        measured_since_fit_ >= std::max<size_t>(options_.batch, trained_rows_ / 10))
      retrain();
  }
  records_.finish(result.workload, target_key_, options_.trials);
  return result;
}

std::optional<double> Tuner::measure(const lower::GroupStages& group,
                                     const std::string& kernel_name,
                                     const target::ScheduleParams& params) {
  const uint64_t workload = lower::workload_key(group);
  KernelBench bench(group, target_, counter_hash({options_.seed, workload}));
  const lower::LoweredKernel kernel =
      lower::default_kernel(group, target_, params, "tuned_" + kernel_name);
  const KernelMeasurement m = bench.measure(kernel, options_.protocol, options_.cold_caches);
  Measurement record{workload,
                     target_key_,
                     std::string(lower::schedule_family_name(group.family)),
                     describe_kernel(group, kernel_name),
                     params.to_json(),
                     std::nullopt,
                     m.error,
                     kernel_features(kernel, target_, params, bench.work()),
                     bench.work()};
  if (m.ok) record.ms = m.ms;
  records_.add(record);
  return record.ms;
}

std::vector<ModelWorkload> model_workloads(const graph::Graph& graph,
                                           const compiler::CompileOptions& options) {
  const runtime::LoweredModel lowered = compiler::lower_model(graph, options);
  lower::LowerOptions group_options = options.lowering;
  group_options.channel_blocks = lowered.layout.channel_blocks;
  std::vector<ModelWorkload> workloads;
  std::map<uint64_t, size_t> index;
  for (size_t k = 0; k < lowered.kernels.size(); ++k) {
    lower::GroupStages group =
        lower::group_stages(lowered.graph, lowered.fusion.groups[k], options.target, group_options);
    const uint64_t key = lower::workload_key(group);
    if (auto it = index.find(key); it != index.end()) {
      ++workloads[it->second].kernels;
      continue;
    }
    index.emplace(key, workloads.size());
    workloads.push_back({std::move(group), key, lowered.kernels[k].func.name, 1});
  }
  return workloads;
}

std::vector<WorkloadResult> Tuner::tune_model(const graph::Graph& graph,
                                              const compiler::CompileOptions& options,
                                              const TuneProgress& progress) {
  NAS_CHECK(target_key(options.target) == target_key_, "tuning for {} with options for {}",
            target_key_, target_key(options.target));
  std::vector<WorkloadResult> results;
  for (const ModelWorkload& w : model_workloads(graph, options)) {
    results.push_back(tune(w.group, w.kernel, progress));
    results.back().kernels = w.kernels;
  }
  return results;
}

}  // namespace nas::tune
