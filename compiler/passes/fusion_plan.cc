#include "compiler/passes/fusion_plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/graph/op_registry.h"

namespace nas::passes {

using namespace graph;

namespace {

// Values a group defines that something outside it reads (or the graph returns).
std::vector<ValueId> group_outputs(const Graph& g, const std::vector<int32_t>& group_of,
                                   int32_t group, const FusedGroup& members,
                                   const std::vector<std::vector<int32_t>>& users) {
  std::vector<ValueId> outputs;
  for (int32_t n : members.nodes)
    for (ValueId v : g.nodes()[n].outputs) {
      bool leaves = std::ranges::find(g.outputs(), v) != g.outputs().end();
      for (int32_t user : users[v]) leaves = leaves || group_of[user] != group;
      if (leaves) outputs.push_back(v);
    }
  return outputs;
}

}  // namespace

std::string print_fusion_plan(const Graph& g, const FusionPlan& plan) {
  std::vector<int32_t> group_of(g.nodes().size(), -1);
  for (size_t i = 0; i < plan.groups.size(); ++i)
    for (int32_t n : plan.groups[i].nodes) group_of[n] = static_cast<int32_t>(i);
  const auto users = g.users();
  std::string out = fmt::format("fusion plan {} ({} groups for {} nodes)\n", g.name(),
                                plan.groups.size(), g.nodes().size());
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusedGroup& group = plan.groups[i];
    out += fmt::format("  group {} [{}]:", i,
                       fusion_class_name(g.nodes()[group.anchor].op->fusion));
    for (size_t k = 0; k < group.nodes.size(); ++k) {
      const Node& node = g.nodes()[group.nodes[k]];
      out += fmt::format("{} {} {}", k ? "," : "", node.op_name(), node.name);
    }
    out += " ->";
    for (ValueId v : group_outputs(g, group_of, static_cast<int32_t>(i), group, users))
      out += " %" + g.value(v).name;
    out += "\n";
  }
  return out;
}

std::vector<std::string> check_fusion_plan(const Graph& g, const FusionPlan& plan) {
  std::vector<std::string> problems;
  const auto num_nodes = static_cast<int32_t>(g.nodes().size());
  std::vector<int32_t> group_of(g.nodes().size(), -1);
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusedGroup& group = plan.groups[i];
    if (group.nodes.empty()) {
      problems.push_back(fmt::format("group {} is empty", i));
      continue;
    }
    if (!std::ranges::is_sorted(group.nodes) ||
        std::ranges::adjacent_find(group.nodes) != group.nodes.end())
      problems.push_back(fmt::format("group {}: nodes are not in graph order", i));
    if (group.nodes.front() != group.anchor)
      problems.push_back(fmt::format("group {}: anchor {} is not its first node", i, group.anchor));
    for (int32_t n : group.nodes) {
      if (n < 0 || n >= num_nodes) {
        problems.push_back(fmt::format("group {}: node {} does not exist", i, n));
      } else if (group_of[n] >= 0) {
        problems.push_back(fmt::format("node '{}' is in groups {} and {}", g.nodes()[n].name,
                                       group_of[n], i));
      } else {
        group_of[n] = static_cast<int32_t>(i);
      }
    }
  }
  for (int32_t n = 0; n < num_nodes; ++n)
    if (group_of[n] < 0) problems.push_back(fmt::format("node '{}' is in no group", g.nodes()[n].name));
  if (!problems.empty()) return problems;

  // Convexity: walk forward from each group's outside successors; reaching the group again
  // means a path leaves it and comes back.
  const auto users = g.users();
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    std::vector<bool> seen(g.nodes().size(), false);
    std::vector<int32_t> stack;
    for (int32_t n : plan.groups[i].nodes)
      for (ValueId v : g.nodes()[n].outputs)
        for (int32_t user : users[v])
          if (group_of[user] != static_cast<int32_t>(i) && !seen[user]) {
            seen[user] = true;
            stack.push_back(user);
          }
    bool reenters = false;
    while (!stack.empty() && !reenters) {
      const int32_t n = stack.back();
      stack.pop_back();
      for (ValueId v : g.nodes()[n].outputs)
        for (int32_t user : users[v]) {
          if (group_of[user] == static_cast<int32_t>(i)) reenters = true;
          if (!seen[user]) {
            seen[user] = true;
            stack.push_back(user);
          }
        }
    }
    if (reenters) problems.push_back(fmt::format("group {} is not convex: a path leaves it and "
                                                 "comes back", i));
  }

  // Topological order of groups: every value a group reads from another group comes from an
  // earlier one.
  for (size_t i = 0; i < plan.groups.size(); ++i)
    for (int32_t n : plan.groups[i].nodes)
      for (ValueId v : g.nodes()[n].inputs) {
        if (v == kNoValue || g.value(v).kind != ValueKind::NodeOutput) continue;
        const int32_t producer_group = group_of[g.value(v).producer];
        if (producer_group > static_cast<int32_t>(i))
          problems.push_back(fmt::format("group {} reads %{} from the later group {}", i,
                                         g.value(v).name, producer_group));
      }
  return problems;
}

}  // namespace nas::passes
