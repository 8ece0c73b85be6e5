// Turns a graph into a FusionPlan: a partition of its nodes into groups that each become
// one kernel. The graph itself is not changed. Groups are chains, with diamonds of two
// nodes as links: only a group's last node hands a value to the outside, because every
// value inside a group is read by later members only. That makes every group convex (no
// path leaves a group and re-enters it), and ordering groups by their last node gives a
// topological order: a group that reads another's result contains a node after that
// group's last one. check_fusion_plan in fusion_plan.h states these invariants and the
// tests check them on every plan.
#include "compiler/passes/fusion.h"

#include <algorithm>

namespace nas::passes {

using namespace graph;

namespace {

bool allowed(std::span<const FusionRule> rules, FusionClass anchor, FusionClass follower) {
  for (const FusionRule& rule : rules)
    if (rule.anchor == anchor && rule.follower == follower) return rule.allowed;
  return false;
}

// Whether `node`, not yet in a group, may follow an anchor of class `anchor` in its loop
// nest after a value of `shape`: the rules allow it, it has one output, and a broadcast
// keeps the shape (one that grows the value cannot be computed by the anchor's loop nest).
bool may_follow(const Graph& g, std::span<const FusionRule> rules, FusionClass anchor,
                const Node& node, const std::vector<int32_t>& group_of, int32_t index,
                const Shape& shape) {
  if (group_of[index] >= 0 || node.outputs.size() != 1) return false;
  if (!allowed(rules, anchor, node.op->fusion)) return false;
  return node.op->fusion != FusionClass::Broadcast || g.type(node.outputs[0]).shape == shape;
}

// Whether every input of `node` is one of `inside` or comes from no node (a constant or a
// graph input), so taking it into the group keeps the group convex.
bool reads_only(const Graph& g, const Node& node, std::initializer_list<ValueId> inside) {
  return std::ranges::all_of(node.inputs, [&](ValueId v) {
    return v == kNoValue || std::ranges::count(inside, v) != 0 ||
           g.value(v).kind != ValueKind::NodeOutput;
  });
}

bool returned(const Graph& g, ValueId v) { return std::ranges::count(g.outputs(), v) != 0; }

// The nodes that may join the chain ending at `tail`, in order, or none: the tail value's
// single reader, or a diamond of two readers where the second also reads the first's
// output and nothing else does (SiLU: y * sigmoid(y); hard-swish as y * hardsigmoid(y)),
// both recomputing from the tail value inside the anchor's loop nest.
std::vector<int32_t> next_members(const Graph& g, std::span<const FusionRule> rules,
                                  FusionClass anchor, const Node& tail,
                                  const std::vector<std::vector<int32_t>>& readers,
                                  const std::vector<int32_t>& group_of) {
  if (tail.outputs.size() != 1) return {};
  const ValueId value = tail.outputs[0];
  if (returned(g, value)) return {};
  const Shape& shape = g.type(value).shape;
  const std::vector<int32_t>& r = readers[value];
  if (r.size() == 1) {
    if (!may_follow(g, rules, anchor, g.nodes()[r[0]], group_of, r[0], shape)) return {};
    return {r[0]};
  }
  if (r.size() != 2) return {};
  const Node& first = g.nodes()[r[0]];
  const Node& second = g.nodes()[r[1]];
  if (!may_follow(g, rules, anchor, first, group_of, r[0], shape) ||
      !may_follow(g, rules, anchor, second, group_of, r[1], shape))
    return {};
  const ValueId between = first.outputs[0];
  if (g.type(between).shape != shape || g.type(second.outputs[0]).shape != shape) return {};
  if (returned(g, between) || readers[between] != std::vector<int32_t>{r[1]}) return {};
  if (!reads_only(g, first, {value}) || !reads_only(g, second, {value, between})) return {};
  return {r[0], r[1]};
}

}  // namespace

const std::vector<FusionRule>& default_fusion_rules() {
  using enum FusionClass;
  static const std::vector<FusionRule> rules = {
      {FusableOutput, Elementwise, true},
      {FusableOutput, Broadcast, true},
      {Elementwise, Elementwise, true},
      {Elementwise, Broadcast, true},
      {Broadcast, Elementwise, true},
      {Broadcast, Broadcast, true},
      {Injective, Injective, true},
      // Listed to be explicit: a reduction takes no epilogue unless a rule says so.
      {Reduction, Elementwise, false},
      {Reduction, Broadcast, false},
  };
  return rules;
}

FusionPlan plan_fusion(const Graph& g, std::span<const FusionRule> rules) {
  std::vector<std::vector<int32_t>> readers = g.users();
  for (auto& r : readers) r.erase(std::unique(r.begin(), r.end()), r.end());  // Mul(x, x)

  std::vector<int32_t> group_of(g.nodes().size(), -1);
  std::vector<FusedGroup> groups;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    if (group_of[n] >= 0) continue;
    const auto id = static_cast<int32_t>(groups.size());
    FusedGroup group{static_cast<int32_t>(n), {static_cast<int32_t>(n)}};
    group_of[n] = id;
    const FusionClass anchor = g.nodes()[n].op->fusion;
    for (std::vector<int32_t> next =
             next_members(g, rules, anchor, g.nodes()[n], readers, group_of);
         !next.empty();
         next = next_members(g, rules, anchor, g.nodes()[next.back()], readers, group_of))
      for (int32_t member : next) {
        group.nodes.push_back(member);
        group_of[member] = id;
      }
    groups.push_back(std::move(group));
  }
  std::ranges::sort(groups, {}, [](const FusedGroup& group) { return group.nodes.back(); });
  return FusionPlan{std::move(groups)};
}

}  // namespace nas::passes
