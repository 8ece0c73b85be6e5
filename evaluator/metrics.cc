#include "evaluator/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "compiler/graph/memory_plan.h"
#include "compiler/support/error.h"

namespace nas::evaluator {

ModelCost cost_metrics(const graph::Graph& graph) {
  ModelCost cost;
  cost.parameters = graph.parameter_count();
  cost.flops = graph.flops();
  for (const auto& [id, tensor] : graph.constants()) cost.model_bytes += tensor.nbytes();
  cost.peak_activation_bytes = graph::plan_memory(graph).arena_bytes;
  return cost;
}

nlohmann::json ModelCost::to_json() const {
  return {{"parameters", parameters},
          {"flops", flops},
          {"model_bytes", model_bytes},
          {"peak_activation_bytes", peak_activation_bytes}};
}

ModelCost ModelCost::from_json(const nlohmann::json& j) {
  return ModelCost{.parameters = j.at("parameters").get<int64_t>(),
                   .flops = j.at("flops").get<int64_t>(),
                   .model_bytes = j.at("model_bytes").get<int64_t>(),
                   .peak_activation_bytes = j.at("peak_activation_bytes").get<int64_t>()};
}

namespace {
constexpr std::pair<EvalStatus, std::string_view> kStatusNames[] = {
    {EvalStatus::Ok, "ok"},
    {EvalStatus::Failed, "failed"},
    {EvalStatus::Diverged, "diverged"},
    {EvalStatus::TimedOut, "timed_out"},
    {EvalStatus::Infeasible, "infeasible"},
    {EvalStatus::Stopped, "stopped"},
};
}  // namespace

std::string_view status_name(EvalStatus status) {
  for (const auto& [s, name] : kStatusNames)
    if (s == status) return name;
  NAS_CHECK(false, "unknown EvalStatus {}", static_cast<int>(status));
  return {};
}

EvalStatus parse_status(std::string_view name) {
  for (const auto& [s, n] : kStatusNames)
    if (n == name) return s;
  user_error("unknown evaluation status '{}' (expected ok, failed, diverged, timed_out, infeasible or stopped)", name);
}

LatencyResult LatencyResult::from_stats(const runtime::TimingStats& stats, int threads,
                                        double compile_seconds) {
  return LatencyResult{.median_ms = stats.median_ms,
                       .min_ms = stats.min_ms,
                       .max_ms = stats.max_ms,
                       .p25_ms = stats.p25_ms,
                       .p75_ms = stats.p75_ms,
                       .repeats = stats.repeats,
                       .threads = threads,
                       .compile_seconds = compile_seconds,
                       .spread = stats.spread,
                       .calibration_ms = stats.calibration_ms,
                       .slowdown = stats.slowdown};
}

nlohmann::json LatencyResult::to_json() const {
  return {{"median_ms", median_ms}, {"min_ms", min_ms},   {"max_ms", max_ms},  {"p25_ms", p25_ms},
          {"p75_ms", p75_ms},       {"repeats", repeats}, {"threads", threads},
          {"compile_seconds", compile_seconds}, {"spread", spread},
          {"calibration_ms", calibration_ms},   {"slowdown", slowdown},
          {"untuned_median_ms", untuned_median_ms}, {"tune_seconds", tune_seconds}};
}

LatencyResult LatencyResult::from_json(const nlohmann::json& j) {
  return LatencyResult{.median_ms = j.at("median_ms").get<double>(),
                       .min_ms = j.at("min_ms").get<double>(),
                       .max_ms = j.at("max_ms").get<double>(),
                       .p25_ms = j.at("p25_ms").get<double>(),
                       .p75_ms = j.at("p75_ms").get<double>(),
                       .repeats = j.at("repeats").get<int64_t>(),
                       .threads = j.at("threads").get<int>(),
                       .compile_seconds = j.value("compile_seconds", 0.0),
                       .spread = j.value("spread", 0.0),
                       .calibration_ms = j.value("calibration_ms", 0.0),
                       .slowdown = j.value("slowdown", 1.0),
                       .untuned_median_ms = j.value("untuned_median_ms", 0.0),
                       .tune_seconds = j.value("tune_seconds", 0.0)};
}

nlohmann::json EvalResult::to_json() const {
  nlohmann::json losses = nlohmann::json::array();
  for (double loss : loss_curve)
    losses.push_back(std::isfinite(loss) ? nlohmann::json(loss) : nlohmann::json(nullptr));
  nlohmann::json latencies = nlohmann::json::object();
  for (const auto& [target, l] : latency) latencies[target] = l.to_json();
  nlohmann::json j = {{"status", status_name(status)},
                      {"reason", reason},
                      {"accuracy", accuracy},
                      {"test_accuracy", test_accuracy ? nlohmann::json(*test_accuracy) : nullptr},
                      {"loss_curve", std::move(losses)},
                      {"training_seconds", training_seconds},
                      {"step_ms", step_ms},
                      {"peak_training_bytes", peak_training_bytes},
                      {"training_compile_seconds", training_compile_seconds},
                      {"latency", std::move(latencies)},
                      {"cost", cost.to_json()}};
  // Only where measured, so records without early stopping read as they always did.
  if (!epoch_accuracy.empty()) {
    nlohmann::json& curve = j["epoch_accuracy"] = nlohmann::json::object();
    for (const auto& [epoch, a] : epoch_accuracy) curve[std::to_string(epoch)] = a;
  }
  return j;
}

EvalResult EvalResult::from_json(const nlohmann::json& j) {
  EvalResult r;
  try {
    r.status = parse_status(j.at("status").get<std::string>());
    r.reason = j.at("reason").get<std::string>();
    r.accuracy = j.at("accuracy").get<double>();
    if (const auto& t = j.at("test_accuracy"); !t.is_null()) r.test_accuracy = t.get<double>();
    for (const auto& loss : j.at("loss_curve"))
      r.loss_curve.push_back(loss.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                            : loss.get<double>());
    r.training_seconds = j.at("training_seconds").get<double>();
    r.step_ms = j.at("step_ms").get<double>();
    r.peak_training_bytes = j.value("peak_training_bytes", int64_t{0});
    r.training_compile_seconds = j.value("training_compile_seconds", 0.0);
    if (const auto it = j.find("epoch_accuracy"); it != j.end())
      for (const auto& [key, a] : it->items()) {
        int64_t epoch = 0;
        const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), epoch);
        if (error != std::errc() || end != key.data() + key.size() || epoch < 1)
          user_error("malformed evaluation record: epoch_accuracy key '{}' is not an epoch "
                     "count", key);
        r.epoch_accuracy[epoch] = a.get<double>();
      }
    for (const auto& [target, l] : j.at("latency").items())
      r.latency.emplace(target, LatencyResult::from_json(l));
    r.cost = ModelCost::from_json(j.at("cost"));
  } catch (const nlohmann::json::exception& e) {
    user_error("malformed evaluation record: {}", e.what());
  }
  return r;
}

}  // namespace nas::evaluator
