#include "compiler/onnx/onnx_import.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include "compiler/graph/dead_code.h"
#include "compiler/graph/op_registry.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "compiler/onnx/fold_shape_arithmetic.h"
#include "compiler/support/error.h"

namespace nas::onnx_io {

using namespace graph;

namespace {

constexpr int kMinOpset = 11;
constexpr int kMaxOpset = 17;

std::string read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) user_error("{}: cannot open ONNX model (missing or unreadable)", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

onnx::ModelProto parse_model(std::string_view bytes, const std::string& source) {
  onnx::ModelProto model;
  if (bytes.size() > INT_MAX || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    user_error("{}: not a valid ONNX model (protobuf parse failed)", source);
  if (!model.has_ir_version()) user_error("{}: not a valid ONNX model (no ir_version)", source);
  if (!model.has_graph()) user_error("{}: not a valid ONNX model (no graph)", source);
  return model;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

int default_opset(const onnx::ModelProto& model, const std::string& source) {
  int opset = -1;
  for (const onnx::OperatorSetIdProto& id : model.opset_import())
    if (is_default_domain(id.domain())) opset = static_cast<int>(id.version());
  if (opset < 0) user_error("{}: the model imports no opset of the default ONNX domain", source);
  if (opset < kMinOpset || opset > kMaxOpset)
    user_error("{}: opset {} of the default ONNX domain is not supported (supported: {} to {})",
               source, opset, kMinOpset, kMaxOpset);
  return opset;
}

std::string elem_type_name(int32_t elem_type) {
  return onnx::TensorProto_DataType_IsValid(elem_type)
             ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(elem_type))
             : fmt::format("type {}", elem_type);
}

std::optional<DType> dtype_of_elem(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return DType::F32;
    case onnx::TensorProto::DOUBLE: return DType::F64;
    case onnx::TensorProto::INT64: return DType::I64;
    default: return std::nullopt;
  }
}

// Tensor data comes either as little-endian raw_data or in a typed repeated field.
template <class T, class Field>
std::vector<T> tensor_values(const onnx::TensorProto& t, const Field& typed, int64_t count,
                             size_t raw_size, const std::string& what) {
  std::vector<T> out;
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != static_cast<size_t>(count) * raw_size)
      user_error("{}: raw_data has {} bytes, shape {} needs {}", what, raw.size(),
                 shape_str(Shape(t.dims().begin(), t.dims().end())), count * raw_size);
    out.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      if constexpr (std::is_same_v<T, int64_t>) {
        if (raw_size == 1) { out[i] = raw[i] != 0; continue; }
        if (raw_size == 4) { int32_t v; std::memcpy(&v, raw.data() + 4 * i, 4); out[i] = v; continue; }
      }
      std::memcpy(&out[i], raw.data() + raw_size * i, sizeof(T));
    }
    return out;
  }
  if (typed.size() != count)
    user_error("{}: has {} values, shape {} needs {}", what, typed.size(),
               shape_str(Shape(t.dims().begin(), t.dims().end())), count);
  for (auto v : typed) out.push_back(static_cast<T>(v));
  return out;
}

// Float, double and int64 tensors keep their type; int32 and bool tensors (which appear as
// constant inputs such as Dropout's training_mode) become int64.
Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    user_error("{}: external data is not supported (save the model with its tensors inside)", what);
  Shape shape;
  for (int64_t d : t.dims()) {
    if (d < 0) user_error("{}: negative dimension {}", what, d);
    shape.push_back(d);
  }
  const int64_t n = numel(shape);
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      return Tensor::f32(shape, tensor_values<float>(t, t.float_data(), n, 4, what));
    case onnx::TensorProto::DOUBLE:
      return Tensor::f64(shape, tensor_values<double>(t, t.double_data(), n, 8, what));
    case onnx::TensorProto::INT64:
      return Tensor::i64(shape, tensor_values<int64_t>(t, t.int64_data(), n, 8, what));
    case onnx::TensorProto::INT32:
      return Tensor::i64(shape, tensor_values<int64_t>(t, t.int32_data(), n, 4, what));
    case onnx::TensorProto::BOOL:
      return Tensor::i64(shape, tensor_values<int64_t>(t, t.int32_data(), n, 1, what));
    default:
      user_error("{}: element type {} is not supported (supported: FLOAT, DOUBLE, INT64; INT32 "
                 "and BOOL as constant inputs)", what, elem_type_name(t.data_type()));
  }
}

