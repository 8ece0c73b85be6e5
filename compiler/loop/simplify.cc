// The simplifier works bottom-up: children first, then the rules of one node on simplified
// operands. A rule that builds new nodes runs them through the rules again (`binary`), and
// every such rewrite moves toward the canonical form (constants right and outward, fewer
// nodes), so the recursion ends.
#include "compiler/loop/simplify.h"

#include <cstdint>
#include <optional>

#include "compiler/loop/arith.h"
#include "compiler/loop/mutator.h"
#include "compiler/loop/structural.h"
#include "compiler/loop/substitute.h"

namespace nas::loop {

namespace {

bool is_constant(const Expr& e) {
  return as_const_int(e).has_value() || as_const_float(e).has_value();
}

ExprKind flipped(ExprKind kind) {  // c < x  <=>  x > c
  switch (kind) {
    case ExprKind::LT: return ExprKind::GT;
    case ExprKind::LE: return ExprKind::GE;
    case ExprKind::GT: return ExprKind::LT;
    case ExprKind::GE: return ExprKind::LE;
    default: return kind;
  }
}

ExprKind negated(ExprKind kind) {  // !(a < b)  <=>  a >= b, for integers
  switch (kind) {
    case ExprKind::EQ: return ExprKind::NE;
    case ExprKind::NE: return ExprKind::EQ;
    case ExprKind::LT: return ExprKind::GE;
    case ExprKind::LE: return ExprKind::GT;
    case ExprKind::GT: return ExprKind::LE;
    case ExprKind::GE: return ExprKind::LT;
    default: return kind;
  }
}

__int128 type_min(Type t) { return t.bits() == 32 ? INT32_MIN : INT64_MIN; }
__int128 type_max(Type t) { return t.bits() == 32 ? INT32_MAX : INT64_MAX; }

// The value of `kind` on a - b whose range is [lo, hi], if that range decides it.
std::optional<bool> decide(ExprKind kind, __int128 lo, __int128 hi) {
  switch (kind) {
    case ExprKind::EQ: if (lo == 0 && hi == 0) return true; if (lo > 0 || hi < 0) return false; break;
    case ExprKind::NE: if (lo == 0 && hi == 0) return false; if (lo > 0 || hi < 0) return true; break;
    case ExprKind::LT: if (hi < 0) return true; if (lo >= 0) return false; break;
    case ExprKind::LE: if (hi <= 0) return true; if (lo > 0) return false; break;
    case ExprKind::GT: if (lo > 0) return true; if (hi <= 0) return false; break;
    case ExprKind::GE: if (lo >= 0) return true; if (hi < 0) return false; break;
    default: break;
  }
  return std::nullopt;
}

// The pieces of `e` if it is the binary operator K (a, b), else null.
template <ExprKind K>
const BinaryOp<K>* match(const Expr& e) {
  return e.as<BinaryOp<K>>();
}

class Simplifier : public IRMutator {
 public:
  explicit Simplifier(VarRanges ranges = {}) : ranges_(std::move(ranges)) {}
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Expr visit(const BinaryNode* op) override {
    Expr a = mutate(op->a), b = mutate(op->b);
    if (std::optional<Expr> rewritten = rewrite(op->kind, a, b)) return *rewritten;
    if (a.same_as(op->a) && b.same_as(op->b)) return op;
    return make_binary(op->kind, std::move(a), std::move(b));
  }

  Expr visit(const Not* op) override {
    Expr a = mutate(op->a);
    if (auto c = as_const_int(a)) return make_bool(*c == 0, a.type().lanes());
    if (const auto* inner = a.as<Not>()) return inner->a;
    if (const auto* cmp = a.as<BinaryNode>(); cmp && is_comparison(cmp->kind) &&
                                              cmp->a.type().is_int())
      return binary(negated(cmp->kind), cmp->a, cmp->b);
    if (a.same_as(op->a)) return op;
    return Not::make(std::move(a));
  }

