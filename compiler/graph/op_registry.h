// The op registry: everything about an op in one place.
//
// Each op (ops/*.cc) defines one OpDef: attribute schema, shape function, reference kernel
// (plain loops, obviously right, templated on float/double so gradients can be checked in
// double precision), gradient as graph nodes, fusion class, FLOP count and ONNX mapping.
// The list of ops is op_list.def; an op named there without a definition fails to link,
// and the test harness fails for an op without test cases.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/graph/attributes.h"
#include "compiler/graph/graph.h"
#include "compiler/graph/tensor.h"
#include "compiler/support/error.h"

namespace nas::graph {

// How an op may take part in operator fusion (TVM's pattern kinds).
enum class FusionClass {
  Elementwise,    // out[i] = f(in[i]) for all inputs of the output's shape
  Broadcast,      // elementwise with numpy broadcasting of inputs
  Injective,      // each output element reads one input element (reshape, transpose, concat)
  Reduction,      // reduces axes (pooling, mean, softmax)
  FusableOutput,  // complex op whose output can absorb elementwise consumers (conv, gemm)
  Opaque,         // never fused
};
std::string_view fusion_class_name(FusionClass fusion);

struct AttrSpec {
  std::string name;
  AttrKind kind;
  std::optional<AttrValue> default_value;  // nullopt: required
};

// Shape functions and FLOP counts see the input types and the node's attributes.
struct InferContext {
  const Node& node;
  std::span<const TensorType* const> inputs;  // nullptr for an absent optional input

  const Attrs& attrs() const { return node.attrs; }
  size_t num_inputs() const { return inputs.size(); }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const TensorType& input(size_t i) const;
  // Throws UserError "node 'NAME' (OP): MESSAGE".
  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    fail_message(fmt::format(format, std::forward<Args>(args)...));
  }
  [[noreturn]] void fail_message(const std::string& message) const;
};

// Reference kernels get their inputs and outputs allocated with the inferred types.
struct KernelContext {
  const Node& node;
  std::span<const Tensor* const> inputs;  // nullptr for an absent optional input
  std::span<Tensor* const> outputs;

  const Attrs& attrs() const { return node.attrs; }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const Tensor& in(size_t i) const;
  Tensor& out(size_t i) const;
  // Float type of the kernel's data: the dtype of the first float input or output.
  DType float_type() const;
};
using Kernel = std::function<void(const KernelContext&)>;

// Runs K<float> or K<double> by the kernel's float type.
template <void (*F32)(const KernelContext&), void (*F64)(const KernelContext&)>
void float_kernel(const KernelContext& c) {
  c.float_type() == DType::F64 ? F64(c) : F32(c);
}
#define NAS_FLOAT_KERNEL(fn) (::nas::graph::float_kernel<fn<float>, fn<double>>)

// Gradients are built as graph nodes appended to the graph being differentiated.
struct GradContext {
  Graph& graph;
  const Node& node;  // a copy of the forward node (the graph may grow while building)
  std::vector<ValueId> output_grads;  // dL/d(output i), kNoValue if the output is unused
  std::vector<bool> wants;           // whether dL/d(input i) is needed

  ValueId x(size_t i) const { return node.inputs.at(i); }
  ValueId y(size_t i) const { return node.outputs.at(i); }
  ValueId dy(size_t i = 0) const { return output_grads.at(i); }
  bool wants_grad(size_t i) const { return i < wants.size() && wants[i]; }
  const TensorType& type(ValueId v) const { return graph.type(v); }
  // Adds a gradient node named after the forward node.
  ValueId add(std::string_view op, std::vector<ValueId> inputs, Attrs attrs = {});
  std::vector<ValueId> add_node(std::string_view op, std::vector<ValueId> inputs,
                                Attrs attrs = {});
  // Sums a broadcast gradient back to the shape of input `target` (identity when equal).
  // `target` by value: callers pass graph.type(x).shape beside a `grad` that adds a node,
  // and adding may move the graph's values (found by AddressSanitizer).
  ValueId unbroadcast(ValueId grad, Shape target);
};
// Returns one entry per forward input: its gradient value, or kNoValue.
using GradientFn = std::function<std::vector<ValueId>(GradContext&)>;

// Where ONNX passes as a constant input what we keep as an attribute (Reshape's shape,
// Clip's min/max, Slice's starts...).
struct OnnxInputAttr {
  std::string attr;
  int input_index;      // position among the ONNX node's inputs
  int since_opset;      // before this opset the value is an ONNX attribute of the same name
  DType dtype;          // element type of the ONNX input tensor
};

struct OnnxMapping {
  std::string op_type;  // empty: internal op (e.g. a gradient op), not exported
  int since_opset = 1;
  std::vector<OnnxInputAttr> attr_inputs;
  // ONNX attributes accepted on import and ignored because they cannot change the result
  // (documented per op), e.g. MaxPool's storage_order when there is no second output.
  std::vector<std::string> ignored_attrs;
};

// Every op of op_list.def, in its order: what code outside graph/ dispatches on (the lowering
// table of compiler/lower/op_lowering.h is indexed by it), never the op's name.
enum class OpId : uint16_t {
#define NAS_OP(Name) Name,
#include "compiler/graph/op_list.def"
#undef NAS_OP
};
inline constexpr size_t kOpCount = 0
#define NAS_OP(Name) +1
#include "compiler/graph/op_list.def"
#undef NAS_OP
    ;

struct OpDef {
  std::string name;
  OpId id{};  // set by the registry from op_list.def
  std::string doc;  // one line
  int min_inputs = 1;
  int max_inputs = 1;
  int num_outputs = 1;       // -1: variable (Split), decided by the shape function
  int min_outputs = 1;       // for optional trailing outputs
  std::vector<AttrSpec> attrs;
  FusionClass fusion = FusionClass::Opaque;
  std::function<std::vector<TensorType>(const InferContext&)> infer;
  Kernel kernel;
  GradientFn gradient;       // empty: not differentiable (then not_differentiable says why)
  std::string not_differentiable;
  // Internal ops exist to express gradients; gradient_of names the forward op.
  std::string gradient_of;
  std::function<int64_t(const InferContext&)> flops;  // empty: 0
  OnnxMapping onnx;
};

// What a definition lacks (a shape function, a reference kernel, a gradient or the reason
// why not), one line each; empty when complete. The registry refuses an incomplete op.
std::vector<std::string> check_op_def(const OpDef& def);

class OpRegistry {
 public:
  // The ops of op_list.def.
  static const OpRegistry& instance();
  // A registry of these ops (tests make their own); an internal error names what an
  // incomplete op lacks (check_op_def).
  explicit OpRegistry(std::vector<OpDef> defs);
  // nullptr when unknown.
  const OpDef* find(std::string_view name) const;
  const OpDef& get(std::string_view name) const;  // internal error when unknown
  // By id (for the registry of op_list.def, whose ids are their positions).
  const OpDef& get(OpId id) const { return defs_.at(static_cast<size_t>(id)); }
  // All ops, sorted by name.
  const std::vector<const OpDef*>& ops() const { return ops_; }

 private:
  std::vector<OpDef> defs_;
  std::vector<const OpDef*> ops_;
};

// Checks kinds and fills defaults of a node's attributes against the schema; unknown or
// missing attributes are UserErrors naming the node.
Attrs complete_attrs(const OpDef& op, const std::string& node_name, Attrs attrs);

// numpy-style broadcast of two shapes; nullopt when incompatible.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis for a tensor of the given rank; nullopt if out of range.
std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank);

}  // namespace nas::graph