std::string declared_type_str(const onnx::TypeProto& type) {
  if (!type.has_tensor_type()) return "(not a tensor)";
  const auto& tt = type.tensor_type();
  std::optional<DType> dtype = dtype_of_elem(tt.elem_type());
  std::string out = dtype ? std::string(dtype_name(*dtype)) : elem_type_name(tt.elem_type());
  if (!tt.has_shape()) return out + "[?]";
  std::vector<std::string> dims;
  for (const auto& d : tt.shape().dim())
    dims.push_back(d.has_dim_value() ? std::to_string(d.dim_value())
                                     : d.has_dim_param() ? d.dim_param() : "?");
  return fmt::format("{}[{}]", out, fmt::join(dims, ","));
}

std::string onnx_attr_type_name(onnx::AttributeProto::AttributeType type) {
  return onnx::AttributeProto_AttributeType_Name(type);
}

// Old models may leave an attribute's type unset; it is then given by the field in use.
onnx::AttributeProto::AttributeType attr_type(const onnx::AttributeProto& a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  return onnx::AttributeProto::UNDEFINED;
}

const std::map<std::string, const OpDef*>& ops_by_onnx_type() {
  static const std::map<std::string, const OpDef*> map = [] {
    std::map<std::string, const OpDef*> m;
    for (const OpDef* op : OpRegistry::instance().ops()) {
      if (op->onnx.op_type.empty()) continue;
      NAS_CHECK(m.emplace(op->onnx.op_type, op).second, "two ops map to ONNX {}", op->onnx.op_type);
    }
    return m;
  }();
  return map;
}

const AttrSpec* find_spec(const OpDef& op, const std::string& name) {
  for (const AttrSpec& spec : op.attrs)
    if (spec.name == name) return &spec;
  return nullptr;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const std::string& source, const ImportOptions& options)
      : model_(model), source_(source), options_(options),
        opset_(default_opset(model, source)),
        g_(model.graph().name().empty() ? "main" : model.graph().name()) {}

  Graph run();

 private:
  // "node 'NAME' (OPTYPE, opset N)", the prefix of every node error.
  struct Label {
    std::string name, op_type;
    int opset;
    std::string str() const { return fmt::format("node '{}' ({}, opset {})", name, op_type, opset); }
  };

  void add_graph_input(const onnx::ValueInfoProto& input);
  void define_constant(const std::string& name, Tensor value);
  bool is_constant(const std::string& name) const { return constants_.count(name) != 0; }
  bool is_defined(const std::string& name) const {
    return values_.count(name) != 0 || constants_.count(name) != 0;
  }
  const TensorType& type_of(const std::string& name, const Label& at) const;
  // The graph value of an ONNX name, adding a constant to the graph on its first use.
  ValueId use(const std::string& name, const Label& at);

  void import_node(const onnx::NodeProto& node, size_t index);
  void import_constant(const onnx::NodeProto& node, const Label& at);
  void import_shape(const onnx::NodeProto& node, const Label& at);
  // Integer shape arithmetic on constants (fold_shape_arithmetic.h); false when it is not.
  bool fold_shape_arithmetic_node(const onnx::NodeProto& node, const Label& at);
  void import_legacy_softmax(const onnx::NodeProto& node, const Label& at);
  Attrs convert_attrs(const onnx::NodeProto& node, const OpDef& op, const Label& at,
                      const std::set<int>& attr_input_slots);
  AttrValue attr_from_input(const onnx::NodeProto& node, const OnnxInputAttr& ai,
                            const AttrSpec& spec, const Label& at);
  void bind_outputs(const onnx::NodeProto& node, const std::vector<ValueId>& outs,
                    const OpDef& op, const Label& at);
  [[noreturn]] void unsupported_op(const Label& at) const;

  const onnx::ModelProto& model_;
  const std::string& source_;
  const ImportOptions& options_;
  const int opset_;
  Graph g_;
  std::map<std::string, ValueId> values_;    // ONNX name -> graph value
  std::map<std::string, Tensor> constants_;  // ONNX name -> constant not yet in the graph
};

