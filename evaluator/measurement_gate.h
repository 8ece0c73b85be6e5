// Keeps latency measurements apart from training on the same machine.
//
// Workers of a search train and measure at the same time; a latency taken while other
// workers train measures the contention, not the model. Training takes the gate for each
// step (shared with other trainers); a measurement takes it alone: it stops new steps, waits
// for running ones to end, and lets training resume when done. Pending measurements go
// first, so they cannot starve behind a stream of steps.
#pragma once

#include <condition_variable>
#include <mutex>

namespace nas::evaluator {

class MeasurementGate {
 public:
  void enter_step();
  void leave_step();
  void begin_measurement();
  void end_measurement();

  // RAII forms; a null gate does nothing.
  class Step {
   public:
    explicit Step(MeasurementGate* gate) : gate_(gate) { if (gate_) gate_->enter_step(); }
    ~Step() { if (gate_) gate_->leave_step(); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;
   private:
    MeasurementGate* gate_;
  };
  class Measurement {
   public:
    explicit Measurement(MeasurementGate* gate) : gate_(gate) {
      if (gate_) gate_->begin_measurement();
    }
    ~Measurement() { if (gate_) gate_->end_measurement(); }
    Measurement(const Measurement&) = delete;
    Measurement& operator=(const Measurement&) = delete;
   private:
    MeasurementGate* gate_;
  };

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int steps_ = 0;         // training steps running
  int waiting_ = 0;       // measurements waiting to start
  bool measuring_ = false;
};

}  // namespace nas::evaluator
