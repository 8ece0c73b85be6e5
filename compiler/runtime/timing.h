// The latency measurement protocol (docs/benchmarks.md): warm up, then repeat until both a
// minimum number of runs and a minimum time have passed (capped by a maximum of each), and
// report the median with its spread. Every latency this project quotes goes through here.
//
// Repeatability (experiments/latency_repeatability/): the measuring thread is pinned to
// the CPU it runs on (where the OS allows), so the scheduler cannot move it between runs;
// the timed runs are taken in rounds, and the spread of the round medians says how far the
// median could move on a repeat. A measurement whose rounds disagree by more than
// max_spread is taken again, and reported as not repeatable if it never settles.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nas::runtime {

struct TimingProtocol {
  int warmup = 3;             // untimed runs first
  int min_repeats = 10;       // timed runs: at least this many ...
  double min_seconds = 0.2;   // ... and at least this long in total,
  int max_repeats = 1000000;  // but stop at whichever cap comes first
  double max_seconds = 10.0;
  int rounds = 5;             // the timed runs split into this many rounds, back to back
  bool pin = true;            // keep the measuring thread on one CPU
  double max_spread = 0.10;   // (max - min) / median of the round medians; 0: no check
  int attempts = 3;           // measurements taken at most while the spread is wider

  // One line, e.g. "3 warm-up runs, then >= 10 runs and >= 0.2 s (at most 1000000 runs or
  // 10 s); median, IQR".
  std::string describe() const;
};

// Statistics of the timed runs, all times in milliseconds. Percentiles interpolate linearly
// between the sorted samples (position q * (n - 1), as numpy's default), so the median of an
// even count is the mean of the two middle samples.
struct TimingStats {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double p25_ms = 0;
  double p75_ms = 0;
  double mean_ms = 0;
  int64_t repeats = 0;
  double total_seconds = 0;  // wall time of the timed runs
  // (max - min) / median of the rounds' medians: 0 for one round. And the measurements
  // taken (more than one when the first ones' rounds disagreed).
  double spread = 0;
  int attempts = 1;

  double iqr_ms() const { return p75_ms - p25_ms; }
  // {"median_ms", "min_ms", "max_ms", "p25_ms", "p75_ms", "mean_ms", "repeats",
  //  "total_seconds", "spread", "attempts"}
  nlohmann::json to_json() const;
  static TimingStats from_json(const nlohmann::json& j);
};

// The statistics of these samples (ms); total_seconds is their sum. Empty gives all zeros.
TimingStats summarize(std::vector<double> samples_ms);

// A monotonic clock in seconds; tests pass a fake one.
using Clock = std::function<double()>;
double steady_clock_seconds();

// Runs `run` as the protocol says and summarizes the timed runs: up to protocol.attempts
// measurements while the round medians spread wider than protocol.max_spread; the one
// with the narrowest spread is returned (check repeatable()).
TimingStats measure(const std::function<void()>& run, const TimingProtocol& protocol = {},
                    const Clock& clock = steady_clock_seconds);

// Whether `stats` settled within the protocol's max_spread.
bool repeatable(const TimingStats& stats, const TimingProtocol& protocol);

}  // namespace nas::runtime