Graph Importer::run() {
  const onnx::GraphProto& graph = model_.graph();
  std::set<std::string> initializer_names;
  for (const onnx::TensorProto& t : graph.initializer()) {
    define_constant(t.name(), tensor_from_proto(t, fmt::format("initializer '{}'", t.name())));
    initializer_names.insert(t.name());
  }
  if (graph.sparse_initializer_size() > 0)
    user_error("{}: sparse initializers are not supported", source_);
  std::vector<std::string> input_names;
  for (const onnx::ValueInfoProto& input : graph.input())
    if (!initializer_names.count(input.name())) input_names.push_back(input.name());
  for (const auto& [name, shape] : options_.input_shapes)
    if (std::find(input_names.begin(), input_names.end(), name) == input_names.end())
      user_error("{}: no graph input named '{}' (inputs: {})", source_, name,
                 fmt::join(input_names, ", "));
  for (const onnx::ValueInfoProto& input : graph.input())
    if (!initializer_names.count(input.name())) add_graph_input(input);  // else a constant

  for (int i = 0; i < graph.node_size(); ++i) import_node(graph.node(i), static_cast<size_t>(i));

  if (graph.output_size() == 0) user_error("{}: the graph has no outputs", source_);
  for (const onnx::ValueInfoProto& output : graph.output()) {
    if (!is_defined(output.name()))
      user_error("{}: graph output '{}' is not computed by any node", source_, output.name());
    Label at{"(graph output)", "", opset_};
    const ValueId v = use(output.name(), at);
    // Where the model declares the output's type, it must agree with ours.
    const TensorType& ours = g_.type(v);
    const onnx::TypeProto& declared = output.type();
    bool agrees = true;
    if (declared.has_tensor_type()) {
      const auto& tt = declared.tensor_type();
      if (tt.elem_type() != 0 && dtype_of_elem(tt.elem_type()) != ours.dtype) agrees = false;
      if (tt.has_shape()) {
        if (tt.shape().dim_size() != ours.rank()) agrees = false;
        else
          for (int d = 0; d < ours.rank(); ++d)
            if (tt.shape().dim(d).has_dim_value() && tt.shape().dim(d).dim_value() != ours.shape[d])
              agrees = false;
      }
    }
    if (!agrees)
      user_error("{}: graph output '{}' is declared {}, but the graph computes {}", source_,
                 output.name(), declared_type_str(declared), ours.str());
    g_.add_output(v);
  }
  Graph result = eliminate_dead_code(g_);
  verify_or_throw(result);
  return result;
}

