// MeasurementGate: no training step runs during a measurement, and measurements are not
// starved by a stream of steps.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "evaluator/measurement_gate.h"

namespace nas::evaluator {
namespace {

TEST(MeasurementGate, MeasurementsRunAloneAndFinish) {
  MeasurementGate gate;
  std::atomic<int> active_steps{0};
  std::atomic<bool> stop{false};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> trainers;
  for (int t = 0; t < 3; ++t)
    trainers.emplace_back([&] {
      while (!stop) {
        MeasurementGate::Step step(&gate);
        ++active_steps;
        std::this_thread::yield();
        --active_steps;
      }
    });
  for (int m = 0; m < 50; ++m) {  // would hang if measurements starved
    MeasurementGate::Measurement alone(&gate);
    if (active_steps != 0) ++overlaps;
    std::this_thread::yield();
    if (active_steps != 0) ++overlaps;
  }
  stop = true;
  for (std::thread& t : trainers) t.join();
  EXPECT_EQ(overlaps, 0);
}

TEST(MeasurementGate, NullGateDoesNothing) {
  MeasurementGate::Step step(nullptr);
  MeasurementGate::Measurement alone(nullptr);
  SUCCEED();
}

}  // namespace
}  // namespace nas::evaluator
