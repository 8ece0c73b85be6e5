#include "compiler/tune/in_model.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "compiler/passes/winograd.h"
#include "compiler/runtime/model_inputs.h"
#include "compiler/support/error.h"

namespace nas::tune {

namespace {

double median(std::vector<double> values) {
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// The model's seeded inputs (runtime::seeded_inputs) and its outputs.
struct ModelIo {
  std::vector<graph::Tensor> inputs, outputs;
  std::vector<const graph::Tensor*> in;
  std::vector<graph::Tensor*> out;

  explicit ModelIo(const graph::Graph& model) : inputs(runtime::seeded_inputs(model)) {
    for (graph::ValueId v : model.outputs()) outputs.emplace_back(model.type(v));
    for (const graph::Tensor& t : inputs) in.push_back(&t);
    for (graph::Tensor& t : outputs) out.push_back(&t);
  }
};

// Per-kernel times of two compiled forms of one model, run in turn (so that both see the
// machine alike): runs[i] are the i-th run's milliseconds per kernel.
struct AlternatedRuns {
  std::vector<std::vector<double>> a, b;
};

AlternatedRuns run_alternated(const graph::Graph& model, runtime::CompiledModel& a,
                              runtime::CompiledModel& b, const InModelOptions& options) {
  ModelIo io(model);
  for (int w = 0; w < options.warmup; ++w) {
    a.run(io.in, io.out);
    b.run(io.in, io.out);
  }
  AlternatedRuns runs;
  const auto start = std::chrono::steady_clock::now();
  while (static_cast<int>(runs.a.size()) < options.runs) {
    runs.a.push_back(a.run_timed(io.in, io.out));
    runs.b.push_back(b.run_timed(io.in, io.out));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (static_cast<int>(runs.a.size()) >= options.min_runs && seconds > options.max_seconds)
      break;
  }
  return runs;
}

// The median over runs of the summed times of these kernels.
double kernels_ms(const std::vector<std::vector<double>>& runs,
                  const std::vector<size_t>& kernels) {
  std::vector<double> sums;
  for (const std::vector<double>& run : runs) {
    double sum = 0;
    for (size_t k : kernels) sum += run.at(k);
    sums.push_back(sum);
  }
  return median(std::move(sums));
}

}  // namespace

int InModelCheck::kept() const {
  return static_cast<int>(std::ranges::count_if(timings, &InModelTiming::tuned_wins));
}

int InModelCheck::rejected() const { return static_cast<int>(timings.size()) - kept(); }

bool same_kernels(const runtime::CompiledModel& a, const runtime::CompiledModel& b) {
  const nlohmann::json ka = a.describe().at("kernels"), kb = b.describe().at("kernels");
  if (ka.size() != kb.size()) return false;
  for (size_t k = 0; k < ka.size(); ++k)
    if (ka[k].at("name") != kb[k].at("name") || ka[k].at("nodes") != kb[k].at("nodes"))
      return false;
  return true;
}

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

  const AlternatedRuns runs = run_alternated(model, defaults, tuned, options);
  check.runs = static_cast<int>(runs.a.size());
  for (const Workload& w : workloads) {
    InModelTiming timing{w.key, target, w.params, kernels_ms(runs.a, w.kernels),
                         kernels_ms(runs.b, w.kernels)};
    records.set_in_model(timing);
    check.timings.push_back(std::move(timing));
  }
  return check;
}

int WinogradCheck::direct() const {
  return static_cast<int>(std::ranges::count_if(timings, &ConvAlgorithmTiming::direct_wins));
}

WinogradCheck choose_winograd_in_model(const graph::Graph& model,
                                       const compiler::CompileOptions& options,
                                       TuningRecords& records, const InModelOptions& runs_options) {
  WinogradCheck check;
  if (!options.lowering.winograd) return check;
  const auto winograd = compiler::compile_model(model, options);
  // Each convolution computed by Winograd's algorithm: its kernels there (by node name).
  std::map<std::string, std::vector<size_t>> winograd_kernels;
  for (const graph::Node& n : winograd->graph().nodes())
    if (n.op->id == graph::OpId::WinogradConv) winograd_kernels[n.name];
  const nlohmann::json kernels = winograd->describe().at("kernels");
  for (size_t k = 0; k < kernels.size(); ++k)
    for (const nlohmann::json& node : kernels[k].at("nodes"))
      if (auto it = winograd_kernels.find(node.get<std::string>()); it != winograd_kernels.end())
        it->second.push_back(k);
  if (winograd_kernels.empty()) return check;

  compiler::CompileOptions all_direct = options;
  all_direct.lowering.winograd = false;
  const auto direct = compiler::compile_model(model, all_direct);
  const std::string target = target_key(direct->target());
  // The same convolutions direct: their keys (the direct graph has them as Conv, as the
  // Winograd pass saw them) and kernels.
  struct Conv {
    std::string key;
    std::vector<size_t> winograd_kernels, direct_kernels;
  };
  std::map<std::string, Conv> convs;
  for (const graph::Node& n : direct->graph().nodes()) {
    const auto it = winograd_kernels.find(n.name);
    if (it == winograd_kernels.end() || n.op->id != graph::OpId::Conv) continue;
    const std::string key = passes::winograd_conv_key(direct->graph(), n);
    if (!records.conv_algorithm(key, target)) convs[n.name] = {key, it->second, {}};
  }
  const nlohmann::json direct_kernels = direct->describe().at("kernels");
  for (size_t k = 0; k < direct_kernels.size(); ++k)
    for (const nlohmann::json& node : direct_kernels[k].at("nodes"))
      if (auto it = convs.find(node.get<std::string>()); it != convs.end())
        it->second.direct_kernels.push_back(k);
  std::erase_if(convs, [](const auto& c) {
    return c.second.winograd_kernels.empty() || c.second.direct_kernels.empty();
  });
  if (convs.empty()) return check;

  const AlternatedRuns runs = run_alternated(model, *winograd, *direct, runs_options);
  check.runs = static_cast<int>(runs.a.size());
  std::map<std::string, ConvAlgorithmTiming> by_key;  // convolutions alike timed once
  for (const auto& [name, conv] : convs) {
    const ConvAlgorithmTiming timing{conv.key, target, kernels_ms(runs.a, conv.winograd_kernels),
                                     kernels_ms(runs.b, conv.direct_kernels)};
    if (!by_key.emplace(conv.key, timing).second) {
      by_key[conv.key].winograd_ms += timing.winograd_ms;
      by_key[conv.key].direct_ms += timing.direct_ms;
    }
  }
  for (const auto& [key, timing] : by_key) {
    records.set_conv_algorithm(timing);
    check.timings.push_back(timing);
  }
  return check;
}

}  // namespace nas::tune
