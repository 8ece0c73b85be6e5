// Compute definitions (TVM's te.compute and te.sum): a tensor defined by an expression over
// its output axes, optionally reduced over reduction axes, and the naive lowering of a list
// of such definitions to one loop nest (no schedule: every stage in order, axes as plain
// serial loops in definition order). The schedule, later, rewrites what this produces.
//
//   Tensor A = Tensor::placeholder("A", {M, K}), B = Tensor::placeholder("B", {K, N});
//   Axis k = reduce_axis("k", K);
//   Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& ij) {
//     return sum(A(ij[0], k) * B(k, ij[1]), {k});
//   });
//   Stmt nest = lower({C});
//
// A tensor access `A(i, k)` is a Load from A's buffer at the row-major flat index.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

// A loop axis: its variable runs over [0, extent).
struct Axis {
  Var var;
  int64_t extent = 0;
};
Axis reduce_axis(std::string name, int64_t extent);

enum class ReduceKind : uint8_t { Sum, Max, Min };
std::string_view reduce_kind_name(ReduceKind kind);  // "sum", "max", "min"

// The body of a reducing compute: value combined over every point of `axes`.
struct Reduction {
  ReduceKind kind = ReduceKind::Sum;
  Expr value;
  std::vector<Axis> axes;
};
Reduction sum(Expr value, std::vector<Axis> axes);
Reduction maximum(Expr value, std::vector<Axis> axes);
Reduction minimum(Expr value, std::vector<Axis> axes);

// What a reducing compute stores: epilogue(reduced value, output axis variables) instead of
// the reduced value itself. This is how a convolution's bias, activation and the other
// elementwise ops after it fuse into its loop nest: applied once per output element, after
// the reduction (from the accumulator when the schedule caches the write).
using Epilogue = std::function<Expr(const Expr& reduced, const std::vector<Var>& axes)>;

struct ComputeOptions {
  std::vector<std::string> axis_names;  // one per dimension; empty: i0, i1, ...
  Epilogue epilogue;                    // reducing computes only; empty: none
};

// The definition of a computed tensor; `reduction` is null for an elementwise one.
struct ComputeDefinition {
  std::vector<Axis> axes;  // one per output dimension
  Expr value;              // when not reducing
  std::shared_ptr<const Reduction> reduction;
  Epilogue epilogue;       // with a reduction, may be empty
};

struct TensorNode {
  std::string name;
  Buffer buffer;
  std::shared_ptr<const ComputeDefinition> definition;  // null for a placeholder
};

// A tensor: an input (placeholder) or a computed stage. Compared by identity, like buffers.
class Tensor {
 public:
  Tensor() = default;
  static Tensor placeholder(std::string name, std::vector<int64_t> shape, Type type = Type::f32());

  const std::string& name() const { return node_->name; }
  const Buffer& buffer() const { return node_->buffer; }
  const std::vector<int64_t>& shape() const { return node_->buffer.shape(); }
  Type type() const { return node_->buffer.element_type(); }
  const ComputeDefinition* definition() const { return node_->definition.get(); }
  bool same_as(const Tensor& other) const { return node_ == other.node_; }

  // The element at these indices (one per dimension, i32): a Load at the flat index.
  Expr operator()(const std::vector<Expr>& indices) const;
  template <class... Indices>
  Expr operator()(const Indices&... indices) const {
    return (*this)(std::vector<Expr>{index_expr(indices)...});
  }

 private:
  friend Tensor compute(std::string, std::vector<int64_t>,
                        const std::function<Expr(const std::vector<Var>&)>&, ComputeOptions);
  friend Tensor compute(std::string, std::vector<int64_t>,
                        const std::function<Reduction(const std::vector<Var>&)>&,
                        ComputeOptions);
  static Tensor make(std::string name, Buffer buffer,
                     std::shared_ptr<const ComputeDefinition> definition);
  static Expr index_expr(const Expr& e) { return e; }
  static Expr index_expr(const Axis& a) { return a.var; }
  static Expr index_expr(int64_t v) { return make_const(Type::i32(), v); }
  static Expr index_expr(int v) { return make_const(Type::i32(), int64_t{v}); }

  std::shared_ptr<const TensorNode> node_;
};

// A tensor whose element at (axis variables) is body(axis variables). The variables are
// named i0, i1, ... in the loop nest unless options name them.
Tensor compute(std::string name, std::vector<int64_t> shape,
               const std::function<Expr(const std::vector<Var>&)>& body,
               ComputeOptions options = {});
Tensor compute(std::string name, std::vector<int64_t> shape,
               const std::function<Reduction(const std::vector<Var>&)>& body,
               ComputeOptions options = {});

// The identity of a reduction (0 for sum, -inf / +inf for max / min, the extreme integers
// for integer types) and one combining step; shared with the scheduled lowering.
Expr reduce_identity(ReduceKind kind, Type type);
Expr reduce_combine(ReduceKind kind, Expr accumulated, Expr value);

// One loop nest computing each stage in order, each into its tensor's buffer (which the
// caller provides, intermediates included). A reduction first stores its identity (0 for
// sum, -inf / +inf for max / min), then combines into the output element, then (with an
// epilogue) stores the epilogue of what it reduced.
Stmt lower(const std::vector<Tensor>& stages);

}  // namespace nas::loop
