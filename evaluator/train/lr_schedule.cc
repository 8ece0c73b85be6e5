#include "evaluator/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "compiler/support/error.h"

namespace nas::evaluator {

double LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps)
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  switch (kind) {
    case Kind::Constant:
      return base_lr;
    case Kind::Cosine: {
      const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
      const double t = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
      return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * t));
    }
    case Kind::Step:
      if (step_every <= 0) return base_lr;
      return base_lr * std::pow(gamma, static_cast<double>((step - warmup_steps) / step_every));
  }
  return base_lr;
}

LrSchedule::Kind parse_lr_schedule_kind(const std::string& name) {
  if (name == "constant") return LrSchedule::Kind::Constant;
  if (name == "cosine") return LrSchedule::Kind::Cosine;
  if (name == "step") return LrSchedule::Kind::Step;
  user_error("unknown learning-rate schedule '{}' (expected constant, cosine or step)", name);
}

}  // namespace nas::evaluator
