#include "compiler/loop/compute.h"

#include <limits>
#include <set>

#include <fmt/format.h>

#include "compiler/loop/mutator.h"
#include "compiler/support/error.h"

namespace nas::loop {

Axis reduce_axis(std::string name, int64_t extent) {
  NAS_CHECK(extent > 0, "reduction axis {} of extent {}", name, extent);
  return Axis{Var(std::move(name)), extent};
}

std::string_view reduce_kind_name(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: return "sum";
    case ReduceKind::Max: return "max";
    case ReduceKind::Min: return "min";
  }
  return "?";
}

namespace {

Reduction make_reduction(ReduceKind kind, Expr value, std::vector<Axis> axes) {
  NAS_CHECK(value.defined() && value.type().is_scalar(), "{} of an undefined or vector value",
            reduce_kind_name(kind));
  NAS_CHECK(!axes.empty(), "{} over no axes", reduce_kind_name(kind));
  return Reduction{kind, std::move(value), std::move(axes)};
}

// The row-major flat index of `indices` in `shape`.
Expr flat_index(const std::vector<Expr>& indices, const std::vector<int64_t>& shape) {
  Expr index = make_zero(Type::i32());
  for (size_t d = 0; d < indices.size(); ++d) {
    NAS_CHECK(indices[d].type() == Type::i32(), "index {} of type {}", d, indices[d].type().str());
    index = d == 0 ? indices[0] : index * shape[d] + indices[d];
  }
  return index;
}

std::vector<Axis> make_axes(const std::string& tensor, const std::vector<int64_t>& shape,
                            const std::vector<std::string>& names) {
  NAS_CHECK(names.empty() || names.size() == shape.size(), "{} axis names for {} of rank {}",
            names.size(), tensor, shape.size());
  std::vector<Axis> axes;
  for (size_t d = 0; d < shape.size(); ++d)
    axes.push_back(Axis{Var(names.empty() ? fmt::format("i{}", d) : names[d]), shape[d]});
  return axes;
}

std::vector<Var> vars_of(const std::vector<Axis>& axes) {
  std::vector<Var> vars;
  for (const Axis& a : axes) vars.push_back(a.var);
  return vars;
}

// The buffers an expression loads from.
class LoadedBuffers : public IRVisitor {
 public:
  std::set<const BufferNode*> buffers;  // membership only
  using IRVisitor::visit;

 protected:
  void visit(const Load* op) override {
    buffers.insert(op->buffer.get());
    IRVisitor::visit(op);
  }
};

}  // namespace

Expr reduce_identity(ReduceKind kind, Type type) {
  if (kind == ReduceKind::Sum) return make_zero(type);
  const bool max = kind == ReduceKind::Max;
  if (type.is_float())
    return make_const(type, max ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity());
  const int64_t lo = type.bits() == 32 ? std::numeric_limits<int32_t>::min()
                                       : std::numeric_limits<int64_t>::min();
  const int64_t hi = type.bits() == 32 ? std::numeric_limits<int32_t>::max()
                                       : std::numeric_limits<int64_t>::max();
  return make_const(type, max ? lo : hi);
}

Expr reduce_combine(ReduceKind kind, Expr accumulated, Expr value) {
  switch (kind) {
    case ReduceKind::Sum: return std::move(accumulated) + std::move(value);
    case ReduceKind::Max: return max(std::move(accumulated), std::move(value));
    case ReduceKind::Min: return min(std::move(accumulated), std::move(value));
  }
  return {};
}

