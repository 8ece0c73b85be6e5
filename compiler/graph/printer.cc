#include "compiler/graph/printer.h"

#include <fmt/format.h>

namespace nas::graph {

namespace {
std::string ref(const Graph& g, ValueId v) {
  return v == kNoValue ? "_" : "%" + g.value(v).name;
}
}  // namespace

std::string print_graph(const Graph& g) {
  std::string out = fmt::format("graph {}(", g.name());
  for (size_t i = 0; i < g.inputs().size(); ++i)
    out += fmt::format("{}{}: {}", i ? ", " : "", ref(g, g.inputs()[i]),
                       g.type(g.inputs()[i]).str());
  out += ") {\n";
  for (const auto& [id, tensor] : g.constants())
    out += fmt::format("  const {}: {}\n", ref(g, id), tensor.type().str());
  for (const Node& node : g.nodes()) {
    out += "  ";
    for (size_t i = 0; i < node.outputs.size(); ++i)
      out += fmt::format("{}{}: {}", i ? ", " : "", ref(g, node.outputs[i]),
                         g.type(node.outputs[i]).str());
    out += fmt::format(" = {}(", node.op_name());
    for (size_t i = 0; i < node.inputs.size(); ++i)
      out += fmt::format("{}{}", i ? ", " : "", ref(g, node.inputs[i]));
    out += ")";
    if (!node.attrs.items().empty()) {
      out += " {";
      bool first = true;
      for (const auto& [name, value] : node.attrs.items()) {
        out += fmt::format("{}{}={}", first ? "" : ", ", name, attr_value_str(value));
        first = false;
      }
      out += "}";
    }
    out += fmt::format("  # {}\n", node.name);
  }
  out += "  return ";
  for (size_t i = 0; i < g.outputs().size(); ++i)
    out += fmt::format("{}{}", i ? ", " : "", ref(g, g.outputs()[i]));
  out += "\n}\n";
  return out;
}

}  // namespace nas::graph
