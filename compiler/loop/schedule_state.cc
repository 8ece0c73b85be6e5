// Applying schedule steps to the leaf loops of stages; see schedule_state.h.
#include "compiler/loop/schedule_state.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/loop/mutator.h"
#include "compiler/loop/structural.h"
#include "compiler/support/error.h"

namespace nas::loop::schedule_detail {

namespace {

constexpr int64_t kMaxLanes = 64;   // vectorize: more lanes than any vector register holds
constexpr int64_t kMaxUnroll = 64;  // unroll: beyond this the code only grows

[[noreturn]] void fail(const std::string& message) { throw ScheduleError(message); }

class LoadCollector : public IRVisitor {
 public:
  std::vector<const Load*> loads;
  using IRVisitor::visit;

 protected:
  void visit(const Load* op) override {
    loads.push_back(op);
    IRVisitor::visit(op);
  }
};

std::vector<Var> axis_vars(const std::vector<Axis>& axes) {
  std::vector<Var> vars;
  for (const Axis& a : axes) vars.push_back(a.var);
  return vars;
}

// Every expression of a definition that reads other tensors: its value (or reduced value)
// and its epilogue applied to a stand-in for the reduced value.
std::vector<Expr> expressions_of(const ComputeDefinition& def) {
  std::vector<Expr> exprs;
  if (!def.reduction) {
    exprs.push_back(def.value);
    return exprs;
  }
  exprs.push_back(def.reduction->value);
  if (def.epilogue)
    exprs.push_back(def.epilogue(Var("reduced", def.reduction->value.type()), axis_vars(def.axes)));
  return exprs;
}

Substitutions substitution(const Var& var, const Expr& value) {
  Substitutions s;
  s[var.node()] = value;
  return s;
}

}  // namespace

int StageState::find(const std::string& name) const {
  for (size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].name == name) return static_cast<int>(i);
  return -1;
}

int StageState::first_reduce() const {
  for (size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].reduce) return static_cast<int>(i);
  return static_cast<int>(leaves.size());
}

ScheduleState::ScheduleState(const std::vector<Tensor>& stages) {
  for (const Tensor& t : stages) {
    NAS_CHECK(t.definition() != nullptr, "scheduling placeholder {}", t.name());
    if (find_stage(t.name()) >= 0) fail(fmt::format("two stages are named {}", t.name()));
    StageState s;
    s.tensor = t;
    const ComputeDefinition& def = *t.definition();
    for (const Axis& a : def.axes) s.leaves.push_back(LeafLoop{a.var.name(), a.var, a.extent, false});
    if (def.reduction)
      for (const Axis& a : def.reduction->axes)
        s.leaves.push_back(LeafLoop{a.var.name(), a.var, a.extent, true});
    std::set<std::string> names;
    for (const LeafLoop& l : s.leaves) {
      if (!names.insert(l.name).second)
        fail(fmt::format("stage {} has two loops named {}", t.name(), l.name));
      s.root_values[l.var.node()] = l.var;
    }
    stages_.push_back(std::move(s));
  }
}

std::vector<const Load*> loads_in(const Expr& e) {
  LoadCollector collector;
  collector.include(e);
  return collector.loads;
}

int ScheduleState::find_stage(const std::string& name) const {
  for (size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i].tensor.name() == name) return static_cast<int>(i);
  return -1;
}

bool ScheduleState::is_read_by(int producer, int consumer) const {
  const BufferNode* buffer = stages_[producer].tensor.buffer().get();
  for (const Expr& e : expressions_of(*stages_[consumer].tensor.definition()))
    for (const Load* load : loads_in(e))
      if (load->buffer.get() == buffer) return true;
  return false;
}

bool ScheduleState::reads_pointwise(int producer, int consumer) const {
  const Tensor& p = stages_[producer].tensor;
  const Tensor& c = stages_[consumer].tensor;
  if (producer >= consumer || p.shape() != c.shape()) return false;
  for (size_t i = 0; i < stages_.size(); ++i)
    if (static_cast<int>(i) != consumer && is_read_by(producer, static_cast<int>(i))) return false;
  const ComputeDefinition& def = *c.definition();
  std::vector<Expr> point;
  for (const Axis& a : def.axes) point.push_back(a.var);
  const Expr own_index = p(point).as<Load>()->index;
  bool any = false;
  for (const Expr& e : expressions_of(def))
    for (const Load* load : loads_in(e)) {
      if (load->buffer.get() != p.buffer().get()) continue;
      if (!structural_equal(load->index, own_index)) return false;
      any = true;
    }
  return any;
}

