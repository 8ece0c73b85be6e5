// Learning-rate schedules, as pure functions of the global step, so that training resumed
// from a checkpoint follows exactly the schedule of an uninterrupted run.
#pragma once

#include <cstdint>
#include <string>

namespace nas::evaluator {

struct LrSchedule {
  enum class Kind { Constant, Cosine, Step };
  Kind kind = Kind::Constant;
  double base_lr = 0.05;
  int64_t warmup_steps = 0;    // linear from base_lr/warmup_steps up to base_lr
  int64_t total_steps = 0;     // cosine: horizon where the rate reaches min_lr
  double min_lr = 0.0;         // cosine floor
  int64_t step_every = 0;      // step: multiply by gamma every step_every steps
  double gamma = 0.1;

  double at(int64_t step) const;
};

// "constant", "cosine", "step"; UserError naming the accepted values otherwise.
LrSchedule::Kind parse_lr_schedule_kind(const std::string& name);

}  // namespace nas::evaluator