  Expr visit(const Select* op) override {
    Expr c = mutate(op->condition);
    // A constant condition: only the side taken (a chain of selects on an unrolled loop's
    // index, such as WinogradConv's, costs one side, not all of them).
    if (auto value = as_const_int(c)) return mutate(*value ? op->true_value : op->false_value);
    Expr t = mutate(op->true_value), f = mutate(op->false_value);
    if (structural_equal(t, f)) return t;
    if (c.same_as(op->condition) && t.same_as(op->true_value) && f.same_as(op->false_value))
      return op;
    return Select::make(std::move(c), std::move(t), std::move(f));
  }

  Expr visit(const Cast* op) override {
    Expr value = mutate(op->value);
    const Type to = op->type;
    if (value.type() == to) return value;
    if (auto i = as_const_int(value)) {
      if (to.is_float()) return make_const(to, static_cast<double>(static_cast<float>(*i)));
      return make_const(to, arith::wrap(to, *i));
    }
    if (auto f = as_const_float(value)) {
      const float x = static_cast<float>(*f);
      if (arith::float_fits_int(x)) return make_const(to, arith::wrap(to, static_cast<int64_t>(x)));
    }
    if (value.same_as(op->value)) return op;
    return Cast::make(to, std::move(value));
  }

  Expr visit(const Ramp* op) override {
    Expr base = mutate(op->base), stride = mutate(op->stride);
    if (is_const(stride, 0)) return Broadcast::make(std::move(base), op->lanes);
    if (base.same_as(op->base) && stride.same_as(op->stride)) return op;
    return Ramp::make(std::move(base), std::move(stride), op->lanes);
  }

  Expr visit(const Call* op) override {
    Expr call = IRMutator::visit(op);
    const auto* c = call.as<Call>();
    float args[3];
    for (size_t k = 0; k < c->args.size(); ++k) {
      auto value = as_const_float(c->args[k]);
      if (!value) return call;
      args[k] = static_cast<float>(*value);
    }
    return make_const(call.type(), static_cast<double>(arith::intrinsic(c->op, args)));
  }

  Stmt visit(const For* op) override {
    Expr min = mutate(op->min), extent = mutate(op->extent);
    const std::optional<int64_t> trips = as_const_int(extent);
    if (trips && *trips <= 0) return no_op();
    if (trips == 1) return mutate(substitute(op->body, op->var, min));
    const Interval range = loop_range(min, extent);
    const Variable* var = op->var.node();
    auto outer = ranges_.find(var);
    const std::optional<Interval> saved =
        outer == ranges_.end() ? std::nullopt : std::optional(outer->second);
    ranges_[var] = range;
    Stmt body = mutate(op->body);
    if (saved) ranges_[var] = *saved;
    else ranges_.erase(var);
    if (is_no_op(body)) return body;
    if (min.same_as(op->min) && extent.same_as(op->extent) && body.same_as(op->body)) return op;
    return For::make(op->var, std::move(min), std::move(extent), op->for_kind, std::move(body));
  }

  Stmt visit(const Block* op) override {
    std::vector<Stmt> stmts;
    bool changed = false;
    for (const Stmt& s : op->stmts) {
      Stmt simplified = mutate(s);
      changed = changed || !simplified.same_as(s);
      if (const auto* inner = simplified.as<Block>()) {  // flattens, and drops no-ops
        stmts.insert(stmts.end(), inner->stmts.begin(), inner->stmts.end());
        changed = true;
      } else {
        stmts.push_back(std::move(simplified));
      }
    }
    if (!changed) return op;
    return stmts.empty() ? no_op() : Block::make(std::move(stmts));
  }

