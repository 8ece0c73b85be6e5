// Turns a graph into a FusionPlan: a partition of its nodes into groups that each become
// one kernel. The graph itself is not changed. Groups are chains, with diamonds (a chain
// beside the value it starts from, joined by a node that reads both) as links: only a
// group's last node hands a value to the outside, because every value inside a group is
// read by later members only. That makes every group convex (no path leaves a group and
// re-enters it), and ordering groups by their last node gives a topological order: a group
// that reads another's result contains a node after that group's last one.
// check_fusion_plan in fusion_plan.h states these invariants and the tests check them on
// every plan.
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
// single reader, or a diamond of two readers where the second (the join) reads the tail
// value and the end of a chain that starts at the first, each link read by the next only
// (SiLU: y * sigmoid(y); hard-swish as y * hardsigmoid(y); GELU as torch writes it,
// y * (erf(y / sqrt 2) + 1)), all recomputing from the tail value inside the anchor's loop
// nest.
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
  const int32_t join = r[1];
  const auto joins = [&](int32_t n) {
    return may_follow(g, rules, anchor, g.nodes()[n], group_of, n, shape) &&
           g.type(g.nodes()[n].outputs[0]).shape == shape;
  };
  if (!joins(join)) return {};
  std::vector<int32_t> members;
  ValueId link = value;  // the value the next member of the chain reads
  for (int32_t n = r[0]; n != join;) {
    const Node& node = g.nodes()[n];
    if (!joins(n) || !reads_only(g, node, {link})) return {};
    members.push_back(n);
    link = node.outputs[0];
    if (returned(g, link) || readers[link].size() != 1) return {};
    n = readers[link][0];
  }
  if (members.empty() || !reads_only(g, g.nodes()[join], {value, link})) return {};
  members.push_back(join);
  return members;
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
      // A permute and the elementwise ops after it (ConvNeXt's layer scale and residual
      // after its channels-first permute): one pass over the permuted value.
      {Injective, Elementwise, true},
      {Injective, Broadcast, true},
      // Listed to be explicit: a reduction takes no epilogue unless a rule says so.
      {Reduction, Elementwise, false},
      {Reduction, Broadcast, false},
  };
  return rules;
}

FusionPlan plan_fusion(const Graph& g, std::span<const FusionRule> rules) {
  std::vector<std::vector<int32_t>> readers = g.users();
  for (auto& r : readers) r.erase(std::unique(r.begin(), r.end()), r.end());  // Mul(x, x)

  // A Concat's group takes injective readers only: concat_in_place.h has its parts written
  // where they stand in its output, and a reader fused into it would gather them back from
  // every part instead (DenseNet-121's batch norms after each concatenation: 1.5x the time
  // at 2 threads).
  std::vector<FusionRule> concat_rules(rules.begin(), rules.end());
  std::erase_if(concat_rules, [](const FusionRule& rule) {
    return rule.anchor == FusionClass::Injective && rule.follower != FusionClass::Injective;
  });

  std::vector<int32_t> group_of(g.nodes().size(), -1);
  std::vector<FusedGroup> groups;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    if (group_of[n] >= 0) continue;
    const auto id = static_cast<int32_t>(groups.size());
    FusedGroup group{static_cast<int32_t>(n), {static_cast<int32_t>(n)}};
    group_of[n] = id;
    const FusionClass anchor = g.nodes()[n].op->fusion;
    const std::span<const FusionRule> group_rules =
        g.nodes()[n].op->id == OpId::Concat ? std::span<const FusionRule>(concat_rules) : rules;
    for (std::vector<int32_t> next =
             next_members(g, group_rules, anchor, g.nodes()[n], readers, group_of);
         !next.empty();
         next = next_members(g, group_rules, anchor, g.nodes()[next.back()], readers, group_of))
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