StageState& ScheduleState::stage_of(const ScheduleStep& step) {
  const int index = find_stage(step.stage);
  if (index < 0) fail(fmt::format("no stage {}", step.stage));
  return stages_[index];
}

int ScheduleState::leaf_of(const StageState& s, const std::string& name) const {
  const int index = s.find(name);
  if (index < 0) {
    std::vector<std::string> names;
    for (const LeafLoop& l : s.leaves) names.push_back(l.name);
    fail(fmt::format("stage {} has no loop {} (its loops: {})", s.tensor.name(), name,
                     fmt::join(names, ", ")));
  }
  return index;
}

void ScheduleState::apply(const ScheduleStep& step) {
  StageState& s = stage_of(step);
  const std::string& stage = s.tensor.name();
  const int stage_index = find_stage(step.stage);
  const bool changes_loops = step.kind == StepKind::Split || step.kind == StepKind::Fuse ||
                             step.kind == StepKind::Reorder || step.kind == StepKind::Vectorize ||
                             step.kind == StepKind::Unroll || step.kind == StepKind::Parallel ||
                             step.kind == StepKind::CacheWrite || step.kind == StepKind::Prefetch;
  if (changes_loops && s.placement != Placement::Root)
    fail(fmt::format("stage {} is {}: it has no loops of its own", stage,
                     s.placement == Placement::Inline ? "inlined" : "computed at another stage"));
  auto check_plain = [&](const LeafLoop& leaf) {
    if (leaf.kind != ForKind::Serial)
      fail(fmt::format("loop {}.{} is already {}", stage, leaf.name, for_kind_name(leaf.kind)));
    if (s.cache_write_at == leaf.name)
      fail(fmt::format("loop {}.{} holds a cache_write", stage, leaf.name));
    for (const StageState& other : stages_)
      if (other.placement == Placement::At && other.at_consumer == stage_index &&
          other.at_loop == leaf.name)
        fail(fmt::format("loop {}.{} holds the computation of {}", stage, leaf.name,
                         other.tensor.name()));
  };
  auto substitute_all = [&](const Substitutions& map) {
    for (auto& [var, value] : s.root_values) value = substitute(value, map);
    for (Guard& g : s.guards) g.condition = substitute(g.condition, map);
  };
  auto check_new_name = [&](const std::string& name) {
    if (s.find(name) >= 0) fail(fmt::format("stage {} already has a loop {}", stage, name));
  };

  switch (step.kind) {
    case StepKind::Split: {
      if (step.axes.size() != 1) fail("split takes one loop");
      const int x = leaf_of(s, step.axes[0]);
      const LeafLoop leaf = s.leaves[x];
      check_plain(leaf);
      if (step.factor < 1) fail(fmt::format("split factor {} is not positive", step.factor));
      check_new_name(leaf.name + ".o");
      check_new_name(leaf.name + ".i");
      const int64_t f = step.factor;
      LeafLoop outer{leaf.name + ".o", Var(leaf.name + ".o"), (leaf.extent + f - 1) / f, leaf.reduce};
      LeafLoop inner{leaf.name + ".i", Var(leaf.name + ".i"), f, leaf.reduce};
      const Expr value = outer.var * make_const(Type::i32(), f) + inner.var;
      substitute_all(substitution(leaf.var, value));
      if (leaf.extent % f != 0)
        s.guards.push_back(Guard{value < make_const(Type::i32(), leaf.extent), leaf.reduce});
      s.leaves[x] = outer;
      s.leaves.insert(s.leaves.begin() + x + 1, inner);
      s.loops_changed = true;
      return;
    }
    case StepKind::Fuse: {
      if (step.axes.size() != 2) fail("fuse takes two loops");
      const int x = leaf_of(s, step.axes[0]), y = leaf_of(s, step.axes[1]);
      if (y != x + 1)
        fail(fmt::format("loops {}.{} and {}.{} are not adjacent (outer first)", stage,
                         step.axes[0], stage, step.axes[1]));
      const LeafLoop a = s.leaves[x], b = s.leaves[y];
      check_plain(a);
      check_plain(b);
      if (a.reduce != b.reduce)
        fail(fmt::format("cannot fuse a spatial and a reduction loop ({}.{}, {}.{})", stage, a.name,
                         stage, b.name));
      const std::string name = a.name + "." + b.name;
      check_new_name(name);
      LeafLoop fused{name, Var(name), a.extent * b.extent, a.reduce};
      Substitutions map;
      map[a.var.node()] = fused.var / make_const(Type::i32(), b.extent);
      map[b.var.node()] = fused.var % make_const(Type::i32(), b.extent);
      substitute_all(map);
      s.leaves[x] = fused;
      s.leaves.erase(s.leaves.begin() + y);
      s.loops_changed = true;
      return;
    }
    case StepKind::Reorder: {
      if (step.axes.empty()) fail("reorder of no loops");
      std::vector<int> positions;
      for (const std::string& name : step.axes) {
        const int index = leaf_of(s, name);
        if (std::find(positions.begin(), positions.end(), index) != positions.end())
          fail(fmt::format("loop {}.{} appears twice", stage, name));
        positions.push_back(index);
      }
      std::vector<LeafLoop> chosen;
      for (int p : positions) chosen.push_back(s.leaves[p]);
      std::sort(positions.begin(), positions.end());
      for (size_t i = 0; i < positions.size(); ++i) s.leaves[positions[i]] = chosen[i];
      s.loops_changed = true;
      return;
    }
    case StepKind::Vectorize: {
      if (step.axes.size() != 1) fail("vectorize takes one loop");
      LeafLoop& leaf = s.leaves[leaf_of(s, step.axes[0])];
      if (leaf.reduce)
        fail(fmt::format("cannot vectorize reduction loop {}.{}", stage, leaf.name));
      if (leaf.extent > kMaxLanes)
        fail(fmt::format("cannot vectorize {}.{}: extent {} is more than {} lanes", stage, leaf.name,
                         leaf.extent, kMaxLanes));
      if (leaf.kind != ForKind::Serial && leaf.kind != ForKind::Vectorized)
        fail(fmt::format("loop {}.{} is already {}", stage, leaf.name, for_kind_name(leaf.kind)));
      leaf.kind = ForKind::Vectorized;
      s.loops_changed = true;
      return;
    }
    case StepKind::Unroll: {
      if (step.axes.size() != 1) fail("unroll takes one loop");
      LeafLoop& leaf = s.leaves[leaf_of(s, step.axes[0])];
      if (leaf.extent > kMaxUnroll)
        fail(fmt::format("cannot unroll {}.{}: extent {} is more than {}", stage, leaf.name,
                         leaf.extent, kMaxUnroll));
      if (leaf.kind != ForKind::Serial && leaf.kind != ForKind::Unrolled)
        fail(fmt::format("loop {}.{} is already {}", stage, leaf.name, for_kind_name(leaf.kind)));
      leaf.kind = ForKind::Unrolled;
      s.loops_changed = true;
      return;
    }
    case StepKind::Parallel: {
      if (step.axes.size() != 1) fail("parallel takes one loop");
      LeafLoop& leaf = s.leaves[leaf_of(s, step.axes[0])];
      if (leaf.reduce) fail(fmt::format("cannot run reduction loop {}.{} in parallel", stage, leaf.name));
      if (leaf.kind != ForKind::Serial && leaf.kind != ForKind::Parallel)
        fail(fmt::format("loop {}.{} is already {}", stage, leaf.name, for_kind_name(leaf.kind)));
      leaf.kind = ForKind::Parallel;
      s.loops_changed = true;
      return;
    }
    case StepKind::CacheWrite: {
      if (step.axes.size() != 1) fail("cache_write takes one loop");
      if (!s.is_reduction()) fail(fmt::format("cache_write of {}, which is not a reduction", stage));
      if (s.cache_write_at)
        fail(fmt::format("stage {} already has a cache_write at {}", stage, *s.cache_write_at));
      const LeafLoop& leaf = s.leaves[leaf_of(s, step.axes[0])];
      if (leaf.reduce)
        fail(fmt::format("cache_write of {} at reduction loop {}", stage, leaf.name));
      s.cache_write_at = leaf.name;
      s.cache_scope = step.scope;
      return;
    }
    case StepKind::Prefetch: {
      if (step.axes.size() != 1) fail("prefetch takes one loop");
      if (!s.is_reduction()) fail(fmt::format("prefetch in {}, which is not a reduction", stage));
      if (step.factor < 1) fail(fmt::format("prefetch offset {} is not positive", step.factor));
      leaf_of(s, step.axes[0]);
      s.prefetches.push_back(PrefetchAhead{step.target, step.axes[0], step.factor});
      return;
    }
    case StepKind::ComputeAt:
    case StepKind::ComputeInline: {
      const bool at = step.kind == StepKind::ComputeAt;
      if (s.placement != Placement::Root)
        fail(fmt::format("stage {} is already {}", stage,
                         s.placement == Placement::Inline ? "inlined" : "computed at another stage"));
      if (s.loops_changed || s.cache_write_at || !s.prefetches.empty())
        fail(fmt::format("stage {} has a schedule of its own; {} it first", stage,
                         at ? "compute it at its consumer" : "inline"));
      for (const StageState& other : stages_)
        if (other.placement == Placement::At && other.at_consumer == stage_index)
          fail(fmt::format("stage {} holds the computation of {}", stage, other.tensor.name()));
      if (!at) {
        if (step.axes.size() != 0) fail("compute_inline takes no loop");
        if (s.is_reduction()) fail(fmt::format("cannot inline reduction {}", stage));
        s.placement = Placement::Inline;
        return;
      }
      if (step.axes.size() != 1) fail("compute_at takes one loop of the consumer");
      const int consumer = find_stage(step.target);
      if (consumer < 0) fail(fmt::format("no stage {}", step.target));
      const StageState& c = stages_[consumer];
      if (c.placement != Placement::Root)
        fail(fmt::format("consumer {} is not computed at the root", step.target));
      if (!reads_pointwise(stage_index, consumer))
        fail(fmt::format("{} is not read pointwise by {} alone (same shape, same indices)", stage,
                         step.target));
      const LeafLoop& leaf = c.leaves[leaf_of(c, step.axes[0])];
      if (leaf.reduce)
        fail(fmt::format("compute_at {} at reduction loop {}.{}", stage, step.target, leaf.name));
      s.placement = Placement::At;
      s.at_consumer = consumer;
      s.at_loop = leaf.name;
      return;
    }
  }
}

