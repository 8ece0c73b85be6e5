// Turns a graph into a FusionPlan: a partition of its nodes into groups that each become
// one kernel. The graph itself is not changed. Groups are chains: only a group's last node
// hands a value to the outside, because every value inside a chain has the next member as
// its only reader. That makes every group convex (no path leaves a group and re-enters it),
// and ordering groups by their last node gives a topological order: a group that reads
// another's result contains a node after that group's last one. check_fusion_plan in
// fusion_plan.h states these invariants and the tests check them on every plan.
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

// The node that may join the chain ending at `tail`, or -1.
int32_t next_member(const Graph& g, std::span<const FusionRule> rules, FusionClass anchor,
                    const Node& tail, const std::vector<std::vector<int32_t>>& readers,
                    const std::vector<int32_t>& group_of) {
  if (tail.outputs.size() != 1) return -1;
  const ValueId value = tail.outputs[0];
  if (readers[value].size() != 1 || std::ranges::count(g.outputs(), value) != 0) return -1;
  const int32_t next = readers[value][0];
  const Node& node = g.nodes()[next];
  if (group_of[next] >= 0 || node.outputs.size() != 1) return -1;
  if (!allowed(rules, anchor, node.op->fusion)) return -1;
  if (node.op->fusion == FusionClass::Broadcast &&
      g.type(node.outputs[0]).shape != g.type(value).shape)
    return -1;
  return next;
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
    for (int32_t next = next_member(g, rules, anchor, g.nodes()[n], readers, group_of); next >= 0;
         next = next_member(g, rules, anchor, g.nodes()[next], readers, group_of)) {
      group.nodes.push_back(next);
      group_of[next] = id;
    }
    groups.push_back(std::move(group));
  }
  std::ranges::sort(groups, {}, [](const FusedGroup& group) { return group.nodes.back(); });
  return FusionPlan{std::move(groups)};
}

}  // namespace nas::passes