namespace {

Stmt loop_nest(const std::vector<Axis>& axes, Stmt body) {
  for (auto it = axes.rbegin(); it != axes.rend(); ++it)
    body = For::make(it->var, make_zero(Type::i32()), make_const(Type::i32(), it->extent),
                     ForKind::Serial, std::move(body));
  return body;
}

Stmt lower_stage(const Tensor& tensor) {
  const ComputeDefinition& def = *tensor.definition();
  const Buffer& out = tensor.buffer();
  std::vector<Expr> indices;
  for (const Axis& a : def.axes) indices.push_back(a.var);
  const Expr index = flat_index(indices, tensor.shape());
  if (!def.reduction) return loop_nest(def.axes, Store::make(out, def.value, index));
  const Reduction& r = *def.reduction;
  const Stmt init = Store::make(out, reduce_identity(r.kind, tensor.type()), index);
  const Stmt update = Store::make(out, reduce_combine(r.kind, Load::make(out, index), r.value), index);
  Stmt body = Block::make(init, loop_nest(r.axes, update));
  if (def.epilogue)
    body = Block::make(body, Store::make(out, def.epilogue(Load::make(out, index), vars_of(def.axes)),
                                         index));
  return loop_nest(def.axes, body);
}

}  // namespace

Reduction sum(Expr value, std::vector<Axis> axes) {
  return make_reduction(ReduceKind::Sum, std::move(value), std::move(axes));
}
Reduction maximum(Expr value, std::vector<Axis> axes) {
  return make_reduction(ReduceKind::Max, std::move(value), std::move(axes));
}
Reduction minimum(Expr value, std::vector<Axis> axes) {
  return make_reduction(ReduceKind::Min, std::move(value), std::move(axes));
}

Tensor Tensor::make(std::string name, Buffer buffer,
                    std::shared_ptr<const ComputeDefinition> definition) {
  Tensor t;
  t.node_ = std::make_shared<const TensorNode>(
      TensorNode{std::move(name), std::move(buffer), std::move(definition)});
  return t;
}

Tensor Tensor::placeholder(std::string name, std::vector<int64_t> shape, Type type) {
  Buffer buffer(name, type, std::move(shape));
  return make(std::move(name), std::move(buffer), nullptr);
}

Expr Tensor::operator()(const std::vector<Expr>& indices) const {
  NAS_CHECK(indices.size() == shape().size(), "{} indices into {} of rank {}", indices.size(),
            name(), shape().size());
  return Load::make(buffer(), flat_index(indices, shape()));
}

Tensor compute(std::string name, std::vector<int64_t> shape,
               const std::function<Expr(const std::vector<Var>&)>& body,
               ComputeOptions options) {
  NAS_CHECK(!options.epilogue, "compute {}: an epilogue needs a reduction", name);
  auto def = std::make_shared<ComputeDefinition>();
  def->axes = make_axes(name, shape, options.axis_names);
  def->value = body(vars_of(def->axes));
  NAS_CHECK(def->value.defined() && def->value.type().is_scalar(), "compute {} of an undefined or vector value", name);
  Buffer buffer(name, def->value.type(), std::move(shape));
  return Tensor::make(std::move(name), std::move(buffer), std::move(def));
}

Tensor compute(std::string name, std::vector<int64_t> shape,
               const std::function<Reduction(const std::vector<Var>&)>& body,
               ComputeOptions options) {
  auto def = std::make_shared<ComputeDefinition>();
  def->axes = make_axes(name, shape, options.axis_names);
  def->reduction = std::make_shared<const Reduction>(body(vars_of(def->axes)));
  def->epilogue = std::move(options.epilogue);
  Buffer buffer(name, def->reduction->value.type(), std::move(shape));
  return Tensor::make(std::move(name), std::move(buffer), std::move(def));
}

Stmt lower(const std::vector<Tensor>& stages) {
  std::vector<Stmt> stmts;
  std::set<const BufferNode*> later;  // membership only
  for (const Tensor& t : stages) later.insert(t.buffer().get());
  for (const Tensor& t : stages) {
    NAS_CHECK(t.definition() != nullptr, "lowering placeholder {}", t.name());
    LoadedBuffers loads;
    const ComputeDefinition& def = *t.definition();
    loads.include(def.reduction ? def.reduction->value : def.value);
    for (const BufferNode* b : loads.buffers)
      NAS_CHECK(!later.contains(b), "stage {} reads {} before it is computed", t.name(), b->name);
    later.erase(t.buffer().get());
    stmts.push_back(lower_stage(t));
  }
  return Block::make(std::move(stmts));
}

}  // namespace nas::loop