void Importer::add_graph_input(const onnx::ValueInfoProto& input) {
  const std::string& name = input.name();
  if (!input.type().has_tensor_type())
    user_error("{}: input '{}' is not a tensor (sequences and maps are not supported)", source_, name);
  const auto& tt = input.type().tensor_type();
  std::optional<DType> dtype = dtype_of_elem(tt.elem_type());
  if (!dtype)
    user_error("{}: input '{}' has element type {} (supported: FLOAT, DOUBLE, INT64)", source_,
               name, elem_type_name(tt.elem_type()));
  auto given = options_.input_shapes.find(name);
  Shape shape;
  if (given != options_.input_shapes.end()) {
    shape = given->second;
    if (tt.has_shape()) {
      const std::string expected = declared_type_str(input.type());
      if (tt.shape().dim_size() != static_cast<int>(shape.size()))
        user_error("input '{}': expected {}, got shape {} (rank {}, the model's is {})", name,
                   expected, shape_str(shape), shape.size(), tt.shape().dim_size());
      for (int d = 0; d < tt.shape().dim_size(); ++d)
        if (tt.shape().dim(d).has_dim_value() && tt.shape().dim(d).dim_value() != shape[d])
          user_error("input '{}': expected {}, got shape {} (dim {} must be {})", name, expected,
                     shape_str(shape), d, tt.shape().dim(d).dim_value());
    }
  } else {
    if (!tt.has_shape())
      user_error("{}: input '{}' has no shape in the model; give its shape", source_, name);
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto& dim = tt.shape().dim(d);
      if (!dim.has_dim_value())
        user_error("{}: input '{}' ({}): dim {}{} is not static; give the input's shape", source_,
                   name, declared_type_str(input.type()), d,
                   dim.has_dim_param() ? fmt::format(" ('{}')", dim.dim_param()) : "");
      shape.push_back(dim.dim_value());
    }
  }
  for (int64_t d : shape)
    if (d < 0) user_error("input '{}': negative dimension in {}", name, shape_str(shape));
  if (is_defined(name)) user_error("{}: value '{}' is defined twice", source_, name);
  values_[name] = g_.add_input(name, TensorType{*dtype, shape});
}

void Importer::define_constant(const std::string& name, Tensor value) {
  if (name.empty()) return;
  if (is_defined(name)) user_error("{}: value '{}' is defined twice", source_, name);
  constants_.emplace(name, std::move(value));
}

const TensorType& Importer::type_of(const std::string& name, const Label& at) const {
  if (auto it = values_.find(name); it != values_.end()) return g_.type(it->second);
  if (auto it = constants_.find(name); it != constants_.end()) return it->second.type();
  user_error("{}: input '{}' is not defined before the node (nodes must be in topological order)",
             at.str(), name);
}

ValueId Importer::use(const std::string& name, const Label& at) {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  auto c = constants_.find(name);
  if (c == constants_.end())
    user_error("{}: input '{}' is not defined before the node (nodes must be in topological "
               "order)", at.str(), name);
  const ValueId v = g_.add_constant(name, c->second);
  values_[name] = v;
  constants_.erase(c);
  return v;
}

[[noreturn]] void Importer::unsupported_op(const Label& at) const {
  std::vector<std::string> supported = {"Constant", "Shape"};
  for (const auto& [op_type, op] : ops_by_onnx_type()) supported.push_back(op_type);
  std::sort(supported.begin(), supported.end());
  supported.erase(std::unique(supported.begin(), supported.end()), supported.end());
  user_error("{}: unsupported op; supported: {}", at.str(), fmt::join(supported, ", "));
}

