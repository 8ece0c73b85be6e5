#include "compiler/runtime/timing.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "compiler/support/error.h"

namespace nas::runtime {

namespace {

// Linear interpolation between the closest ranks of sorted samples.
double percentile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

}  // namespace

std::string TimingProtocol::describe() const {
  return fmt::format(
      "{} warm-up run{}, then >= {} runs and >= {:g} s (at most {} runs or {:g} s); median, IQR",
      warmup, warmup == 1 ? "" : "s", min_repeats, min_seconds, max_repeats, max_seconds);
}

nlohmann::json TimingStats::to_json() const {
  return {{"median_ms", median_ms}, {"min_ms", min_ms},
          {"max_ms", max_ms},       {"p25_ms", p25_ms},
          {"p75_ms", p75_ms},       {"mean_ms", mean_ms},
          {"repeats", repeats},     {"total_seconds", total_seconds}};
}

TimingStats TimingStats::from_json(const nlohmann::json& j) {
  TimingStats s;
  s.median_ms = j.at("median_ms").get<double>();
  s.min_ms = j.at("min_ms").get<double>();
  s.max_ms = j.at("max_ms").get<double>();
  s.p25_ms = j.at("p25_ms").get<double>();
  s.p75_ms = j.at("p75_ms").get<double>();
  s.mean_ms = j.at("mean_ms").get<double>();
  s.repeats = j.at("repeats").get<int64_t>();
  s.total_seconds = j.at("total_seconds").get<double>();
  return s;
}

TimingStats summarize(std::vector<double> samples_ms) {
  TimingStats s;
  if (samples_ms.empty()) return s;
  std::sort(samples_ms.begin(), samples_ms.end());
  double sum = 0;
  for (double x : samples_ms) sum += x;
  s.repeats = static_cast<int64_t>(samples_ms.size());
  s.min_ms = samples_ms.front();
  s.max_ms = samples_ms.back();
  s.median_ms = percentile(samples_ms, 0.5);
  s.p25_ms = percentile(samples_ms, 0.25);
  s.p75_ms = percentile(samples_ms, 0.75);
  s.mean_ms = sum / static_cast<double>(samples_ms.size());
  s.total_seconds = sum / 1000.0;
  return s;
}

double steady_clock_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

TimingStats measure(const std::function<void()>& run, const TimingProtocol& protocol,
                    const Clock& clock) {
  NAS_CHECK(protocol.min_repeats >= 1 && protocol.max_repeats >= protocol.min_repeats,
            "timing protocol: need 1 <= min_repeats ({}) <= max_repeats ({})", protocol.min_repeats,
            protocol.max_repeats);
  for (int i = 0; i < protocol.warmup; ++i) run();

  std::vector<double> samples_ms;
  const double start = clock();
  double now = start;
  for (;;) {
    const double before = now;
    run();
    now = clock();
    samples_ms.push_back((now - before) * 1000.0);
    const auto repeats = static_cast<int64_t>(samples_ms.size());
    const double elapsed = now - start;
    const bool enough = repeats >= protocol.min_repeats && elapsed >= protocol.min_seconds;
    const bool capped = repeats >= protocol.max_repeats || elapsed >= protocol.max_seconds;
    if (enough || capped) break;
  }
  TimingStats stats = summarize(std::move(samples_ms));
  stats.total_seconds = now - start;
  return stats;
}

}  // namespace nas::runtime
