// A fixed piece of work timed beside a model (TimingProtocol::calibrate), so that a latency
// can be read as a ratio to it: a machine-wide slowdown (another tenant on the core, a lower
// clock) stretches both, and the ratio stays. It streams 2 x 16 KiB of floats through
// multiply-adds, a mix of loads and arithmetic like a small model's (4.5 us on a Xeon).
#pragma once

namespace nas::runtime {

// Runs the calibration work once; the returned value only keeps the work from being
// optimized away.
float run_calibration_work();

}  // namespace nas::runtime
