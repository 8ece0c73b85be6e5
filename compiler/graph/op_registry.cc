#include "compiler/graph/op_registry.h"

#include <algorithm>

#include <fmt/ranges.h>

namespace nas::graph {

#define NAS_OP(Name) OpDef make_op_##Name();
#include "compiler/graph/op_list.def"
#undef NAS_OP

std::string_view fusion_class_name(FusionClass fusion) {
  switch (fusion) {
    case FusionClass::Elementwise: return "elementwise";
    case FusionClass::Broadcast: return "broadcast";
    case FusionClass::Injective: return "injective";
    case FusionClass::Reduction: return "reduction";
    case FusionClass::FusableOutput: return "fusable-output";
    case FusionClass::Opaque: return "opaque";
  }
  return "?";
}

const TensorType& InferContext::input(size_t i) const {
  if (!has_input(i)) fail("input {} is required", i);
  return *inputs[i];
}

void InferContext::fail_message(const std::string& message) const {
  throw UserError(fmt::format("node '{}' ({}): {}", node.name, node.op_name(), message));
}

const Tensor& KernelContext::in(size_t i) const {
  NAS_CHECK(has_input(i), "{}: input {} absent", node.name, i);
  return *inputs[i];
}

Tensor& KernelContext::out(size_t i) const {
  NAS_CHECK(i < outputs.size() && outputs[i] != nullptr, "{}: output {} absent", node.name, i);
  return *outputs[i];
}

DType KernelContext::float_type() const {
  for (const Tensor* t : inputs)
    if (t && is_float(t->dtype())) return t->dtype();
  for (const Tensor* t : outputs)
    if (t && is_float(t->dtype())) return t->dtype();
  return DType::F32;
}

ValueId GradContext::add(std::string_view op, std::vector<ValueId> inputs, Attrs attrs) {
  return graph.add(op, std::move(inputs), std::move(attrs),
                   graph.fresh_name(node.name + ".grad"));
}

std::vector<ValueId> GradContext::add_node(std::string_view op, std::vector<ValueId> inputs,
                                           Attrs attrs) {
  return graph.add_node(op, std::move(inputs), std::move(attrs),
                        graph.fresh_name(node.name + ".grad"));
}

ValueId GradContext::unbroadcast(ValueId grad, Shape target) {
  if (graph.type(grad).shape == target) return grad;
  return add("ReduceSumTo", {grad}, {{"shape", std::move(target)}});
}

std::vector<std::string> check_op_def(const OpDef& def) {
  std::vector<std::string> problems;
  if (!def.infer) problems.push_back(fmt::format("op {} has no shape function", def.name));
  if (!def.kernel) problems.push_back(fmt::format("op {} has no reference kernel", def.name));
  if (!def.gradient && def.not_differentiable.empty() && def.gradient_of.empty())
    problems.push_back(fmt::format("op {} has neither a gradient nor a reason why not", def.name));
  return problems;
}

namespace {

std::vector<OpDef> op_list_defs() {
  std::vector<OpDef> defs;
#define NAS_OP(Name)                                                                       \
  defs.push_back(make_op_##Name());                                                        \
  defs.back().id = OpId::Name;                                                             \
  NAS_CHECK(defs.back().name == #Name, "op_list names {} but its definition says {}", #Name, \
            defs.back().name);
#include "compiler/graph/op_list.def"
#undef NAS_OP
  return defs;
}

}  // namespace

OpRegistry::OpRegistry(std::vector<OpDef> defs) : defs_(std::move(defs)) {
  for (const OpDef& def : defs_) {
    const std::vector<std::string> problems = check_op_def(def);
    NAS_CHECK(problems.empty(), "{}", fmt::join(problems, "; "));
    ops_.push_back(&def);
  }
  std::sort(ops_.begin(), ops_.end(),
            [](const OpDef* a, const OpDef* b) { return a->name < b->name; });
}

const OpRegistry& OpRegistry::instance() {
  static const OpRegistry registry(op_list_defs());
  return registry;
}

const OpDef* OpRegistry::find(std::string_view name) const {
  auto it = std::lower_bound(ops_.begin(), ops_.end(), name,
                             [](const OpDef* a, std::string_view n) { return a->name < n; });
  return it != ops_.end() && (*it)->name == name ? *it : nullptr;
}

const OpDef& OpRegistry::get(std::string_view name) const {
  const OpDef* def = find(name);
  NAS_CHECK(def != nullptr, "unknown op '{}'", name);
  return *def;
}

Attrs complete_attrs(const OpDef& op, const std::string& node_name, Attrs attrs) {
  for (const auto& [name, value] : attrs.items()) {
    auto spec = std::find_if(op.attrs.begin(), op.attrs.end(),
                             [&, &name = name](const AttrSpec& s) { return s.name == name; });
    if (spec == op.attrs.end()) {
      std::string known;
      for (const AttrSpec& s : op.attrs) known += (known.empty() ? "" : ", ") + s.name;
      user_error("node '{}' ({}): unknown attribute '{}' (supported: {})", node_name, op.name,
                 name, known.empty() ? "none" : known);
    }
    if (kind_of(value) != spec->kind)
      user_error("node '{}' ({}): attribute '{}' is {}, expected {}", node_name, op.name, name,
                 attr_kind_name(kind_of(value)), attr_kind_name(spec->kind));
  }
  for (const AttrSpec& spec : op.attrs) {
    if (attrs.has(spec.name)) continue;
    if (!spec.default_value)
      user_error("node '{}' ({}): required attribute '{}' is missing", node_name, op.name,
                 spec.name);
    attrs.set(spec.name, *spec.default_value);
  }
  return attrs;
}

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

}  // namespace nas::graph