  Stmt visit(const IfThenElse* op) override {
    Expr condition = mutate(op->condition);
    if (auto value = as_const_int(condition)) {
      if (*value) return mutate(op->then_case);
      return op->else_case.defined() ? mutate(op->else_case) : no_op();
    }
    Stmt then_case = mutate(op->then_case), else_case = mutate(op->else_case);
    if (else_case.defined() && is_no_op(else_case)) else_case = Stmt();
    if (is_no_op(then_case)) {
      if (!else_case.defined()) return then_case;
      return IfThenElse::make(mutate(Not::make(condition)), else_case);
    }
    if (condition.same_as(op->condition) && then_case.same_as(op->then_case) &&
        else_case.same_as(op->else_case))
      return op;
    return IfThenElse::make(std::move(condition), std::move(then_case), std::move(else_case));
  }

  Stmt visit(const Allocate* op) override {
    Stmt s = IRMutator::visit(op);
    const auto* allocate = s.as<Allocate>();
    return is_no_op(allocate->body) ? allocate->body : s;
  }

  Stmt visit(const Evaluate* op) override {
    Expr value = mutate(op->value);
    if (is_constant(value)) return no_op();
    if (value.same_as(op->value)) return op;
    return Evaluate::make(std::move(value));
  }

 private:
  // The range of a loop variable: [min, min + extent - 1] over the ranges of min and extent.
  Interval loop_range(const Expr& min, const Expr& extent) const {
    const Interval m = bounds_of(min, ranges_), e = bounds_of(extent, ranges_);
    if (!m.is_bounded() || !e.max) return {m.min, std::nullopt};
    const __int128 hi = static_cast<__int128>(*m.max) + *e.max - 1;
    if (hi > type_max(min.type())) return {m.min, std::nullopt};
    return {m.min, static_cast<int64_t>(hi)};
  }

  Interval bounds(const Expr& e) const { return bounds_of(e, ranges_); }

  // Simplified operands in, simplified result out.
  Expr binary(ExprKind kind, Expr a, Expr b) {
    if (std::optional<Expr> rewritten = rewrite(kind, a, b)) return *rewritten;
    return make_binary(kind, std::move(a), std::move(b));
  }
  Expr add(Expr a, Expr b) { return binary(ExprKind::Add, std::move(a), std::move(b)); }
  Expr sub(Expr a, Expr b) { return binary(ExprKind::Sub, std::move(a), std::move(b)); }
  Expr mul(Expr a, Expr b) { return binary(ExprKind::Mul, std::move(a), std::move(b)); }
  Expr div(Expr a, Expr b) { return binary(ExprKind::Div, std::move(a), std::move(b)); }
  Expr mod(Expr a, Expr b) { return binary(ExprKind::Mod, std::move(a), std::move(b)); }

  // The simplified form of kind(a, b), or nullopt if it is kind(a, b) itself.
  std::optional<Expr> rewrite(ExprKind kind, const Expr& a, const Expr& b) {
    if (std::optional<Expr> folded = fold(kind, a, b)) return folded;
    if (is_constant(a) && !is_constant(b)) {
      if (is_commutative(kind)) return binary(kind, b, a);
      if (is_comparison(kind)) return binary(flipped(kind), b, a);
    }
    const Type t = a.type();
    switch (kind) {
      case ExprKind::Add: return t.is_int() ? rewrite_int_add(a, b) : rewrite_float(kind, a, b);
      case ExprKind::Sub: return t.is_int() ? rewrite_int_sub(a, b) : rewrite_float(kind, a, b);
      case ExprKind::Mul: return t.is_int() ? rewrite_int_mul(a, b) : rewrite_float(kind, a, b);
      case ExprKind::Div: return t.is_int() ? rewrite_int_div(a, b) : rewrite_float(kind, a, b);
      case ExprKind::Mod: return rewrite_int_mod(a, b);
      case ExprKind::Min: case ExprKind::Max: return rewrite_min_max(kind, a, b);
      case ExprKind::And: case ExprKind::Or: return rewrite_logic(kind, a, b);
      default: return rewrite_comparison(kind, a, b);
    }
  }