void Importer::import_node(const onnx::NodeProto& node, size_t index) {
  std::string name = node.name();
  if (name.empty())
    for (const std::string& out : node.output())
      if (!out.empty()) { name = out; break; }
  if (name.empty()) name = fmt::format("#{}", index);
  const Label at{name, node.op_type(), opset_};
  if (!is_default_domain(node.domain()))
    user_error("node '{}' ({}): domain '{}' is not supported (only the default ONNX domain)",
               name, node.op_type(), node.domain());

  if (node.op_type() == "Constant") return import_constant(node, at);
  if (node.op_type() == "Shape") return import_shape(node, at);
  if (fold_shape_arithmetic_node(node, at)) return;

  auto found = ops_by_onnx_type().find(node.op_type());
  if (found == ops_by_onnx_type().end()) unsupported_op(at);
  const OpDef& op = *found->second;

  // Softmax and LogSoftmax before opset 13 coerce the input to 2-D at `axis`.
  const bool legacy_softmax =
      (node.op_type() == "Softmax" || node.op_type() == "LogSoftmax") && opset_ < 13;
  if (legacy_softmax) return import_legacy_softmax(node, at);
  // No check against op.onnx.since_opset: between opsets 11 and 17 the versions of our ops
  // differ only in element types, in attributes added with the old behaviour as default
  // (Reshape's allowzero, Shape's start/end, BatchNormalization's training_mode), in
  // constant inputs that were attributes (attr_inputs' since_opset), or as handled by the
  // special cases here (Softmax/LogSoftmax).

  // Constant inputs that are our attributes in this opset.
  std::set<int> attr_input_slots;
  for (const OnnxInputAttr& ai : op.onnx.attr_inputs)
    if (opset_ >= ai.since_opset) attr_input_slots.insert(ai.input_index);
  Attrs attrs = convert_attrs(node, op, at, attr_input_slots);
  for (const OnnxInputAttr& ai : op.onnx.attr_inputs) {
    if (opset_ < ai.since_opset) continue;  // an ONNX attribute in this opset, copied above
    if (ai.input_index >= node.input_size() || node.input(ai.input_index).empty()) continue;
    const AttrSpec* spec = find_spec(op, ai.attr);
    NAS_CHECK(spec, "{}: attr_input '{}' is not in the schema", op.name, ai.attr);
    attrs.set(ai.attr, attr_from_input(node, ai, *spec, at));
  }

  // Split (opset 13 to 17) without a `split` input splits evenly into as many parts as the
  // node has outputs; our Split says so with num_outputs.
  if (node.op_type() == "Split" && find_spec(op, "num_outputs") && !attrs.has("num_outputs") &&
      (!attrs.has("split") || attrs.ints("split").empty()))
    attrs.set("num_outputs", static_cast<int64_t>(node.output_size()));
  // Dropout in training mode is random; only inference models are imported (ratio 0 keeps
  // everything, so it is allowed).
  if (node.op_type() == "Dropout" && attrs.has("training_mode") &&
      std::holds_alternative<int64_t>(attrs.get("training_mode")) && attrs.i("training_mode") != 0) {
    const float ratio = attrs.has("ratio") && std::holds_alternative<float>(attrs.get("ratio"))
                            ? attrs.f("ratio")
                            : 0.5f;
    if (ratio != 0.0f)
      user_error("{}: training_mode is true with ratio {}; only inference models are supported",
                 at.str(), ratio);
  }

  // The remaining inputs map to our op's inputs in order; an empty name is an absent
  // optional input.
  std::vector<std::string> inputs;
  for (int i = 0; i < node.input_size(); ++i)
    if (!attr_input_slots.count(i)) inputs.push_back(node.input(i));
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();

  const bool all_constant = std::all_of(inputs.begin(), inputs.end(), [&](const std::string& in) {
    return in.empty() || is_constant(in);
  });
  if (all_constant) {
    // Fold: evaluate the node on its constant inputs with the reference executor.
    Graph one(name);
    std::vector<ValueId> ids;
    for (size_t i = 0; i < inputs.size(); ++i)
      ids.push_back(inputs[i].empty()
                        ? kNoValue
                        : one.add_constant(fmt::format("in{}", i), constants_.at(inputs[i])));
    std::vector<ValueId> outs = one.add_node(op.name, ids, attrs, name);
    for (ValueId v : outs) one.add_output(v);
    std::vector<Tensor> results = run_reference(one, {});
    for (int o = 0; o < node.output_size(); ++o) {
      if (node.output(o).empty()) continue;
      if (o >= static_cast<int>(results.size()))
        user_error("{}: output {} ('{}') is not supported (nas's {} has {} output{})", at.str(), o,
                   node.output(o), op.name, results.size(), results.size() == 1 ? "" : "s");
      define_constant(node.output(o), results[o]);
    }
    return;
  }

  std::vector<ValueId> ids;
  for (const std::string& in : inputs) ids.push_back(in.empty() ? kNoValue : use(in, at));
  std::vector<ValueId> outs = g_.add_node(op.name, ids, std::move(attrs), name);
  bind_outputs(node, outs, op, at);
}

