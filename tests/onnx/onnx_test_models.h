// Building ONNX models by hand in tests: a thin layer over onnx::ModelProto.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "compiler/graph/graph.h"

namespace nas::testing {

inline void set_tensor_proto(onnx::TensorProto* t, const std::string& name, const graph::Tensor& v) {
  t->set_name(name);
  t->set_data_type(v.dtype() == graph::DType::F32   ? onnx::TensorProto::FLOAT
                   : v.dtype() == graph::DType::F64 ? onnx::TensorProto::DOUBLE
                                                    : onnx::TensorProto::INT64);
  for (int64_t d : v.shape()) t->add_dims(d);
  t->set_raw_data(reinterpret_cast<const char*>(v.raw()), static_cast<size_t>(v.nbytes()));
}

class OnnxModel {
 public:
  explicit OnnxModel(int opset = 17) {
    model_.set_ir_version(8);
    auto* id = model_.add_opset_import();
    id->set_domain("");
    id->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  // A dim < 0 is symbolic ("N" for the first, "D1"... for others).
  OnnxModel& input(const std::string& name, std::vector<int64_t> dims,
                   int elem = onnx::TensorProto::FLOAT) {
    value_info(graph()->add_input(), name, dims, elem);
    return *this;
  }
  OnnxModel& output(const std::string& name, std::vector<int64_t> dims = {},
                    int elem = onnx::TensorProto::FLOAT, bool with_shape = false) {
    value_info(graph()->add_output(), name, dims, elem, with_shape || !dims.empty());
    return *this;
  }
  OnnxModel& initializer(const std::string& name, const graph::Tensor& value) {
    set_tensor_proto(graph()->add_initializer(), name, value);
    return *this;
  }
  onnx::NodeProto& node(const std::string& op_type, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "") {
    onnx::NodeProto* n = graph()->add_node();
    n->set_op_type(op_type);
    n->set_name(name.empty() ? outputs.at(0) : name);
    for (const auto& in : inputs) n->add_input(in);
    for (const auto& out : outputs) n->add_output(out);
    return *n;
  }
  // A Constant node holding `value`.
  OnnxModel& constant(const std::string& name, const graph::Tensor& value) {
    onnx::AttributeProto* a = node("Constant", {}, {name}).add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    set_tensor_proto(a->mutable_t(), "", value);
    return *this;
  }

  onnx::ModelProto& proto() { return model_; }
  onnx::GraphProto* graph() { return model_.mutable_graph(); }
  std::string bytes() const { return model_.SerializeAsString(); }
  std::string save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    model_.SerializeToOstream(&out);
    return path;
  }

 private:
  static void value_info(onnx::ValueInfoProto* info, const std::string& name,
                         const std::vector<int64_t>& dims, int elem, bool with_shape = true) {
    info->set_name(name);
    auto* tt = info->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    if (!with_shape) return;
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] >= 0) shape->add_dim()->set_dim_value(dims[i]);
      else shape->add_dim()->set_dim_param(i == 0 ? std::string("N") : fmt::format("D{}", i));
    }
  }
  onnx::ModelProto model_;
};

// The import evaluates Shape and nodes without non-constant inputs (ConstantOfShape), so
// their graphs come back as constants; only the outputs are compared then.
inline bool import_folds(const graph::Graph& g) {
  for (const graph::Node& node : g.nodes()) {
    if (node.op_name() == "Shape") return true;
    bool all_constant = true;
    for (graph::ValueId v : node.inputs)
      all_constant = all_constant && (v == graph::kNoValue || g.is_constant(v));
    if (all_constant) return true;
  }
  return false;
}

inline void add_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void add_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void add_attr(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void add_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

}  // namespace nas::testing