void ScheduleState::validate() const {
  for (size_t i = 0; i < stages_.size(); ++i) {
    const StageState& s = stages_[i];
    if (s.placement != Placement::Root) continue;
    const std::string& stage = s.tensor.name();
    const int reduce = s.first_reduce();
    int limit = reduce;  // leaves at or above which a parallel loop may sit
    if (s.cache_write_at) {
      const int at = s.find(*s.cache_write_at);
      if (at < 0) fail(fmt::format("cache_write of {} at {}: no such loop any more", stage, *s.cache_write_at));
      limit = std::min(limit, at + 1);
    }
    for (const StageState& p : stages_) {
      if (p.placement != Placement::At || p.at_consumer != static_cast<int>(i)) continue;
      const int at = s.find(p.at_loop);
      if (at < 0)
        fail(fmt::format("compute_at {} at {}.{}: no such loop any more", p.tensor.name(), stage, p.at_loop));
      if (at >= reduce)
        fail(fmt::format("compute_at {} at {}.{}: reduction loop {} is outside it", p.tensor.name(),
                         stage, p.at_loop, s.leaves[reduce].name));
      if (s.cache_write_at && at > s.find(*s.cache_write_at))
        fail(fmt::format("compute_at {} at {}.{}: inside the cache_write at {}", p.tensor.name(),
                         stage, p.at_loop, *s.cache_write_at));
      limit = std::min(limit, at + 1);
    }
    for (const PrefetchAhead& p : s.prefetches)
      if (s.find(p.loop) < 0)
        fail(fmt::format("prefetch of {} in {}.{}: no such loop any more", p.tensor, stage,
                         p.loop));
    int parallel = 0;
    for (size_t k = 0; k < s.leaves.size(); ++k) {
      if (s.leaves[k].kind != ForKind::Parallel) continue;
      if (++parallel > 1) fail(fmt::format("stage {} has nested parallel loops", stage));
      if (static_cast<int>(k) >= limit)
        fail(fmt::format("parallel loop {}.{} must sit outside every reduction loop, cache_write and "
                         "compute_at of the stage",
                         stage, s.leaves[k].name));
    }
  }
}

}  // namespace nas::loop::schedule_detail
