// The timing protocol: run counts against a fake clock, the statistics on hand-fed samples.
#include "compiler/runtime/timing.h"

#include <sched.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nas::runtime {
namespace {

// A clock that advances by `step` seconds on every call of the measured function.
struct FakeRun {
  double now = 1000.0;
  double step;
  int calls = 0;

  explicit FakeRun(double step_seconds) : step(step_seconds) {}
  std::function<void()> run() {
    return [this] {
      now += step;
      ++calls;
    };
  }
  Clock clock() {
    return [this] { return now; };
  }
};

TEST(TimingMeasure, FastRunsRepeatUntilTheMinimumTime) {
  // 2^-10 s per run (exact in binary): 0.25 s is reached after 256 runs.
  FakeRun fake(1.0 / 1024);
  TimingProtocol p{.warmup = 3, .min_repeats = 10, .min_seconds = 0.25, .rounds = 1};
  TimingStats s = measure(fake.run(), p, fake.clock());
  EXPECT_EQ(s.repeats, 256);
  EXPECT_EQ(fake.calls, 3 + 256);
  EXPECT_DOUBLE_EQ(s.median_ms, 1000.0 / 1024);
  EXPECT_DOUBLE_EQ(s.total_seconds, 0.25);
}

TEST(TimingMeasure, BetweenRunsBeforeEachRunUntimed) {
  FakeRun fake(0.125);
  int between = 0;
  // Takes a whole second each time: none of it may show in the runs' times.
  auto prepare = [&] {
    ++between;
    fake.now += 1.0;
  };
  // (The wall-time cap counts the preparation: 100 s here.)
  TimingProtocol p{.warmup = 2, .min_repeats = 10, .min_seconds = 0.2, .max_seconds = 100,
                   .rounds = 2, .pin = false, .calibrate = false};
  TimingStats s = measure(fake.run(), p, fake.clock(), prepare);
  EXPECT_EQ(s.repeats, 10);
  EXPECT_EQ(between, fake.calls);  // warm-up runs included
  EXPECT_DOUBLE_EQ(s.median_ms, 125.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 125.0);
}

TEST(TimingMeasure, SlowRunsRepeatUntilTheMinimumCount) {
  FakeRun fake(0.125);
  TimingProtocol p{.warmup = 2, .min_repeats = 10, .min_seconds = 0.2, .rounds = 1};
  TimingStats s = measure(fake.run(), p, fake.clock());
  EXPECT_EQ(s.repeats, 10);
  EXPECT_EQ(fake.calls, 12);
  EXPECT_DOUBLE_EQ(s.median_ms, 125);
  EXPECT_DOUBLE_EQ(s.min_ms, 125);
  EXPECT_DOUBLE_EQ(s.max_ms, 125);
  EXPECT_DOUBLE_EQ(s.total_seconds, 1.25);
}

TEST(TimingMeasure, MaxSecondsCapsTheMinimumCount) {
  FakeRun fake(0.5);
  TimingProtocol p{.warmup = 0, .min_repeats = 10, .min_seconds = 0.2, .max_seconds = 2, .rounds = 1};
  EXPECT_EQ(measure(fake.run(), p, fake.clock()).repeats, 4);
  EXPECT_EQ(fake.calls, 4);
}

TEST(TimingMeasure, MaxRepeatsCapsTheMinimumTime) {
  FakeRun fake(1.0 / (1 << 20));
  TimingProtocol p{.warmup = 1, .min_repeats = 10, .min_seconds = 0.2, .max_repeats = 50, .rounds = 1};
  EXPECT_EQ(measure(fake.run(), p, fake.clock()).repeats, 50);
}

TEST(TimingMeasure, RealClockHonoursTheDefaults) {
  // A tiny busy callable (microseconds): far faster than 20 ms, so the 0.2 s minimum
  // decides, long before the cap of 10^6 runs.
  volatile int64_t sink = 0;
  int calls = 0;
  TimingStats s = measure([&] {
    ++calls;
    for (int i = 0; i < 10000; ++i) sink = sink + i;
  });
  EXPECT_GE(s.repeats, 10);
  EXPECT_GE(s.attempts, 1);
  EXPECT_LE(s.attempts, 3);
  // Warm-up, then each attempt's runs: the returned one's, and any retried before it.
  EXPECT_GE(calls, 3 + s.repeats);
  EXPECT_EQ(calls > 3 + s.repeats, s.attempts > 1);
  EXPECT_GE(s.total_seconds, 0.2);
  EXPECT_LT(s.total_seconds, 10.0);
  EXPECT_LE(s.min_ms, s.p25_ms);
  EXPECT_LE(s.p25_ms, s.median_ms);
  EXPECT_LE(s.median_ms, s.p75_ms);
  EXPECT_LE(s.p75_ms, s.max_ms);
}

TEST(TimingSummarize, OddCount) {
  // Sorted 1 2 3 4 5: median at position 2; p25 at 1; p75 at 3.
  TimingStats s = summarize({5, 1, 3, 2, 4});
  EXPECT_EQ(s.repeats, 5);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 5);
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_DOUBLE_EQ(s.p25_ms, 2);
  EXPECT_DOUBLE_EQ(s.p75_ms, 4);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3);
  EXPECT_DOUBLE_EQ(s.iqr_ms(), 2);
  EXPECT_DOUBLE_EQ(s.total_seconds, 0.015);
}