void Importer::bind_outputs(const onnx::NodeProto& node, const std::vector<ValueId>& outs,
                            const OpDef& op, const Label& at) {
  for (int o = static_cast<int>(outs.size()); o < node.output_size(); ++o)
    if (!node.output(o).empty())
      user_error("{}: output {} ('{}') is not supported (nas's {} has {} output{})", at.str(), o,
                 node.output(o), op.name, outs.size(), outs.size() == 1 ? "" : "s");
  // Rename in two steps, so a final name equal to a sibling's builder-given name is free.
  for (ValueId v : outs) g_.rename(v, g_.fresh_name(".import"));
  for (size_t o = 0; o < outs.size(); ++o) {
    const bool named = static_cast<int>(o) < node.output_size() && !node.output(o).empty();
    if (!named) {
      g_.rename(outs[o], g_.fresh_name(at.name + ".unused"));
      continue;
    }
    const std::string& name = node.output(o);
    if (is_defined(name)) user_error("{}: value '{}' is defined twice", at.str(), name);
    g_.rename(outs[o], name);
    values_[name] = outs[o];
  }
}

Attrs Importer::convert_attrs(const onnx::NodeProto& node, const OpDef& op, const Label& at,
                              const std::set<int>& attr_input_slots) {
  std::set<std::string> input_attrs;  // attributes given as inputs in this opset
  for (const OnnxInputAttr& ai : op.onnx.attr_inputs)
    if (attr_input_slots.count(ai.input_index)) input_attrs.insert(ai.attr);
  std::vector<std::string> supported;
  for (const AttrSpec& spec : op.attrs)
    if (!input_attrs.count(spec.name)) supported.push_back(spec.name);
  for (const std::string& name : op.onnx.ignored_attrs) supported.push_back(name);
  std::sort(supported.begin(), supported.end());

  Attrs attrs;
  for (const onnx::AttributeProto& a : node.attribute()) {
    const auto& ignored = op.onnx.ignored_attrs;
    if (std::find(ignored.begin(), ignored.end(), a.name()) != ignored.end()) continue;
    const onnx::AttributeProto::AttributeType type = attr_type(a);
    // BatchNormalization's `spatial` (before opset 9) is the only behaviour we have when 1.
    if (node.op_type() == "BatchNormalization" && a.name() == "spatial") {
      if (type == onnx::AttributeProto::INT && a.i() == 1) continue;
      user_error("{}: attribute 'spatial' must be 1 (per-channel statistics)", at.str());
    }
    // ConstantOfShape's `value` is a one-element tensor: its value and element type become
    // our attributes `value` (Float) and `dtype` (Int, the TensorProto enum).
    if (node.op_type() == "ConstantOfShape" && a.name() == "value" &&
        type == onnx::AttributeProto::TENSOR && find_spec(op, "dtype")) {
      const Tensor t = tensor_from_proto(a.t(), at.str() + ": attribute 'value'");
      if (t.numel() != 1)
        user_error("{}: attribute 'value' must have one element, got {}", at.str(), t.type().str());
      attrs.set("value", static_cast<float>(t.at(0)));
      attrs.set("dtype", static_cast<int64_t>(a.t().data_type()));
      continue;
    }
    const AttrSpec* spec = input_attrs.count(a.name()) ? nullptr : find_spec(op, a.name());
    if (!spec)
      user_error("{}: unsupported attribute '{}' (supported: {})", at.str(), a.name(),
                 supported.empty() ? std::string("none") : fmt::format("{}", fmt::join(supported, ", ")));
    auto mismatch = [&] {
      user_error("{}: attribute '{}' is {}, expected {}", at.str(), a.name(),
                 onnx_attr_type_name(type), attr_kind_name(spec->kind));
    };
    switch (spec->kind) {
      case AttrKind::Int:
        if (type != onnx::AttributeProto::INT) mismatch();
        attrs.set(a.name(), static_cast<int64_t>(a.i()));
        break;
      case AttrKind::Float:
        if (type != onnx::AttributeProto::FLOAT) mismatch();
        attrs.set(a.name(), a.f());
        break;
      case AttrKind::String:
        if (type != onnx::AttributeProto::STRING) mismatch();
        attrs.set(a.name(), a.s());
        break;
      case AttrKind::Ints:
        if (type != onnx::AttributeProto::INTS) mismatch();
        attrs.set(a.name(), std::vector<int64_t>(a.ints().begin(), a.ints().end()));
        break;
      case AttrKind::Floats:
        if (type != onnx::AttributeProto::FLOATS) mismatch();
        attrs.set(a.name(), std::vector<float>(a.floats().begin(), a.floats().end()));
        break;
    }
  }
  return attrs;
}

