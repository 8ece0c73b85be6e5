// The graph IR: a dataflow graph of nodes in topological order over named, typed values.
//
// Invariants kept by the builder (and checked by verify()): every value has exactly one
// definition (a graph input, a constant, or one node output) that precedes its uses; every
// node's attributes match its op's schema with defaults filled in; every value's type is
// the one its op's shape function gives. Shapes are static, so types are known as soon as a
// node is added.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/graph/attributes.h"
#include "compiler/graph/tensor.h"

namespace nas::graph {

struct OpDef;

using ValueId = int32_t;
// An absent optional input (e.g. Conv without bias).
inline constexpr ValueId kNoValue = -1;

enum class ValueKind { Input, Constant, NodeOutput };

struct Value {
  std::string name;
  TensorType type;
  ValueKind kind = ValueKind::NodeOutput;
  int32_t producer = -1;  // node index for NodeOutput
};

struct Node {
  const OpDef* op = nullptr;
  std::string name;
  std::vector<ValueId> inputs;  // kNoValue for an absent optional input
  std::vector<ValueId> outputs;
  Attrs attrs;

  const std::string& op_name() const;
};

class Graph {
 public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Building. Names must be unique; an empty name gets a fresh one. add_node looks the op
  // up in the registry, checks and completes the attributes, runs the shape function and
  // returns the new output values. Errors in user-built graphs throw UserError naming the
  // node.
  ValueId add_input(std::string name, TensorType type);
  ValueId add_constant(std::string name, Tensor value);
  std::vector<ValueId> add_node(std::string_view op, std::vector<ValueId> inputs,
                                Attrs attrs = {}, std::string name = "");
  // Single-output convenience.
  ValueId add(std::string_view op, std::vector<ValueId> inputs, Attrs attrs = {},
              std::string name = "");
  void add_output(ValueId value);
  void set_outputs(std::vector<ValueId> values) { outputs_ = std::move(values); }

  // Reading.
  const std::vector<Value>& values() const { return values_; }
  const Value& value(ValueId id) const { return values_.at(static_cast<size_t>(id)); }
  const TensorType& type(ValueId id) const { return value(id).type; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  // Constants (weights and folded values), by value id, in id order.
  const std::map<ValueId, Tensor>& constants() const { return constants_; }
  const Tensor& constant(ValueId id) const;
  bool is_constant(ValueId id) const { return constants_.count(id) != 0; }
  std::optional<ValueId> find(const std::string& name) const;
  // Nodes that read each value, by value id.
  std::vector<std::vector<int32_t>> users() const;

  // Editing for passes and importers.
  void set_constant(ValueId id, Tensor value);  // replaces a constant's data (same type)
  // In-place access to a constant's data (e.g. an optimizer step); its type must not change.
  Tensor& mutable_constant(ValueId id);
  // Raw access for passes that rewrite in place; they must leave a graph that verifies.
  Node& mutable_node(size_t index) { return nodes_.at(index); }
  Value& mutable_value(ValueId id) { return values_.at(static_cast<size_t>(id)); }
  void rename(ValueId id, std::string name);
  std::string fresh_name(std::string_view hint);

  // Total parameters (elements of f32 constants) and FLOPs from the registry.
  int64_t parameter_count() const;
  int64_t flops() const;

 private:
  ValueId new_value(std::string name, TensorType type, ValueKind kind, int32_t producer);

  std::string name_;
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::map<ValueId, Tensor> constants_;
  std::map<std::string, ValueId> by_name_;
  int64_t next_fresh_ = 0;
};

}  // namespace nas::graph
