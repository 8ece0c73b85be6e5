// The latency measurement protocol (docs/benchmarks.md): warm up, then repeat until both a
// minimum number of runs and a minimum time have passed (capped by a maximum of each), and
// report the median with its spread. Every latency this project quotes goes through here.
//
// Repeatability (experiments/latency_repeatability/): on a shared machine the same model's
// median moves by 10-30% from one invocation to the next, and ONNX Runtime's with it: the
// whole machine runs slower at times. So:
// - the measuring thread is pinned to the CPU it runs on (where the OS allows);
// - the timed runs are taken in rounds, and the spread of the round medians says how far
//   the median could move on a repeat;
// - a fixed piece of work (calibration.h) is timed after each run, warm (run once untimed
//   first, so that it finds its data in the caches, as when measured alone). Its median
//   against the machine's quiet time for it (measured alone, once per process) says how
//   much slower the machine is now; the latency is reported at the quiet speed
//   (times scaled by quiet / now), which the slowdown leaves as it is;
// - a measurement whose rounds disagree, or taken while the machine ran slower, by more
//   than max_spread is taken again, and reported as not repeatable if it never settles.
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
  // How much slower than its quiet speed the machine may run (the times are scaled back to
  // it); below 0: max_spread. A VM that runs steadily slower for minutes needs more.
  double max_slowdown = -1;
  int attempts = 3;           // measurements taken at most while the spread is wider
  bool calibrate = true;      // time the calibration work after each run, scale to quiet

  double slowdown_limit() const { return max_slowdown >= 0 ? max_slowdown : max_spread; }

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
  // With calibration (0 and 1 without): the median time of the calibration work timed
  // after each run, and its ratio to the machine's quiet time for it. The times above are
  // then the measured ones divided by the slowdown; measured_median_ms keeps the measured
  // median. median_ms / calibration_ms is the latency as a machine-independent ratio.
  double calibration_ms = 0;
  double slowdown = 1;
  double measured_median_ms = 0;

  double iqr_ms() const { return p75_ms - p25_ms; }
  // {"median_ms", "min_ms", "max_ms", "p25_ms", "p75_ms", "mean_ms", "repeats",
  //  "total_seconds", "spread", "attempts", "calibration_ms", "slowdown",
  //  "measured_median_ms"}
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
// with the narrowest spread is returned (check repeatable()). `between`, if given, runs
// before each run, untimed (the tuner flushes a kernel's weights from the caches there).
TimingStats measure(const std::function<void()>& run, const TimingProtocol& protocol = {},
                    const Clock& clock = steady_clock_seconds,
                    const std::function<void()>& between = {});

// Whether `stats` settled within the protocol's max_spread: its rounds agree, and the
// machine ran at most max_slowdown (else max_spread) slower than its quiet speed.
bool repeatable(const TimingStats& stats, const TimingProtocol& protocol);

// The calibration work's median time on a quiet machine, in ms: the least of the medians
// of 10 rounds of 25 ms of it alone, measured at the first call of the process.
double quiet_calibration_ms();

}  // namespace nas::runtime
