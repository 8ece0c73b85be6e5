// The schedule space of a kernel: the choices of its op family's default schedule
// (lower/default_schedule.h) that the tuner may make for one workload, as knobs over the
// fields of ScheduleParams. Each knob is a field and the values it may take; a point takes
// one value per knob, over the target's own params (the base). The default schedule turns
// any point into a valid schedule (it resolves each choice against the shapes: a block of
// channel vectors that does not divide the channels falls back to one that does), so every
// point is valid by construction; points that resolve alike give the same schedule, which
// the tuner measures once.
//
// Knobs by family (the anchor stage's; the other stages follow the injective schedule):
// - every family with more than one thread: parallel or serial (min_parallel_work), and how
//   many blocks per thread make a parallel loop over blocks share evenly;
// - conv2d (and its gradient of the input): channel vectors x columns of the register
//   block, the share of accumulators a dividing block must use, taps unrolled;
// - depthwise conv2d and pooling: columns of the register block, taps unrolled, and in NCHW
//   the vector path's thresholds;
// - dense: vectors of columns, accumulators of the block, columns or rows outside.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/lower/lower_group.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"

namespace nas::tune {

using target::ScheduleParams;

struct Knob {
  std::string name;                    // a field of ScheduleParams
  std::vector<nlohmann::json> values;  // as ScheduleParams::to_json writes it
};

using Point = std::vector<int>;  // per knob, the index of its value

class ScheduleSpace {
 public:
  // The knobs of the group's family on the target, over the target's params.
  static ScheduleSpace of(const lower::GroupStages& group, const target::Target& target);

  const std::vector<Knob>& knobs() const { return knobs_; }
  const ScheduleParams& base() const { return base_; }
  double size() const;  // points in the space (a double: the product can be large)

  ScheduleParams params(const Point& point) const;
  // Uniform over the points.
  Point random_point(SplitMix64& rng) const;
  // The point with one knob (drawn uniformly) set to another of its values.
  Point neighbour(const Point& point, SplitMix64& rng) const;
  // The knobs' values at the point as one JSON object {name: value}.
  nlohmann::json describe(const Point& point) const;

 private:
  ScheduleParams base_;
  std::vector<Knob> knobs_;
};

}  // namespace nas::tune