AttrValue Importer::attr_from_input(const onnx::NodeProto& node, const OnnxInputAttr& ai,
                                    const AttrSpec& spec, const Label& at) {
  const std::string& name = node.input(ai.input_index);
  if (!is_constant(name)) {
    (void)type_of(name, at);  // reports an undefined input first
    user_error("{}: input {} ({}) must be a constant (an initializer, a Constant node, or "
               "computable from them)", at.str(), ai.input_index, ai.attr);
  }
  const Tensor& t = constants_.at(name);
  auto bad = [&](const char* wanted) {
    user_error("{}: input {} ({}) must be {}, got {}", at.str(), ai.input_index, ai.attr, wanted,
               t.type().str());
  };
  switch (spec.kind) {
    case AttrKind::Ints: {
      if (t.dtype() != DType::I64 || t.rank() > 1) bad("a 1-D integer tensor");
      std::vector<int64_t> v(t.data<int64_t>(), t.data<int64_t>() + t.numel());
      return v;
    }
    case AttrKind::Int:
      if (t.dtype() != DType::I64 || t.numel() != 1) bad("a one-element integer or bool tensor");
      return t.data<int64_t>()[0];
    case AttrKind::Float:
      if (!is_float(t.dtype()) || t.numel() != 1) bad("a one-element float tensor");
      return static_cast<float>(t.at(0));
    case AttrKind::Floats: {
      if (!is_float(t.dtype()) || t.rank() > 1) bad("a 1-D float tensor");
      std::vector<float> v;
      for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<float>(t.at(i)));
      return v;
    }
    case AttrKind::String: break;
  }
  user_error("{}: input {} ({}) cannot become a string attribute", at.str(), ai.input_index, ai.attr);
}

void Importer::import_constant(const onnx::NodeProto& node, const Label& at) {
  if (node.output_size() != 1) user_error("{}: expected 1 output", at.str());
  if (node.attribute_size() != 1)
    user_error("{}: expected exactly one of the attributes value, value_float(s), value_int(s)",
               at.str());
  const onnx::AttributeProto& a = node.attribute(0);
  Tensor t;
  if (a.name() == "value") {
    t = tensor_from_proto(a.t(), at.str() + ": attribute 'value'");
  } else if (a.name() == "value_float") {
    t = Tensor::scalar_f32(a.f());
  } else if (a.name() == "value_floats") {
    t = Tensor::f32({a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end()));
  } else if (a.name() == "value_int") {
    t = Tensor::i64({}, {a.i()});
  } else if (a.name() == "value_ints") {
    t = Tensor::i64({a.ints_size()}, std::vector<int64_t>(a.ints().begin(), a.ints().end()));
  } else {
    user_error("{}: unsupported attribute '{}' (supported: value, value_float, value_floats, "
               "value_int, value_ints)", at.str(), a.name());
  }
  define_constant(node.output(0), std::move(t));
}

bool Importer::fold_shape_arithmetic_node(const onnx::NodeProto& node, const Label& at) {
  std::vector<const Tensor*> inputs;
  for (const std::string& in : node.input()) {
    if (in.empty() || !is_constant(in)) return false;
    inputs.push_back(&constants_.at(in));
  }
  const bool registered = ops_by_onnx_type().count(node.op_type()) != 0;
  std::optional<std::vector<Tensor>> folded =
      fold_shape_arithmetic(node, inputs, registered, at.str());
  if (!folded) return false;
  for (int o = 0; o < node.output_size(); ++o) {
    if (node.output(o).empty()) continue;
    if (o >= static_cast<int>(folded->size()))
      user_error("{}: output {} ('{}') is not supported ({} has 1 output)", at.str(), o,
                 node.output(o), node.op_type());
    define_constant(node.output(o), std::move((*folded)[o]));
  }
  return true;
}

