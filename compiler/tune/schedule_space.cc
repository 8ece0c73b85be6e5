#include "compiler/tune/schedule_space.h"

#include <limits>

#include "compiler/support/error.h"

namespace nas::tune {

namespace {

using lower::ScheduleFamily;
using nlohmann::json;

std::vector<json> values_of(std::initializer_list<json> values) { return values; }

void add_parallel_knobs(std::vector<Knob>& knobs, const target::Target& target) {
  if (target.threads <= 1) return;
  // 0: every stage parallel; the largest: every stage serial.
  knobs.push_back({"min_parallel_work", values_of({0, std::numeric_limits<int64_t>::max()})});
  knobs.push_back({"parallel_blocks_per_thread", values_of({1, 2, 4, 8})});
}

void add_conv_knobs(std::vector<Knob>& knobs, int vector_registers) {
  // One choice of channel vectors each: the block takes it where it divides the channels
  // (5 and 7 for counts of blocks such as 25 or 35, which 2, 3 and 4 do not divide).
  knobs.push_back({"conv_channel_vectors",
                   values_of({json::array({1}), json::array({2}), json::array({3}),
                              json::array({4}), json::array({5}), json::array({6}),
                              json::array({7}), json::array({8})})});
  std::vector<json> accumulators;
  for (int a : {4, 6, 7, 8, 12, 14, 16, 18, 20, 24, 28})
    if (a <= vector_registers - 2) accumulators.push_back(a);  // a B vector and a broadcast
  knobs.push_back({"conv_accumulators", accumulators});
  knobs.push_back({"conv_pointwise_accumulators", accumulators});
  knobs.push_back({"conv_min_accumulator_use", values_of({1.0, 0.75, 0.5})});
  knobs.push_back({"conv_unroll_kw", values_of({1, 7})});
  knobs.push_back({"conv_unroll_taps", values_of({1, 9})});
  knobs.push_back({"conv_weight_chunk_bytes", values_of({0, 12 * 1024, 24 * 1024, 40 * 1024})});
  knobs.push_back({"conv_prefetch_chunks", values_of({0, 1, 2})});
}

void add_window_knobs(std::vector<Knob>& knobs, bool blocked) {
  knobs.push_back({"window_block_columns", values_of({1, 2, 4, 7, 8, 14, 16, 28})});
  knobs.push_back({"window_unroll_taps", values_of({9, 64})});
  if (blocked) return;
  knobs.push_back({"window_vector_taps", values_of({9, 36, 1024})});
  knobs.push_back({"window_max_lanes", values_of({4, 8, 16})});
  knobs.push_back({"window_max_vectors", values_of({1, 2, 4, 7})});
}

void add_dense_knobs(std::vector<Knob>& knobs, int vector_registers) {
  knobs.push_back({"dense_vectors", values_of({1, 2, 3, 4, 6, 8})});
  std::vector<json> accumulators;
  for (int a : {4, 8, 12, 16, 20, 24, 28})
    if (a <= vector_registers - 2) accumulators.push_back(a);
  knobs.push_back({"dense_accumulators", accumulators});
  knobs.push_back({"dense_columns_outside_panel_bytes",
                   values_of({0, 48 * 1024, std::numeric_limits<int64_t>::max()})});
}

bool stores_blocked(const lower::GroupStages& group) {
  return std::ranges::any_of(group.params, [](const lower::KernelParam& p) {
    return p.channel_block > 1;
  });
}

}  // namespace

ScheduleSpace ScheduleSpace::of(const lower::GroupStages& group, const target::Target& target) {
  ScheduleSpace space;
  space.base_ = target.schedule;
  add_parallel_knobs(space.knobs_, target);
  switch (group.family) {
    case ScheduleFamily::Conv2d:
    case ScheduleFamily::Conv2dGradInput:
    case ScheduleFamily::Conv2dGradWeight:
      add_conv_knobs(space.knobs_, target.vector_registers);
      break;
    case ScheduleFamily::DepthwiseConv2d:
    case ScheduleFamily::Pool: add_window_knobs(space.knobs_, stores_blocked(group)); break;
    case ScheduleFamily::Dense:
    case ScheduleFamily::WinogradConv2d:  // its products are a dense stage
      add_dense_knobs(space.knobs_, target.vector_registers);
      break;
    case ScheduleFamily::Injective:
    case ScheduleFamily::Reduce:
    case ScheduleFamily::Softmax: break;
  }
  return space;
}

double ScheduleSpace::size() const {
  double n = 1;
  for (const Knob& k : knobs_) n *= static_cast<double>(k.values.size());
  return n;
}

ScheduleParams ScheduleSpace::params(const Point& point) const {
  return base_.with_json(describe(point));
}

Point ScheduleSpace::random_point(SplitMix64& rng) const {
  Point p;
  for (const Knob& k : knobs_) p.push_back(static_cast<int>(rng.below(k.values.size())));
  return p;
}

Point ScheduleSpace::neighbour(const Point& point, SplitMix64& rng) const {
  Point p = point;
  if (knobs_.empty()) return p;
  const size_t k = rng.below(knobs_.size());
  const size_t n = knobs_[k].values.size();
  if (n > 1) p[k] = static_cast<int>((static_cast<size_t>(p[k]) + 1 + rng.below(n - 1)) % n);
  return p;
}

json ScheduleSpace::describe(const Point& point) const {
  NAS_CHECK(point.size() == knobs_.size(), "a point of {} values for {} knobs", point.size(),
            knobs_.size());
  json j = json::object();
  for (size_t k = 0; k < knobs_.size(); ++k)
    j[knobs_[k].name] = knobs_[k].values.at(static_cast<size_t>(point[k]));
  return j;
}

}  // namespace nas::tune
