// Random schedules for differential tests: each candidate step is applied to a copy of the
// loop structure and kept only if it applies and leaves the schedule valid, so whatever
// comes out lowers. Steps come in phases (placement, loop structure, attachments,
// annotations) because attachments name loops that later splits would remove.
#include <algorithm>

#include "compiler/loop/schedule.h"
#include "compiler/loop/schedule_state.h"
#include "compiler/support/random.h"

namespace nas::loop {

using schedule_detail::LeafLoop;
using schedule_detail::Placement;
using schedule_detail::ScheduleState;
using schedule_detail::StageState;

namespace {

class Generator {
 public:
  Generator(const std::vector<Tensor>& stages, uint64_t seed) : state_(stages), rng_(seed) {}

  Schedule run() {
    const int count = static_cast<int>(state_.stages().size());
    std::vector<int> computed_at(count, -1);  // consumer, for producers to compute at one
    for (int i = 0; i < count; ++i) {
      bool read_later = false;  // the result of the last stages must be computed
      for (int j = i + 1; j < count; ++j) read_later = read_later || state_.is_read_by(i, j);
      if (read_later && chance(0.2)) {
        ScheduleStep step;
        step.kind = StepKind::ComputeInline;
        step.stage = name(i);
        if (try_step(step)) continue;
      }
      for (int j = i + 1; j < count; ++j)
        if (state_.reads_pointwise(i, j) && chance(0.35)) computed_at[i] = j;
    }
    for (int i = 0; i < count; ++i)
      if (root(i) && computed_at[i] < 0) loop_steps(i);
    for (int i = 0; i < count; ++i) {
      const int j = computed_at[i];
      if (j < 0 || !root(i) || !root(j)) continue;
      const StageState& c = state_.stages()[j];
      const int options = c.first_reduce();
      if (options == 0) continue;
      ScheduleStep step;
      step.kind = StepKind::ComputeAt;
      step.stage = name(i);
      step.target = name(j);
      step.axes = {c.leaves[rng_.below(options)].name};
      try_step(step);
    }
    for (int i = 0; i < count; ++i) {
      if (!root(i) || computed_at[i] >= 0 || !state_.stages()[i].is_reduction() || !chance(0.5)) continue;
      const StageState& s = state_.stages()[i];
      const int options = s.first_reduce();
      if (options == 0) continue;
      ScheduleStep step;
      step.kind = StepKind::CacheWrite;
      step.stage = name(i);
      step.axes = {s.leaves[rng_.below(options)].name};
      step.scope = chance(0.5) ? MemoryScope::Register : MemoryScope::Local;
      try_step(step);
    }
    for (int i = 0; i < count; ++i)
      if (root(i) && computed_at[i] < 0 && state_.stages()[i].is_reduction() && chance(0.3))
        prefetch(i);
    for (int i = 0; i < count; ++i)
      if (root(i) && computed_at[i] < 0) annotations(i);
    return std::move(schedule_);
  }

 private:
  bool chance(double p) { return rng_.uniform() < p; }
  const std::string& name(int i) const { return state_.stages()[i].tensor.name(); }
  bool root(int i) const { return state_.stages()[i].placement == Placement::Root; }

  bool try_step(const ScheduleStep& step) {
    ScheduleState next = state_;
    try {
      next.apply(step);
      next.validate();
    } catch (const ScheduleError&) {
      return false;
    }
    state_ = std::move(next);
    schedule_.steps.push_back(step);
    return true;
  }

