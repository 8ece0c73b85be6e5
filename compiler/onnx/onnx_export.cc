#include "compiler/onnx/onnx_export.h"

#include <fstream>
#include <set>

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "compiler/graph/op_registry.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"

#ifndef NAS_VERSION
#define NAS_VERSION "unknown"
#endif

namespace nas::onnx_io {

using namespace graph;

namespace {

int32_t elem_type(DType dtype) {
  switch (dtype) {
    case DType::F32: return onnx::TensorProto::FLOAT;
    case DType::F64: return onnx::TensorProto::DOUBLE;
    case DType::I64: return onnx::TensorProto::INT64;
  }
  return onnx::TensorProto::UNDEFINED;
}

void set_type(onnx::ValueInfoProto* info, const std::string& name, const TensorType& type) {
  info->set_name(name);
  auto* tt = info->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type(type.dtype));
  auto* shape = tt->mutable_shape();
  for (int64_t d : type.shape) shape->add_dim()->set_dim_value(d);
}

// Little-endian raw_data (the host is little-endian; see npy.cc).
void set_tensor(onnx::TensorProto* proto, const std::string& name, const Tensor& t) {
  proto->set_name(name);
  proto->set_data_type(elem_type(t.dtype()));
  for (int64_t d : t.shape()) proto->add_dims(d);
  proto->set_raw_data(reinterpret_cast<const char*>(t.raw()), static_cast<size_t>(t.nbytes()));
}

const AttrSpec* find_spec(const OpDef& op, const std::string& name) {
  for (const AttrSpec& spec : op.attrs)
    if (spec.name == name) return &spec;
  return nullptr;
}

bool is_schema_default(const OpDef& op, const std::string& name, const AttrValue& value) {
  const AttrSpec* spec = find_spec(op, name);
  return spec && spec->default_value && *spec->default_value == value;
}

bool is_required(const OpDef& op, const std::string& name) {
  const AttrSpec* spec = find_spec(op, name);
  return spec && !spec->default_value;
}

bool is_empty_list(const AttrValue& value) {
  if (auto* v = std::get_if<std::vector<int64_t>>(&value)) return v->empty();
  if (auto* v = std::get_if<std::vector<float>>(&value)) return v->empty();
  return false;
}

// The constant input an attribute becomes, typed as the ONNX input wants it.
Tensor attr_as_tensor(const AttrValue& value, const OnnxInputAttr& ai) {
  Tensor t;
  switch (kind_of(value)) {
    case AttrKind::Int: t = Tensor::i64({}, {std::get<int64_t>(value)}); break;
    case AttrKind::Float: t = Tensor::f64({}, {std::get<float>(value)}); break;
    case AttrKind::Ints: {
      const auto& v = std::get<std::vector<int64_t>>(value);
      t = Tensor::i64({static_cast<int64_t>(v.size())}, v);
      break;
    }
    case AttrKind::Floats: {
      const auto& v = std::get<std::vector<float>>(value);
      t = Tensor::f64({static_cast<int64_t>(v.size())}, std::vector<double>(v.begin(), v.end()));
      break;
    }
    case AttrKind::String: NAS_CHECK(false, "string attribute '{}' as an ONNX input", ai.attr);
  }
  if (ai.dtype == DType::I64) {
    NAS_CHECK(t.dtype() == DType::I64, "attribute '{}' is a float, its ONNX input int64", ai.attr);
    return t;
  }
  return t.dtype() == DType::I64 ? t : t.cast(ai.dtype);
}

void set_attribute(onnx::AttributeProto* a, const std::string& name, const AttrValue& value) {
  a->set_name(name);
  switch (kind_of(value)) {
    case AttrKind::Int:
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(std::get<int64_t>(value));
      break;
    case AttrKind::Float:
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(std::get<float>(value));
      break;
    case AttrKind::String:
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(std::get<std::string>(value));
      break;
    case AttrKind::Ints:
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : std::get<std::vector<int64_t>>(value)) a->add_ints(v);
      break;
    case AttrKind::Floats:
      a->set_type(onnx::AttributeProto::FLOATS);
      for (float v : std::get<std::vector<float>>(value)) a->add_floats(v);
      break;
  }
}

// ConstantOfShape's attributes value (Float) and dtype (TensorProto enum) are one ONNX
// one-element tensor attribute `value`.
void set_constant_of_shape_value(onnx::AttributeProto* a, const Attrs& attrs) {
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  onnx::TensorProto* t = a->mutable_t();
  const auto dtype = static_cast<int32_t>(attrs.i("dtype"));
  const float v = attrs.f("value");
  t->set_data_type(dtype);
  t->add_dims(1);
  switch (dtype) {
    case onnx::TensorProto::FLOAT: t->add_float_data(v); break;
    case onnx::TensorProto::DOUBLE: t->add_double_data(v); break;
    case onnx::TensorProto::INT64: t->add_int64_data(static_cast<int64_t>(v)); break;
    default: t->add_int32_data(static_cast<int32_t>(v)); break;
  }
}

class Exporter {
 public:
  explicit Exporter(const Graph& g) : g_(g) {}
  onnx::ModelProto run();

 private:
  void export_node(const Node& node, onnx::GraphProto* graph);
  std::string unique_name(const std::string& hint) {
    std::string name = hint;
    for (int i = 1; g_.find(name) || !extra_names_.insert(name).second; ++i)
      name = fmt::format("{}.{}", hint, i);
    return name;
  }

  const Graph& g_;
  std::set<std::string> extra_names_;  // initializer names made for attribute inputs
};

