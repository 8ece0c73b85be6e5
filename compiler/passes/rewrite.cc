#include "compiler/passes/rewrite.h"

#include <algorithm>

#include "compiler/support/error.h"

namespace nas::passes {

using namespace graph;

void replace_value(Graph& g, ValueId old_value, ValueId new_value) {
  NAS_CHECK(g.type(old_value) == g.type(new_value), "replacing {} {} with {} {}",
            g.value(old_value).name, g.type(old_value).str(), g.value(new_value).name,
            g.type(new_value).str());
  for (size_t n = 0; n < g.nodes().size(); ++n)
    for (ValueId& v : g.mutable_node(n).inputs)
      if (v == old_value) v = new_value;
  std::vector<ValueId> outputs = g.outputs();
  std::ranges::replace(outputs, old_value, new_value);
  g.set_outputs(std::move(outputs));
  const std::string name = g.value(old_value).name;
  g.rename(old_value, g.fresh_name(name + ".replaced"));
  g.rename(new_value, name);
}

std::string unique_name(Graph& g, const std::string& base) {
  return g.find(base) ? g.fresh_name(base) : base;
}

std::vector<int32_t> distinct_users(const Graph& g, ValueId value) {
  std::vector<int32_t> users;
  for (size_t n = 0; n < g.nodes().size(); ++n)
    if (std::ranges::find(g.nodes()[n].inputs, value) != g.nodes()[n].inputs.end())
      users.push_back(static_cast<int32_t>(n));
  return users;
}

bool is_graph_output(const Graph& g, ValueId value) {
  return std::ranges::find(g.outputs(), value) != g.outputs().end();
}

}  // namespace nas::passes