// Shape depends only on its input's type, which is static: it is always a constant.
void Importer::import_shape(const onnx::NodeProto& node, const Label& at) {
  if (node.input_size() != 1 || node.output_size() != 1)
    user_error("{}: expected 1 input and 1 output", at.str());
  const Shape& shape = type_of(node.input(0), at).shape;
  const auto rank = static_cast<int64_t>(shape.size());
  int64_t start = 0, end = rank;
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == "start") start = a.i();
    else if (a.name() == "end") end = a.i();
    else user_error("{}: unsupported attribute '{}' (supported: end, start)", at.str(), a.name());
  }
  // ONNX: negative values count from the back; both are clamped to [0, rank].
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t(0), rank); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  define_constant(node.output(0), Tensor::i64({static_cast<int64_t>(dims.size())}, dims));
}

// Softmax/LogSoftmax before opset 13 flatten the input to 2-D at `axis` (default 1) and
// normalise over the second dimension. When `axis` is the last dimension that is the same
// as opset 13 on the last axis; otherwise it is Flatten(axis) -> op(axis=1) -> Reshape.
void Importer::import_legacy_softmax(const onnx::NodeProto& node, const Label& at) {
  if (node.input_size() != 1 || node.output_size() != 1)
    user_error("{}: expected 1 input and 1 output", at.str());
  int64_t axis = 1;
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() != "axis") user_error("{}: unsupported attribute '{}' (supported: axis)", at.str(), a.name());
    axis = a.i();
  }
  const Shape shape = type_of(node.input(0), at).shape;
  const auto rank = static_cast<int64_t>(shape.size());
  std::optional<int64_t> a = normalize_axis(axis, rank);
  if (!a) user_error("{}: axis {} is out of range for rank {}", at.str(), axis, rank);
  const ValueId x = use(node.input(0), at);
  const std::string& op = node.op_type();
  const OpDef& def = OpRegistry::instance().get(op);
  if (*a == rank - 1) {
    bind_outputs(node, g_.add_node(op, {x}, {{"axis", int64_t(-1)}}, at.name), def, at);
    return;
  }
  if (!OpRegistry::instance().find("Flatten") || !OpRegistry::instance().find("Reshape"))
    user_error("{}: axis {} of a rank-{} input needs Flatten and Reshape, which are not available",
               at.str(), axis, rank);
  const ValueId flat = g_.add("Flatten", {x}, {{"axis", *a}}, at.name + ".flatten");
  const ValueId y = g_.add(op, {flat}, {{"axis", int64_t(1)}}, at.name + ".2d");
  const ValueId out = g_.add("Reshape", {y}, {{"shape", shape}}, at.name);
  bind_outputs(node, {out}, def, at);
}

}  // namespace

Graph import_onnx_bytes(std::string_view bytes, const std::string& source,
                        const ImportOptions& options) {
  const onnx::ModelProto model = parse_model(bytes, source);
  try {
    return Importer(model, source, options).run();
  } catch (const UserError& e) {
    // Every message names the model file, also those raised by shape functions.
    const std::string message = e.what();
    if (message.rfind(source + ":", 0) == 0) throw;
    throw UserError(source + ": " + message);
  }
}

Graph import_onnx(const std::string& path, const ImportOptions& options) {
  return import_onnx_bytes(read_model_file(path), path, options);
}

std::vector<OnnxInputInfo> onnx_graph_inputs(const std::string& path) {
  const onnx::ModelProto model = parse_model(read_model_file(path), path);
  std::set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) initializers.insert(t.name());
  std::vector<OnnxInputInfo> out;
  for (const onnx::ValueInfoProto& input : model.graph().input())
    if (!initializers.count(input.name()))
      out.push_back({input.name(), declared_type_str(input.type())});
  return out;
}

}  // namespace nas::onnx_io