  // Both operands constant: the value, by the interpreter's arithmetic.
  std::optional<Expr> fold(ExprKind kind, const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (t.is_float()) {
      auto x = as_const_float(a), y = as_const_float(b);
      if (!x || !y) return std::nullopt;
      const float fx = static_cast<float>(*x), fy = static_cast<float>(*y);
      if (is_comparison(kind)) return make_bool(arith::compare(kind, fx, fy), t.lanes());
      return make_const(t, static_cast<double>(arith::float_arithmetic(kind, fx, fy)));
    }
    auto x = as_const_int(a), y = as_const_int(b);
    if (!x || !y) return std::nullopt;
    if (is_comparison(kind)) return make_bool(arith::compare(kind, *x, *y), t.lanes());
    if (kind == ExprKind::And) return make_bool(*x && *y, t.lanes());
    if (kind == ExprKind::Or) return make_bool(*x || *y, t.lanes());
    return make_const(t, arith::wrap(t, arith::int_arithmetic(kind, *x, *y)));
  }

  Expr constant(Type t, int64_t value) { return make_const(t, arith::wrap(t, value)); }

  std::optional<Expr> rewrite_int_add(const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (is_const(b, 0)) return a;
    const auto c = as_const_int(b);
    if (const auto* x = match<ExprKind::Add>(a); x && is_constant(x->b)) {
      if (c) return add(x->a, constant(t, *as_const_int(x->b) + *c));  // (x + c1) + c2
      return add(add(x->a, b), x->b);                                   // (x + c) + y
    }
    if (const auto* y = match<ExprKind::Add>(b); y && is_constant(y->b))
      return add(add(a, y->a), y->b);                                   // x + (y + c)
    if (const auto* x = match<ExprKind::Sub>(a); x && structural_equal(x->b, b))
      return x->a;                                                      // (x - y) + y
    if (const auto* y = match<ExprKind::Sub>(b); y && structural_equal(y->b, a))
      return y->a;                                                      // x + (y - x)
    return std::nullopt;
  }

  std::optional<Expr> rewrite_int_sub(const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (is_const(b, 0)) return a;
    if (structural_equal(a, b)) return make_zero(t);
    if (auto c = as_const_int(b); c && *c != arith::wrap(t, int64_t{1} << (t.bits() - 1)))
      return add(a, constant(t, -*c));  // x - c -> x + -c (not for the most negative c)
    const auto* x = match<ExprKind::Add>(a);
    const auto* y = match<ExprKind::Add>(b);
    if (x && is_constant(x->b)) return add(sub(x->a, b), x->b);     // (x + c) - y
    if (y && is_constant(y->b))                                      // x - (y + c)
      return add(sub(a, y->a), constant(t, -*as_const_int(y->b)));
    if (x && structural_equal(x->a, b)) return x->b;                 // (x + y) - x
    if (x && structural_equal(x->b, b)) return x->a;                 // (x + y) - y
    if (x && y && structural_equal(x->a, y->a)) return sub(x->b, y->b);  // (p + q) - (p + r)
    if (x && y && structural_equal(x->b, y->b)) return sub(x->a, y->a);  // (p + q) - (r + q)
    if (y && structural_equal(a, y->a)) return sub(make_zero(t), y->b);  // x - (x + y)
    return std::nullopt;
  }

  std::optional<Expr> rewrite_int_mul(const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (is_const(b, 1)) return a;
    if (is_const(b, 0)) return b;
    const auto c = as_const_int(b);
    if (const auto* x = match<ExprKind::Mul>(a); x && is_constant(x->b)) {
      if (c) return mul(x->a, constant(t, *as_const_int(x->b) * *c));  // (x*c1)*c2
      return mul(mul(x->a, b), x->b);                                   // (x*c)*y
    }
    if (const auto* x = match<ExprKind::Add>(a); x && c && is_constant(x->b))  // (x + c1)*c2
      return add(mul(x->a, b), constant(t, *as_const_int(x->b) * *c));
    return std::nullopt;
  }

