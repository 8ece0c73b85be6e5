#include "compiler/loop/vectorize.h"

#include "compiler/loop/mutator.h"
#include "compiler/support/error.h"

namespace nas::loop {

namespace {

Expr broadcast_to(const Expr& e, int lanes) {
  if (e.type().lanes() == lanes) return e;
  return Broadcast::make(e, lanes);
}

// Widens one loop body; sets `failed` (and stops caring about the result) when something
// cannot be widened.
class Widener : public IRMutator {
 public:
  Widener(Var var, Expr ramp, int lanes) : var_(std::move(var)), ramp_(std::move(ramp)), lanes_(lanes) {}
  bool failed = false;
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Expr visit(const Variable* op) override { return op == var_.node() ? ramp_ : Expr(op); }

  Expr visit(const BinaryNode* op) override {
    Expr a = mutate(op->a), b = mutate(op->b);
    if (a.type().is_scalar() && b.type().is_scalar()) {
      if (a.same_as(op->a) && b.same_as(op->b)) return op;
      return make_binary(op->kind, std::move(a), std::move(b));
    }
    const auto* ra = a.as<Ramp>();
    const auto* rb = b.as<Ramp>();
    const auto* ba = a.as<Broadcast>();
    const auto* bb = b.as<Broadcast>();
    switch (op->kind) {
      case ExprKind::Add:
        if (ra && rb) return Ramp::make(ra->base + rb->base, ra->stride + rb->stride, lanes_);
        if (ra && (bb || b.type().is_scalar())) return Ramp::make(ra->base + scalar(b), ra->stride, lanes_);
        if (rb && (ba || a.type().is_scalar())) return Ramp::make(scalar(a) + rb->base, rb->stride, lanes_);
        break;
      case ExprKind::Sub:
        if (ra && rb) return Ramp::make(ra->base - rb->base, ra->stride - rb->stride, lanes_);
        if (ra && (bb || b.type().is_scalar())) return Ramp::make(ra->base - scalar(b), ra->stride, lanes_);
        break;
      case ExprKind::Mul:
        if (ra && (bb || b.type().is_scalar()))
          return Ramp::make(ra->base * scalar(b), ra->stride * scalar(b), lanes_);
        if (rb && (ba || a.type().is_scalar()))
          return Ramp::make(scalar(a) * rb->base, scalar(a) * rb->stride, lanes_);
        break;
      default: break;
    }
    if ((ba || a.type().is_scalar()) && (bb || b.type().is_scalar()))
      return Broadcast::make(make_binary(op->kind, scalar(a), scalar(b)), lanes_);
    return make_binary(op->kind, broadcast_to(a, lanes_), broadcast_to(b, lanes_));
  }

  Expr visit(const Select* op) override {
    Expr c = mutate(op->condition), t = mutate(op->true_value), f = mutate(op->false_value);
    if (c.type().is_scalar() && t.type().is_scalar() && f.type().is_scalar())
      return Select::make(std::move(c), std::move(t), std::move(f));
    return Select::make(c.type().is_scalar() ? c : broadcast_to(c, lanes_), broadcast_to(t, lanes_),
                        broadcast_to(f, lanes_));
  }

  Expr visit(const Not* op) override { return Not::make(mutate(op->a)); }

  Expr visit(const Cast* op) override {
    Expr v = mutate(op->value);
    return Cast::make(op->type.with_lanes(v.type().lanes()), std::move(v));
  }

  Expr visit(const Load* op) override {
    Expr index = mutate(op->index);
    if (index.same_as(op->index)) return op;
    return Load::make(op->buffer, std::move(index));
  }

  Expr visit(const Ramp* op) override {
    failed = true;  // already vector code: an inner vectorized loop was widened
    return op;
  }
  Expr visit(const Broadcast* op) override {
    failed = true;
    return op;
  }

  Expr visit(const Call* op) override {
    std::vector<Expr> args;
    bool vector = false;
    for (const Expr& a : op->args) {
      args.push_back(mutate(a));
      vector = vector || args.back().type().is_vector();
    }
    if (vector)
      for (Expr& a : args) a = broadcast_to(a, lanes_);
    return Call::make(op->op, std::move(args));
  }

  Stmt visit(const Store* op) override {
    Expr value = mutate(op->value), index = mutate(op->index);
    if (index.type().is_scalar()) {
      failed = true;
      return op;
    }
    return Store::make(op->buffer, broadcast_to(value, lanes_), std::move(index));
  }

  Stmt visit(const IfThenElse* op) override {
    Expr c = mutate(op->condition);
    if (c.type().is_vector()) {
      failed = true;  // would need masked stores
      return op;
    }
    return IfThenElse::make(c, mutate(op->then_case), mutate(op->else_case));
  }

  Stmt visit(const For* op) override {
    failed = true;
    return op;
  }
  Stmt visit(const Allocate* op) override {
    failed = true;
    return op;
  }

 private:
  // The scalar behind a broadcast (or a scalar itself).
  static Expr scalar(const Expr& e) {
    if (const auto* b = e.as<Broadcast>()) return b->value;
    return e;
  }

  Var var_;
  Expr ramp_;
  int lanes_;
};

class Vectorizer : public IRMutator {
 public:
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Stmt visit(const For* op) override {
    Stmt s = IRMutator::visit(op);  // inner loops first
    const auto* loop = s.as<For>();
    if (loop->for_kind != ForKind::Vectorized) return s;
    const std::optional<int64_t> extent = as_const_int(loop->extent);
    NAS_CHECK(extent.has_value(), "vectorized loop {} without a constant extent", loop->var.name());
    if (*extent < 2) return s;
    const int lanes = static_cast<int>(*extent);
    Widener widener(loop->var, Ramp::make(loop->min, make_one(loop->min.type()), lanes), lanes);
    Stmt body = widener.mutate(loop->body);
    return widener.failed ? s : body;
  }
};

}  // namespace

Stmt vectorize_loops(const Stmt& s) { return Vectorizer().mutate(s); }

}  // namespace nas::loop