TEST(TimingSummarize, EvenCountInterpolates) {
  // Sorted 1 2 3 10: median at position 1.5 -> 2.5; p25 at 0.75 -> 1.75; p75 at 2.25 ->
  // 3 + 0.25 * 7 = 4.75; mean 16 / 4 = 4.
  TimingStats s = summarize({10, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.p25_ms, 1.75);
  EXPECT_DOUBLE_EQ(s.p75_ms, 4.75);
  EXPECT_DOUBLE_EQ(s.mean_ms, 4);
  EXPECT_DOUBLE_EQ(s.max_ms, 10);
}

TEST(TimingSummarize, OneAndNoSamples) {
  TimingStats one = summarize({7});
  EXPECT_EQ(one.repeats, 1);
  EXPECT_DOUBLE_EQ(one.median_ms, 7);
  EXPECT_DOUBLE_EQ(one.p25_ms, 7);
  EXPECT_DOUBLE_EQ(one.p75_ms, 7);
  TimingStats none = summarize({});
  EXPECT_EQ(none.repeats, 0);
  EXPECT_DOUBLE_EQ(none.median_ms, 0);
}

TEST(TimingStats, JsonRoundTrip) {
  TimingStats s = summarize({10, 1, 3, 2});
  nlohmann::json j = s.to_json();
  EXPECT_DOUBLE_EQ(j.at("median_ms").get<double>(), 2.5);
  EXPECT_EQ(j.at("repeats").get<int64_t>(), 4);
  TimingStats back = TimingStats::from_json(j);
  EXPECT_EQ(back.to_json(), j);
}

TEST(TimingProtocol, Describe) {
  EXPECT_EQ(TimingProtocol{}.describe(),
            "3 warm-up runs, then >= 10 runs and >= 0.2 s in 5 rounds (at most 1000000 runs or "
            "10 s), pinned to one CPU, each run followed by the calibration work; median at the "
            "machine's quiet speed, IQR, spread of the round medians (retried up to 2 times above "
            "10% of spread or slowdown)");
  EXPECT_EQ((TimingProtocol{.warmup = 1, .rounds = 1, .pin = false, .max_spread = 0,
                            .calibrate = false}
                 .describe()),
            "1 warm-up run, then >= 10 runs and >= 0.2 s in 1 round (at most 1000000 runs or "
            "10 s); median, IQR, spread of the round medians");
}

// A run whose time follows a script, one entry per call (the last repeats).
struct ScriptedRun {
  double now = 0;
  std::vector<double> seconds;
  size_t calls = 0;
  std::function<void()> run() {
    return [this] { now += seconds[std::min(calls++, seconds.size() - 1)]; };
  }
  Clock clock() {
    return [this] { return now; };
  }
};

TEST(TimingRounds, EachRoundTakesItsShareAndTheSpreadComparesTheirMedians) {
  // 4 rounds of 3 runs (min_repeats 10 -> 3 per round; no minimum time): the third round
  // runs at 12 ms instead of 10, so its median is 20% above the others.
  ScriptedRun script{.seconds = {0.010, 0.010, 0.010, 0.010, 0.010, 0.010,
                                 0.012, 0.012, 0.012, 0.010, 0.010, 0.010}};
  const TimingProtocol p{.warmup = 0, .min_repeats = 10, .min_seconds = 0, .rounds = 4,
                         .max_spread = 0};
  const TimingStats s = measure(script.run(), p, script.clock());
  EXPECT_EQ(s.repeats, 12);
  EXPECT_EQ(s.attempts, 1);
  EXPECT_DOUBLE_EQ(s.median_ms, 10);
  EXPECT_NEAR(s.spread, 0.2, 1e-9);
  EXPECT_TRUE(repeatable(s, p));
  EXPECT_FALSE(repeatable(s, TimingProtocol{.max_spread = 0.1}));
}

TEST(TimingRounds, AnUnsettledMeasurementIsTakenAgain) {
  // 2 rounds of 2 runs. Attempt 1's rounds disagree by 40% of the median, attempt 2's by
  // 18%, attempt 3's agree.
  ScriptedRun script{.seconds = {0.010, 0.010, 0.015, 0.015,   // attempt 1
                                 0.010, 0.010, 0.012, 0.012,   // attempt 2
                                 0.011, 0.011, 0.011, 0.011}};  // attempt 3
  TimingProtocol p{.warmup = 0, .min_repeats = 4, .min_seconds = 0, .rounds = 2,
                   .max_spread = 0.1, .attempts = 3};
  TimingStats s = measure(script.run(), p, script.clock());
  EXPECT_EQ(s.attempts, 3);
  EXPECT_NEAR(s.spread, 0, 1e-9);
  EXPECT_DOUBLE_EQ(s.median_ms, 11);
  EXPECT_TRUE(repeatable(s, p));

  // Out of attempts: the narrowest of the two is returned, and it is not repeatable.
  script = ScriptedRun{.seconds = {0.010, 0.010, 0.015, 0.015, 0.010, 0.010, 0.012, 0.012}};
  p.attempts = 2;
  s = measure(script.run(), p, script.clock());
  EXPECT_EQ(s.attempts, 2);
  EXPECT_NEAR(s.spread, 0.2 / 1.1, 1e-9);
  EXPECT_FALSE(repeatable(s, p));
  EXPECT_EQ(script.calls, 8u);
}

TEST(TimingCalibration, TimedAfterEachRunAndTheTimesScaledToTheQuietSpeed) {
  int runs = 0;
  const TimingProtocol plain{.warmup = 0, .min_repeats = 5, .min_seconds = 0, .max_spread = 0,
                             .calibrate = false};
  const TimingStats as_measured = measure([&] { ++runs; }, plain);
  EXPECT_EQ(as_measured.calibration_ms, 0);
  EXPECT_EQ(as_measured.slowdown, 1);
  EXPECT_EQ(as_measured.measured_median_ms, as_measured.median_ms);

  TimingProtocol calibrated = plain;
  calibrated.calibrate = true;
  const TimingStats s = measure([&] { ++runs; }, calibrated);
  EXPECT_EQ(runs, 10);  // the calibration work is timed apart from the runs
  EXPECT_GT(s.calibration_ms, 0);
  EXPECT_LT(s.measured_median_ms, s.calibration_ms);  // an empty run against 64 K FMAs
  EXPECT_GT(quiet_calibration_ms(), 0);
  EXPECT_DOUBLE_EQ(s.slowdown, s.calibration_ms / quiet_calibration_ms());
  EXPECT_DOUBLE_EQ(s.median_ms, s.measured_median_ms / s.slowdown);
  const TimingStats back = TimingStats::from_json(s.to_json());
  EXPECT_EQ(back.calibration_ms, s.calibration_ms);
  EXPECT_EQ(back.slowdown, s.slowdown);
  EXPECT_EQ(back.measured_median_ms, s.measured_median_ms);
}

// A slower machine (the calibration work took 1.5x its quiet time) is measured again, and
// its times are reported at the quiet speed.
TEST(TimingCalibration, ASlowerMachineIsMeasuredAgainAndScaled) {
  const double quiet = quiet_calibration_ms();
  double now = 0;
  int calls = 0;
  // Each run takes 2 ms. The timed calibration work after it (the second of two, between
  // the second and third clock reads after the run) takes 1.5x its quiet time in the first
  // attempt, the quiet time after.
  int reads_since_run = 0;
  const Clock clock = [&] {
    if (++reads_since_run == 3) now += (calls <= 2 ? 1.5 : 1.0) * quiet / 1000;
    return now;
  };
  const auto run = [&] {
    now += 0.002;
    ++calls;
    reads_since_run = 0;
  };
  const TimingProtocol p{.warmup = 0, .min_repeats = 2, .min_seconds = 0, .rounds = 1,
                         .pin = false, .max_spread = 0.1, .attempts = 3};
  const TimingStats s = measure(run, p, clock);
  EXPECT_EQ(s.attempts, 2);
  EXPECT_NEAR(s.slowdown, 1.0, 1e-9);
  EXPECT_NEAR(s.median_ms, 2.0, 1e-9);
  EXPECT_TRUE(repeatable(s, p));

  // Never quiet: the narrowest attempt, scaled, and not repeatable.
  now = 0;
  calls = -100;  // every calibration 1.5x
  const TimingStats slow = measure(run, TimingProtocol{.warmup = 0, .min_repeats = 2,
                                                       .min_seconds = 0, .rounds = 1,
                                                       .pin = false, .max_spread = 0.1,
                                                       .attempts = 2},
                                   clock);
  EXPECT_NEAR(slow.slowdown, 1.5, 1e-9);
  EXPECT_NEAR(slow.measured_median_ms, 2.0, 1e-9);
  EXPECT_NEAR(slow.median_ms, 2.0 / 1.5, 1e-9);
  EXPECT_FALSE(repeatable(slow, TimingProtocol{.max_spread = 0.1}));
  // A steady slowdown is accepted up to max_slowdown where that is set: the times are
  // scaled back to the quiet speed.
  EXPECT_TRUE(repeatable(slow, TimingProtocol{.max_spread = 0.1, .max_slowdown = 0.6}));
  EXPECT_FALSE(repeatable(slow, TimingProtocol{.max_spread = 0.1, .max_slowdown = 0.4}));
  EXPECT_THAT(TimingProtocol({.max_spread = 0.1, .max_slowdown = 0.6}).describe(),
              ::testing::HasSubstr("(retried up to 2 times above 10% of spread or 60% of "
                                   "slowdown)"));
}

TEST(TimingRounds, PinningKeepsTheThreadOnOneCpuOnlyWhileMeasuring) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  int cpus_during = -1;
  measure([&] {
    cpu_set_t now;
    sched_getaffinity(0, sizeof now, &now);
    cpus_during = CPU_COUNT(&now);
  }, TimingProtocol{.warmup = 0, .min_repeats = 1, .min_seconds = 0, .rounds = 1});
  EXPECT_EQ(cpus_during, 1);
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

}  // namespace
}  // namespace nas::runtime