onnx::ModelProto Exporter::run() {
  onnx::ModelProto model;
  model.set_ir_version(kExportIrVersion);
  model.set_producer_name("nas");
  model.set_producer_version(NAS_VERSION);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(g_.name());
  for (ValueId v : g_.inputs()) set_type(graph->add_input(), g_.value(v).name, g_.type(v));
  for (const auto& [v, tensor] : g_.constants())
    set_tensor(graph->add_initializer(), g_.value(v).name, tensor);
  for (const Node& node : g_.nodes()) export_node(node, graph);
  std::set<ValueId> outputs(g_.outputs().begin(), g_.outputs().end());
  for (ValueId v : g_.outputs()) set_type(graph->add_output(), g_.value(v).name, g_.type(v));
  // Intermediate types too, so that ONNX's shape inference checks ours.
  for (const Node& node : g_.nodes())
    for (ValueId v : node.outputs)
      if (!outputs.count(v)) set_type(graph->add_value_info(), g_.value(v).name, g_.type(v));
  return model;
}

void Exporter::export_node(const Node& node, onnx::GraphProto* graph) {
  const OpDef& op = *node.op;
  const OnnxMapping& onnx_map = op.onnx;
  if (onnx_map.op_type.empty())
    user_error("node '{}' ({}) is internal and has no ONNX form", node.name, op.name);
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Schema(onnx_map.op_type, kExportOpset, "");
  NAS_CHECK(schema, "{} maps to ONNX {}, which has no opset-{} schema", op.name,
            onnx_map.op_type, kExportOpset);

  onnx::NodeProto* np = graph->add_node();
  np->set_name(node.name);
  np->set_op_type(onnx_map.op_type);

  // Attributes that are inputs in opset 17: their positions are reserved; one left at its
  // default (ONNX's "absent") stays an empty name.
  std::set<int> reserved;
  std::map<int, std::string> attr_inputs;
  std::set<std::string> as_inputs;
  for (const OnnxInputAttr& ai : onnx_map.attr_inputs) {
    if (ai.since_opset > kExportOpset) continue;
    reserved.insert(ai.input_index);
    as_inputs.insert(ai.attr);
    const AttrValue& value = node.attrs.get(ai.attr);
    // At its default the input is absent (empty lists included: Slice's axes); a required
    // one is always written, even empty (Reshape to a scalar).
    if (is_schema_default(op, ai.attr, value)) continue;
    const std::string name = unique_name(node.name + "." + ai.attr);
    Tensor t = attr_as_tensor(value, ai);
    onnx::TensorProto* init = graph->add_initializer();
    set_tensor(init, name, t);
    // Dropout's training_mode is a bool input.
    if (onnx_map.op_type == "Dropout" && ai.attr == "training_mode") {
      init->set_data_type(onnx::TensorProto::BOOL);
      init->set_raw_data(std::string(1, static_cast<char>(t.data<int64_t>()[0] != 0)));
    }
    attr_inputs[ai.input_index] = name;
  }
  std::vector<std::string> inputs;
  size_t k = 0;
  const int last_reserved = reserved.empty() ? -1 : *reserved.rbegin();
  for (int p = 0; k < node.inputs.size() || p <= last_reserved; ++p) {
    if (reserved.count(p)) {
      auto it = attr_inputs.find(p);
      inputs.push_back(it == attr_inputs.end() ? "" : it->second);
    } else if (k < node.inputs.size()) {
      const ValueId v = node.inputs[k++];
      inputs.push_back(v == kNoValue ? "" : g_.value(v).name);
    } else {
      inputs.push_back("");
    }
  }
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  for (const std::string& in : inputs) np->add_input(in);
  for (ValueId v : node.outputs) np->add_output(g_.value(v).name);

  for (const auto& [name, value] : node.attrs.items()) {
    if (as_inputs.count(name)) continue;
    if (onnx_map.op_type == "ConstantOfShape" && (name == "value" || name == "dtype")) continue;
    if (is_empty_list(value) && !is_required(op, name)) continue;  // the ONNX default
    auto onnx_attr = schema->attributes().find(name);
    if (onnx_attr == schema->attributes().end()) {
      // Ours only, e.g. Split's num_outputs (opset 17 takes it from the output count).
      if (is_schema_default(op, name, value)) continue;
      if (onnx_map.op_type == "Split" && name == "num_outputs") continue;
      user_error("node '{}' ({}): attribute {}={} has no ONNX form in opset {}", node.name,
                 op.name, name, attr_value_str(value), kExportOpset);
    }
    // A sentinel: our schema default stands for "absent" where ONNX defines no default.
    const bool onnx_has_default =
        onnx_attr->second.default_value.type() != onnx::AttributeProto::UNDEFINED;
    if (!onnx_attr->second.required && !onnx_has_default && is_schema_default(op, name, value))
      continue;
    set_attribute(np->add_attribute(), name, value);
  }
  if (onnx_map.op_type == "ConstantOfShape" && node.attrs.has("dtype"))
    set_constant_of_shape_value(np->add_attribute(), node.attrs);
}

void check(const onnx::ModelProto& model, const std::string& graph_name) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true,
                                                                   /*error_mode=*/1));
  } catch (const std::exception& e) {
    throw InternalError(fmt::format("export of graph '{}': the ONNX checker rejects the model: {}",
                                    graph_name, e.what()));
  }
}

}  // namespace

std::string export_onnx_bytes(const Graph& graph, const ExportOptions& options) {
  const onnx::ModelProto model = Exporter(graph).run();
  if (options.check) check(model, graph.name());
  return model.SerializeAsString();
}

void export_onnx(const Graph& graph, const std::string& path, const ExportOptions& options) {
  const onnx::ModelProto model = Exporter(graph).run();
  std::string bytes;
  if (!model.SerializeToString(&bytes)) user_error("{}: the model does not serialize", path);
  write_file_atomically(path, bytes);
  if (options.check) check(model, graph.name());
}

}  // namespace nas::onnx_io
