#include "compiler/graph/verifier.h"

#include <fmt/format.h>

#include "compiler/graph/op_registry.h"
#include "compiler/support/error.h"

namespace nas::graph {

std::vector<std::string> verify_graph(const Graph& g) {
  std::vector<std::string> problems;
  const auto n_values = static_cast<ValueId>(g.values().size());
  std::vector<bool> defined(g.values().size(), false);
  auto valid = [&](ValueId v) { return v >= 0 && v < n_values; };

  for (ValueId v : g.inputs()) {
    if (!valid(v)) { problems.push_back(fmt::format("graph input {} does not exist", v)); continue; }
    if (g.value(v).kind != ValueKind::Input)
      problems.push_back(fmt::format("graph input %{} is not an input value", g.value(v).name));
    defined[v] = true;
  }
  for (const auto& [v, tensor] : g.constants()) {
    if (!valid(v)) { problems.push_back(fmt::format("constant {} does not exist", v)); continue; }
    if (tensor.type() != g.type(v))
      problems.push_back(fmt::format("constant %{} holds {} but is typed {}", g.value(v).name,
                                     tensor.type().str(), g.type(v).str()));
    defined[v] = true;
  }
  for (ValueId v = 0; v < n_values; ++v) {
    const Value& value = g.value(v);
    if (value.kind == ValueKind::Constant && !g.is_constant(v))
      problems.push_back(fmt::format("constant %{} has no data", value.name));
    if (value.kind == ValueKind::Input &&
        std::find(g.inputs().begin(), g.inputs().end(), v) == g.inputs().end())
      problems.push_back(fmt::format("input %{} is not listed as a graph input", value.name));
  }

  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    const std::string where = fmt::format("node '{}' ({})", node.name, node.op_name());
    if (!node.op) { problems.push_back(where + ": no op"); continue; }
    std::vector<const TensorType*> types;
    bool inputs_ok = true;
    for (ValueId v : node.inputs) {
      if (v == kNoValue) { types.push_back(nullptr); continue; }
      if (!valid(v)) {
        problems.push_back(fmt::format("{}: input {} does not exist", where, v));
        inputs_ok = false;
        continue;
      }
      if (!defined[v]) {
        problems.push_back(fmt::format("{}: input %{} is used before it is defined (a cycle or "
                                       "nodes out of order)", where, g.value(v).name));
        inputs_ok = false;
      }
      types.push_back(&g.type(v));
    }
    try {
      Attrs completed = complete_attrs(*node.op, node.name, node.attrs);
      if (!(completed == node.attrs))
        problems.push_back(fmt::format("{}: attributes lack defaults", where));
      if (inputs_ok) {
        std::vector<TensorType> expected = node.op->infer(InferContext{node, types});
        if (expected.size() != node.outputs.size())
          problems.push_back(fmt::format("{}: {} outputs, the shape function gives {}", where,
                                         node.outputs.size(), expected.size()));
        for (size_t i = 0; i < std::min(expected.size(), node.outputs.size()); ++i) {
          ValueId out = node.outputs[i];
          if (valid(out) && g.type(out) != expected[i])
            problems.push_back(fmt::format("{}: output %{} is typed {}, expected {}", where,
                                           g.value(out).name, g.type(out).str(),
                                           expected[i].str()));
        }
      }
    } catch (const UserError& e) {
      problems.push_back(e.what());
    }
    for (ValueId out : node.outputs) {
      if (!valid(out)) { problems.push_back(fmt::format("{}: output {} does not exist", where, out)); continue; }
      if (defined[out])
        problems.push_back(fmt::format("{}: output %{} is defined twice", where, g.value(out).name));
      if (g.value(out).producer != static_cast<int32_t>(n))
        problems.push_back(fmt::format("{}: output %{} names another producer", where, g.value(out).name));
      defined[out] = true;
    }
  }
  for (ValueId v : g.outputs()) {
    if (!valid(v)) problems.push_back(fmt::format("graph output {} does not exist", v));
    else if (!defined[v])
      problems.push_back(fmt::format("graph output %{} is never defined", g.value(v).name));
  }
  if (g.outputs().empty()) problems.push_back("graph has no outputs");
  return problems;
}

void verify_or_throw(const Graph& graph) {
  std::vector<std::string> problems = verify_graph(graph);
  if (problems.empty()) return;
  std::string message = fmt::format("graph '{}' is invalid:", graph.name());
  for (const std::string& p : problems) message += "\n  " + p;
  throw UserError(message);
}

}  // namespace nas::graph
