#include "evaluator/measurement_gate.h"

namespace nas::evaluator {

void MeasurementGate::enter_step() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !measuring_ && waiting_ == 0; });
  ++steps_;
}

void MeasurementGate::leave_step() {
  std::lock_guard lock(mutex_);
  --steps_;
  changed_.notify_all();
}

void MeasurementGate::begin_measurement() {
  std::unique_lock lock(mutex_);
  ++waiting_;
  changed_.wait(lock, [&] { return !measuring_ && steps_ == 0; });
  --waiting_;
  measuring_ = true;
}

void MeasurementGate::end_measurement() {
  std::lock_guard lock(mutex_);
  measuring_ = false;
  changed_.notify_all();
}

}  // namespace nas::evaluator
