#include "compiler/tune/in_model.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "compiler/support/error.h"

namespace nas::tune {

namespace {

double median(std::vector<double> values) {
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// Seeded normal values for the model's float inputs, zeros elsewhere, and its outputs.
struct ModelIo {
  std::vector<graph::Tensor> inputs, outputs;
  std::vector<const graph::Tensor*> in;
  std::vector<graph::Tensor*> out;

  explicit ModelIo(const graph::Graph& model) {
    std::mt19937_64 rng(0);
    std::normal_distribution<float> normal;
    for (graph::ValueId v : model.inputs()) {
      graph::Tensor t(model.type(v));
      if (t.dtype() == graph::DType::F32)
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
      inputs.push_back(std::move(t));
    }
    for (graph::ValueId v : model.outputs()) outputs.emplace_back(model.type(v));
    for (const graph::Tensor& t : inputs) in.push_back(&t);
    for (graph::Tensor& t : outputs) out.push_back(&t);
  }
};

}  // namespace

int InModelCheck::kept() const {
  return static_cast<int>(std::ranges::count_if(timings, &InModelTiming::tuned_wins));
}

int InModelCheck::rejected() const { return static_cast<int>(timings.size()) - kept(); }

InModelCheck check_in_model(const graph::Graph& model, runtime::CompiledModel& defaults,
                            runtime::CompiledModel& tuned, TuningRecords& records,
                            const InModelOptions& options) {
  const nlohmann::json default_kernels = defaults.describe().at("kernels");
  const nlohmann::json tuned_kernels = tuned.describe().at("kernels");
  NAS_CHECK(default_kernels.size() == tuned_kernels.size(),
            "the default and the tuned model have {} and {} kernels", default_kernels.size(),
            tuned_kernels.size());
  const std::string target = target_key(tuned.target());

  // Each workload to check: its kernels' indices and the tuned schedule's constants.
  struct Workload {
    uint64_t key = 0;
    nlohmann::json params;
    std::vector<size_t> kernels;
  };
  std::vector<Workload> workloads;
  std::map<uint64_t, size_t> index;
  for (size_t k = 0; k < tuned_kernels.size(); ++k) {
    const nlohmann::json& kernel = tuned_kernels[k];
    NAS_CHECK(kernel.at("name") == default_kernels[k].at("name"),
              "kernel {} is {} in the tuned model and {} in the default one", k,
              kernel.at("name").dump(), default_kernels[k].at("name").dump());
    if (!kernel.contains("workload") || kernel.at("schedule") == default_kernels[k].at("schedule"))
      continue;
    const uint64_t key = std::stoull(kernel.at("workload").get<std::string>(), nullptr, 16);
    if (auto it = index.find(key); it != index.end()) {
      workloads[it->second].kernels.push_back(k);
      continue;
    }
    const std::optional<Measurement> best = records.best(key, target);
    if (!best || records.in_model(key, target, best->params)) continue;
    index.emplace(key, workloads.size());
    workloads.push_back({key, best->params, {k}});
  }
  InModelCheck check;
  if (workloads.empty()) return check;

  ModelIo io(model);
  for (int w = 0; w < options.warmup; ++w) {
    defaults.run(io.in, io.out);
    tuned.run(io.in, io.out);
  }
  // Alternated, so that both see the machine alike.
  std::vector<std::vector<double>> default_runs, tuned_runs;
  const auto start = std::chrono::steady_clock::now();
  while (check.runs < options.runs) {
    default_runs.push_back(defaults.run_timed(io.in, io.out));
    tuned_runs.push_back(tuned.run_timed(io.in, io.out));
    ++check.runs;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (check.runs >= options.min_runs && seconds > options.max_seconds) break;
  }
  auto workload_ms = [](const std::vector<std::vector<double>>& runs,
                        const std::vector<size_t>& kernels) {
    std::vector<double> sums;
    for (const std::vector<double>& run : runs) {
      double sum = 0;
      for (size_t k : kernels) sum += run.at(k);
      sums.push_back(sum);
    }
    return median(std::move(sums));
  };
  for (const Workload& w : workloads) {
    InModelTiming timing{w.key, target, w.params, workload_ms(default_runs, w.kernels),
                         workload_ms(tuned_runs, w.kernels)};
    records.set_in_model(timing);
    check.timings.push_back(std::move(timing));
  }
  return check;
}

}  // namespace nas::tune