  // For a term x*k with c dividing k: x*(k/c), the exact quotient of term / c.
  std::optional<Expr> exact_quotient(const Expr& term, int64_t c) {
    const auto* m = match<ExprKind::Mul>(term);
    if (!m) return std::nullopt;
    const auto k = as_const_int(m->b);
    if (!k || *k % c != 0) return std::nullopt;
    return mul(m->a, constant(term.type(), *k / c));
  }

  // Whether term is x*k with c dividing k.
  static bool divides(const Expr& term, int64_t c) {
    const auto* m = match<ExprKind::Mul>(term);
    const auto k = m ? as_const_int(m->b) : std::nullopt;
    return k && *k % c == 0;
  }

  // A sum split into its terms x*k that c divides (their quotients x*(k/c)) and the sum of
  // the rest, with the quotient of that rest where its bounds fix it: then
  // (x*k + rest)/c = x*(k/c) + q and (x*k + rest) % c = rest - q*c.
  struct SplitSum {
    std::vector<Expr> quotients, rest;
    std::optional<int64_t> rest_quotient;
  };
  void split_terms(const Expr& a, int64_t c, SplitSum& split) {
    if (const auto* s = match<ExprKind::Add>(a)) {
      split_terms(s->a, c, split);
      split_terms(s->b, c, split);
    } else if (auto q = exact_quotient(a, c)) {
      split.quotients.push_back(*q);
    } else {
      split.rest.push_back(a);
    }
  }
  SplitSum split_sum(const Expr& a, int64_t c) {
    SplitSum split;
    split_terms(a, c, split);
    if (split.quotients.empty() || split.rest.empty()) return split;
    const Interval range = bounds(sum_of(split.rest));
    if (!range.is_bounded()) return split;
    const int64_t lo = arith::floor_div(*range.min, c), hi = arith::floor_div(*range.max, c);
    if (lo == hi) split.rest_quotient = lo;
    return split;
  }
  Expr sum_of(const std::vector<Expr>& terms) {
    Expr total = terms.front();
    for (size_t i = 1; i < terms.size(); ++i) total = add(total, terms[i]);
    return total;
  }

  std::optional<Expr> rewrite_int_div(const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (is_const(b, 1)) return a;
    if (is_const(a, 0)) return a;
    const auto c = as_const_int(b);
    if (!c || *c <= 0 || !t.is_scalar()) return std::nullopt;
    const Interval range = bounds(a);  // bounded: nothing in `a` wraps
    if (!range.is_bounded()) return std::nullopt;
    const int64_t q_lo = arith::floor_div(*range.min, *c), q_hi = arith::floor_div(*range.max, *c);
    if (q_lo == q_hi) return constant(t, q_lo);
    if (auto q = exact_quotient(a, *c)) return *q;             // (x*8)/4
    if (const auto* s = match<ExprKind::Add>(a)) {             // (x*8 + y)/4
      if (auto q = exact_quotient(s->a, *c)) return add(*q, div(s->b, b));
      if (auto q = exact_quotient(s->b, *c)) return add(div(s->a, b), *q);
    }
    // (x*32 + y + 16)/32 with y in [0, 16): x. A vector's lanes y then share one quotient.
    if (const SplitSum split = split_sum(a, *c); split.rest_quotient)
      return add(sum_of(split.quotients), constant(t, *split.rest_quotient));
    return std::nullopt;
  }