  // A prefetch of an input (not a stage, which inlining may replace) that the reduction
  // reads, some iterations of a random reduction loop ahead.
  void prefetch(int i) {
    const StageState& s = state_.stages()[i];
    std::vector<std::string> inputs;
    for (const Load* load : schedule_detail::loads_in(s.tensor.definition()->reduction->value))
      if (state_.find_stage(load->buffer.name()) < 0) inputs.push_back(load->buffer.name());
    std::vector<std::string> loops;
    for (const LeafLoop& leaf : s.leaves)
      if (leaf.reduce) loops.push_back(leaf.name);
    if (inputs.empty() || loops.empty()) return;
    ScheduleStep step = step_on(StepKind::Prefetch, i, {loops[rng_.below(loops.size())]});
    step.target = inputs[rng_.below(inputs.size())];
    step.factor = 1 + static_cast<int64_t>(rng_.below(2));
    try_step(step);
  }

  ScheduleStep step_on(StepKind kind, int i, std::vector<std::string> axes) const {
    ScheduleStep step;
    step.kind = kind;
    step.stage = name(i);
    step.axes = std::move(axes);
    return step;
  }

  void loop_steps(int i) {
    if (state_.stages()[i].leaves.empty()) return;  // a rank-0 stage has no loop to schedule
    const int splits = static_cast<int>(rng_.below(4));
    for (int k = 0; k < splits; ++k) {
      const StageState& s = state_.stages()[i];
      const LeafLoop& leaf = s.leaves[rng_.below(s.leaves.size())];
      if (leaf.extent < 2) continue;
      ScheduleStep step = step_on(StepKind::Split, i, {leaf.name});
      step.factor = 2 + static_cast<int64_t>(rng_.below(std::min<int64_t>(leaf.extent, 8)));
      try_step(step);
    }
    if (chance(0.15)) {
      const StageState& s = state_.stages()[i];
      if (s.leaves.size() >= 2) {
        const size_t k = rng_.below(s.leaves.size() - 1);
        try_step(step_on(StepKind::Fuse, i, {s.leaves[k].name, s.leaves[k + 1].name}));
      }
    }
    if (chance(0.7)) {
      const StageState& s = state_.stages()[i];
      std::vector<std::string> spatial, reduce;
      for (const LeafLoop& l : s.leaves) (l.reduce ? reduce : spatial).push_back(l.name);
      shuffle(spatial, rng_);
      if (chance(0.3)) shuffle(reduce, rng_);
      // Some spatial loops below the reduction loops (register blocking).
      const size_t cut = reduce.empty() ? spatial.size() : rng_.below(spatial.size() + 1);
      std::vector<std::string> order(spatial.begin(), spatial.begin() + cut);
      // The others after or between the reduction loops (each group keeps its order).
      size_t r = 0, sp = cut;
      const bool interleave = chance(0.3);
      while (r < reduce.size() || sp < spatial.size()) {
        const bool take_reduce =
            sp == spatial.size() || (r < reduce.size() && (!interleave || chance(0.5)));
        order.push_back(take_reduce ? reduce[r++] : spatial[sp++]);
      }
      try_step(step_on(StepKind::Reorder, i, order));
    }
  }

  void annotations(int i) {
    if (state_.stages()[i].leaves.empty()) return;
    {
      const StageState& s = state_.stages()[i];
      if (chance(0.4) && !s.leaves.empty()) try_step(step_on(StepKind::Parallel, i, {s.leaves[0].name}));
    }
    {
      const StageState& s = state_.stages()[i];
      const LeafLoop& last = s.leaves.back();
      if (chance(0.5) && last.extent <= 16) try_step(step_on(StepKind::Vectorize, i, {last.name}));
    }
    for (int k = 0; k < 2; ++k) {
      const StageState& s = state_.stages()[i];
      const LeafLoop& leaf = s.leaves[rng_.below(s.leaves.size())];
      if (chance(0.4) && leaf.extent <= 8) try_step(step_on(StepKind::Unroll, i, {leaf.name}));
    }
  }

  ScheduleState state_;
  SplitMix64 rng_;
  Schedule schedule_;
};

}  // namespace

Schedule random_schedule(const std::vector<Tensor>& stages, uint64_t seed) {
  return Generator(stages, seed).run();
}

}  // namespace nas::loop
