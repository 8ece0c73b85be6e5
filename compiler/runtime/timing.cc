#include "compiler/runtime/timing.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include <sched.h>

#include "compiler/runtime/calibration.h"
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

// Keeps the calling thread on the CPU it is on until destroyed, then restores its
// affinity. Where the OS refuses (a restricted container), the thread stays free.
class PinnedToCurrentCpu {
 public:
  explicit PinnedToCurrentCpu(bool pin) {
    const int cpu = sched_getcpu();
    if (!pin || cpu < 0 || sched_getaffinity(0, sizeof before_, &before_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~PinnedToCurrentCpu() {
    if (pinned_) sched_setaffinity(0, sizeof before_, &before_);
  }
  PinnedToCurrentCpu(const PinnedToCurrentCpu&) = delete;
  PinnedToCurrentCpu& operator=(const PinnedToCurrentCpu&) = delete;

 private:
  cpu_set_t before_;
  bool pinned_ = false;
};

// One measurement: the timed runs in rounds, each round taking its share of the minimum
// runs and time; the caps bound the whole measurement.
TimingStats measure_once(const std::function<void()>& run, const TimingProtocol& protocol,
                         const Clock& clock, const std::function<void()>& between) {
  const int rounds = protocol.rounds;
  const int64_t round_repeats = (protocol.min_repeats + rounds - 1) / rounds;
  const double round_seconds = protocol.min_seconds / rounds;
  std::vector<double> samples_ms;
  std::vector<double> round_medians;
  std::vector<double> calibration_ms;
  volatile float sink = 0;
  const double start = clock();
  double now = start;
  bool capped = false;
  for (int r = 0; r < rounds && !capped; ++r) {
    std::vector<double> round_ms;
    const double round_start = now;
    for (;;) {
      if (between) {
        between();
        now = clock();
      }
      const double before = now;
      run();
      now = clock();
      round_ms.push_back((now - before) * 1000.0);
      if (protocol.calibrate) {
        // Twice, timing the second: the first finds the caches full of the model's data
        // (a 224x224 network's activations left it 1.35-1.55x slower than alone on a quiet
        // Xeon, which then passed for a machine-wide slowdown), the second finds them warm.
        sink = sink + run_calibration_work();
        const double warm = clock();
        sink = sink + run_calibration_work();
        const double after = clock();
        calibration_ms.push_back((after - warm) * 1000.0);
        now = after;
      }
      const auto repeats = static_cast<int64_t>(samples_ms.size() + round_ms.size());
      capped = repeats >= protocol.max_repeats || now - start >= protocol.max_seconds;
      const bool enough = static_cast<int64_t>(round_ms.size()) >= round_repeats &&
                          now - round_start >= round_seconds;
      if (enough || capped) break;
    }
    samples_ms.insert(samples_ms.end(), round_ms.begin(), round_ms.end());
    round_medians.push_back(summarize(std::move(round_ms)).median_ms);
  }
  TimingStats stats = summarize(std::move(samples_ms));
  stats.total_seconds = now - start;
  const auto [lowest, highest] = std::minmax_element(round_medians.begin(), round_medians.end());
  stats.spread = stats.median_ms > 0 ? (*highest - *lowest) / stats.median_ms : 0;
  stats.calibration_ms = summarize(std::move(calibration_ms)).median_ms;
  return stats;
}

}  // namespace

std::string TimingProtocol::describe() const {
  return fmt::format(
      "{} warm-up run{}, then >= {} runs and >= {:g} s in {} round{} (at most {} runs or {:g} "
      "s){}{}; median{}, IQR, spread of the round medians{}",
      warmup, warmup == 1 ? "" : "s", min_repeats, min_seconds, rounds, rounds == 1 ? "" : "s",
      max_repeats, max_seconds, pin ? ", pinned to one CPU" : "",
      calibrate ? ", each run followed by the calibration work" : "",
      calibrate ? " at the machine's quiet speed" : "",
      max_spread > 0
          ? fmt::format(" (retried up to {} times above {:g}% of spread{})", attempts - 1,
                        max_spread * 100,
                        !calibrate                     ? ""
                        : slowdown_limit() == max_spread ? " or slowdown"
                            : fmt::format(" or {:g}% of slowdown", slowdown_limit() * 100))
          : "");
}

nlohmann::json TimingStats::to_json() const {
  return {{"median_ms", median_ms}, {"min_ms", min_ms},
          {"max_ms", max_ms},       {"p25_ms", p25_ms},
          {"p75_ms", p75_ms},       {"mean_ms", mean_ms},
          {"repeats", repeats},     {"total_seconds", total_seconds},
          {"spread", spread},       {"attempts", attempts},
          {"calibration_ms", calibration_ms},
          {"slowdown", slowdown},
          {"measured_median_ms", measured_median_ms}};
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
  s.spread = j.value("spread", 0.0);
  s.attempts = j.value("attempts", 1);
  s.calibration_ms = j.value("calibration_ms", 0.0);
  s.slowdown = j.value("slowdown", 1.0);
  s.measured_median_ms = j.value("measured_median_ms", s.median_ms);
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

double quiet_calibration_ms() {
  // Many short rounds, and the least of their medians: one of them is likely quiet.
  static const double quiet = [] {
    PinnedToCurrentCpu pinned(true);
    volatile float sink = 0;
    double least = 0;
    for (int round = 0; round < 10; ++round) {
      std::vector<double> samples_ms;
      const double start = steady_clock_seconds();
      for (double now = start; now - start < 0.025;) {
        sink = sink + run_calibration_work();
        const double after = steady_clock_seconds();
        samples_ms.push_back((after - now) * 1000.0);
        now = after;
      }
      const double median = summarize(std::move(samples_ms)).median_ms;
      least = round == 0 ? median : std::min(least, median);
    }
    return least;
  }();
  return quiet;
}

TimingStats measure(const std::function<void()>& run, const TimingProtocol& protocol,
                    const Clock& clock, const std::function<void()>& between) {
  NAS_CHECK(protocol.min_repeats >= 1 && protocol.max_repeats >= protocol.min_repeats,
            "timing protocol: need 1 <= min_repeats ({}) <= max_repeats ({})", protocol.min_repeats,
            protocol.max_repeats);
  NAS_CHECK(protocol.rounds >= 1 && protocol.attempts >= 1,
            "timing protocol: need rounds ({}) and attempts ({}) >= 1", protocol.rounds,
            protocol.attempts);
  PinnedToCurrentCpu pinned(protocol.pin);
  if (protocol.calibrate) quiet_calibration_ms();  // measured before the runs, not among them
  for (int i = 0; i < protocol.warmup; ++i) {
    if (between) between();
    run();
  }
  // How far a measurement is from settled: its rounds' disagreement or the machine's
  // slowdown, whichever is worse, each relative to its limit (a generous slowdown limit
  // must not let a wide spread pass for the best attempt).
  const double spread_limit = std::max(protocol.max_spread, 1e-9);
  const double slowdown_limit = std::max(protocol.slowdown_limit(), 1e-9);
  const auto unsettled = [&](const TimingStats& s) {
    return std::max(s.spread / spread_limit, (s.slowdown - 1) / slowdown_limit);
  };
  TimingStats best;
  for (int attempt = 1; attempt <= protocol.attempts; ++attempt) {
    TimingStats stats = measure_once(run, protocol, clock, between);
    stats.measured_median_ms = stats.median_ms;
    if (stats.calibration_ms > 0) stats.slowdown = stats.calibration_ms / quiet_calibration_ms();
    if (attempt == 1 || unsettled(stats) < unsettled(best)) best = stats;
    best.attempts = attempt;
    if (repeatable(best, protocol)) break;
  }
  // At the quiet speed: the measured times divided by the slowdown.
  const double scale = 1 / best.slowdown;
  for (double* t : {&best.median_ms, &best.min_ms, &best.max_ms, &best.p25_ms, &best.p75_ms,
                    &best.mean_ms})
    *t *= scale;
  return best;
}

bool repeatable(const TimingStats& stats, const TimingProtocol& protocol) {
  return protocol.max_spread <= 0 || (stats.spread <= protocol.max_spread &&
                                      stats.slowdown - 1 <= protocol.slowdown_limit());
}

}  // namespace nas::runtime