  std::optional<Expr> rewrite_int_mod(const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (is_const(b, 1) || is_const(a, 0)) return make_zero(t);
    const auto c = as_const_int(b);
    if (!c || *c <= 0 || !t.is_scalar()) return std::nullopt;
    const Interval range = bounds(a);
    if (!range.is_bounded()) return std::nullopt;
    const int64_t q_lo = arith::floor_div(*range.min, *c), q_hi = arith::floor_div(*range.max, *c);
    if (q_lo == q_hi) return q_lo == 0 ? a : add(a, constant(t, -q_lo * *c));
    if (divides(a, *c)) return make_zero(t);                     // (x*8) % 4
    if (const auto* s = match<ExprKind::Add>(a)) {               // (x*8 + y) % 4
      if (divides(s->a, *c)) return mod(s->b, b);
      if (divides(s->b, *c)) return mod(s->a, b);
    }
    if (const SplitSum split = split_sum(a, *c); split.rest_quotient)  // (x*32 + y + 16) % 32
      return add(sum_of(split.rest), constant(t, -*split.rest_quotient * *c));
    return std::nullopt;
  }

  std::optional<Expr> rewrite_float(ExprKind kind, const Expr& a, const Expr& b) {
    // Only what holds for every float, NaN and infinities included (x*0 and x - x do not).
    if ((kind == ExprKind::Mul || kind == ExprKind::Div) && is_const(b, 1)) return a;
    if (kind == ExprKind::Sub && is_const(b, 0)) return a;
    return std::nullopt;
  }

  std::optional<Expr> rewrite_min_max(ExprKind kind, const Expr& a, const Expr& b) {
    const bool is_min = kind == ExprKind::Min;
    if (structural_equal(a, b)) return a;
    if (!a.type().is_int()) return std::nullopt;
    const Interval x = bounds(a), y = bounds(b);
    if (x.max && y.min && *x.max <= *y.min) return is_min ? a : b;  // a <= b everywhere
    if (y.max && x.min && *y.max <= *x.min) return is_min ? b : a;  // b <= a everywhere
    if (const auto* inner = a.as<BinaryNode>(); inner && inner->kind == kind &&
                                                is_constant(inner->b) && is_constant(b))
      return binary(kind, inner->a, binary(kind, inner->b, b));  // min(min(x, c1), c2)
    return std::nullopt;
  }

  std::optional<Expr> rewrite_logic(ExprKind kind, const Expr& a, const Expr& b) {
    const bool is_and = kind == ExprKind::And;
    if (auto c = as_const_int(b)) return (*c != 0) == is_and ? a : b;  // x && true, x || false
    if (structural_equal(a, b)) return a;
    return std::nullopt;
  }

  std::optional<Expr> rewrite_comparison(ExprKind kind, const Expr& a, const Expr& b) {
    const Type t = a.type();
    if (!t.is_int() || !t.is_scalar()) return std::nullopt;
    if (structural_equal(a, b))
      return make_bool(kind == ExprKind::EQ || kind == ExprKind::LE || kind == ExprKind::GE);
    // Decided by ranges: of a and b separately, then of their simplified difference, which
    // cancels common terms. That difference equals a - b modulo 2^bits; when neither a, b
    // nor a - b can leave the type's range, it equals a - b.
    const Interval x = bounds(a), y = bounds(b);
    if (!x.is_bounded() || !y.is_bounded()) return std::nullopt;
    const __int128 lo = __int128{*x.min} - *y.max, hi = __int128{*x.max} - *y.min;
    if (auto known = decide(kind, lo, hi)) return make_bool(*known);
    if (lo < type_min(t) || hi > type_max(t)) return std::nullopt;
    const Interval d = bounds(sub(a, b));
    if (d.is_bounded())
      if (auto known = decide(kind, *d.min, *d.max)) return make_bool(*known);
    return std::nullopt;
  }

  VarRanges ranges_;
};

}  // namespace

Expr simplify(const Expr& e) { return Simplifier().mutate(e); }
Expr simplify(const Expr& e, const VarRanges& ranges) { return Simplifier(ranges).mutate(e); }
Stmt simplify(const Stmt& s) { return Simplifier().mutate(s); }

}  // namespace nas::loop
