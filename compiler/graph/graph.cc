#include "compiler/graph/graph.h"

#include <fmt/format.h>

#include "compiler/graph/op_registry.h"
#include "compiler/support/error.h"

namespace nas::graph {

const std::string& Node::op_name() const { return op->name; }

ValueId Graph::new_value(std::string name, TensorType type, ValueKind kind, int32_t producer) {
  if (name.empty()) name = fresh_name("v");
  if (by_name_.count(name)) user_error("graph '{}': value name '{}' is defined twice", name_, name);
  const auto id = static_cast<ValueId>(values_.size());
  by_name_.emplace(name, id);
  values_.push_back(Value{std::move(name), std::move(type), kind, producer});
  return id;
}

std::string Graph::fresh_name(std::string_view hint) {
  for (;;) {
    std::string name = fmt::format("{}.{}", hint, next_fresh_++);
    if (!by_name_.count(name)) return name;
  }
}

ValueId Graph::add_input(std::string name, TensorType type) {
  ValueId id = new_value(std::move(name), std::move(type), ValueKind::Input, -1);
  inputs_.push_back(id);
  return id;
}

ValueId Graph::add_constant(std::string name, Tensor value) {
  ValueId id = new_value(std::move(name), value.type(), ValueKind::Constant, -1);
  constants_.emplace(id, std::move(value));
  return id;
}

std::vector<ValueId> Graph::add_node(std::string_view op_name, std::vector<ValueId> inputs,
                                     Attrs attrs, std::string name) {
  const OpDef* op = OpRegistry::instance().find(op_name);
  if (name.empty()) name = fresh_name(op_name);
  if (!op) user_error("node '{}': unknown op '{}'", name, op_name);
  Node node;
  node.op = op;
  node.name = std::move(name);
  while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();
  const auto n_in = static_cast<int>(inputs.size());
  if (n_in < op->min_inputs || n_in > op->max_inputs)
    user_error("node '{}' ({}): got {} input{}, expected {}", node.name, op->name, n_in,
               n_in == 1 ? "" : "s",
               op->min_inputs == op->max_inputs
                   ? fmt::format("{}", op->min_inputs)
                   : fmt::format("{} to {}", op->min_inputs, op->max_inputs));
  std::vector<const TensorType*> input_types;
  for (ValueId v : inputs) {
    NAS_CHECK(v == kNoValue || (v >= 0 && v < static_cast<ValueId>(values_.size())),
              "node '{}': input value {} does not exist", node.name, v);
    input_types.push_back(v == kNoValue ? nullptr : &values_[v].type);
  }
  node.inputs = std::move(inputs);
  node.attrs = complete_attrs(*op, node.name, std::move(attrs));
  std::vector<TensorType> out_types = op->infer(InferContext{node, input_types});
  NAS_CHECK(op->num_outputs < 0 || (static_cast<int>(out_types.size()) <= op->num_outputs &&
                                    static_cast<int>(out_types.size()) >= op->min_outputs),
            "{} shape function gave {} outputs", op->name, out_types.size());
  const auto index = static_cast<int32_t>(nodes_.size());
  for (size_t i = 0; i < out_types.size(); ++i) {
    std::string out_name = out_types.size() == 1 ? node.name : fmt::format("{}:{}", node.name, i);
    if (by_name_.count(out_name)) out_name = fresh_name(out_name);
    node.outputs.push_back(
        new_value(std::move(out_name), std::move(out_types[i]), ValueKind::NodeOutput, index));
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().outputs;
}

ValueId Graph::add(std::string_view op, std::vector<ValueId> inputs, Attrs attrs,
                   std::string name) {
  std::vector<ValueId> outs = add_node(op, std::move(inputs), std::move(attrs), std::move(name));
  NAS_CHECK(!outs.empty(), "{} has no outputs", op);
  return outs[0];
}

void Graph::add_output(ValueId value) {
  NAS_CHECK(value >= 0 && value < static_cast<ValueId>(values_.size()), "no value {}", value);
  outputs_.push_back(value);
}

const Tensor& Graph::constant(ValueId id) const {
  auto it = constants_.find(id);
  NAS_CHECK(it != constants_.end(), "value {} is not a constant", id);
  return it->second;
}

std::optional<ValueId> Graph::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::vector<int32_t>> Graph::users() const {
  std::vector<std::vector<int32_t>> users(values_.size());
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (ValueId v : nodes_[n].inputs)
      if (v != kNoValue) users[v].push_back(static_cast<int32_t>(n));
  return users;
}

void Graph::set_constant(ValueId id, Tensor value) {
  auto it = constants_.find(id);
  NAS_CHECK(it != constants_.end(), "value {} is not a constant", id);
  NAS_CHECK(it->second.type() == value.type(), "constant {} changes type {} -> {}",
            values_[id].name, it->second.type().str(), value.type().str());
  it->second = std::move(value);
}

Tensor& Graph::mutable_constant(ValueId id) {
  auto it = constants_.find(id);
  NAS_CHECK(it != constants_.end(), "value {} is not a constant", id);
  return it->second;
}

void Graph::rename(ValueId id, std::string name) {
  if (values_.at(id).name == name) return;
  if (by_name_.count(name)) user_error("graph '{}': value name '{}' is defined twice", name_, name);
  by_name_.erase(values_[id].name);
  by_name_.emplace(name, id);
  values_[id].name = std::move(name);
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const auto& [id, t] : constants_)
    if (is_float(t.dtype())) n += t.numel();
  return n;
}

int64_t Graph::flops() const {
  int64_t total = 0;
  for (const Node& node : nodes_) {
    if (!node.op->flops) continue;
    std::vector<const TensorType*> types;
    for (ValueId v : node.inputs) types.push_back(v == kNoValue ? nullptr : &values_[v].type);
    total += node.op->flops(InferContext{node, types});
  }
  return total;
}

}  // namespace nas::graph
