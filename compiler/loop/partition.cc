#include "compiler/loop/partition.h"

#include <set>
#include <utility>
#include <vector>

#include "compiler/loop/bounds.h"
#include "compiler/loop/mutator.h"
#include "compiler/loop/simplify.h"

namespace nas::loop {

namespace {

std::optional<Interval> constant_range(const For* op) {
  const auto min = as_const_int(op->min), extent = as_const_int(op->extent);
  if (!min || !extent || *extent < 1) return std::nullopt;
  return Interval{*min, *min + *extent - 1};
}

// A condition of the body, with the ranges of the loops around it inside the body.
struct Guard {
  Expr condition;
  VarRanges inner;
  bool select = false;  // a Select's (padding at a border), not an IfThenElse's
};

// The conjuncts of every IfThenElse condition in a body, and the ordering comparisons of
// Select conditions (a window's padding test, true away from the borders).
class GuardCollector : public IRVisitor {
 public:
  std::vector<Guard> guards;
  using IRVisitor::visit;

 protected:
  void visit(const For* op) override {
    const std::optional<Interval> range = constant_range(op);
    if (range) ranges_[op->var.node()] = *range;
    IRVisitor::visit(op);
    ranges_.erase(op->var.node());
  }
  void visit(const IfThenElse* op) override {
    add(op->condition, false);
    IRVisitor::visit(op);
  }
  void visit(const Select* op) override {
    if (op->condition.type().is_scalar()) add(op->condition, true);
    IRVisitor::visit(op);
  }

 private:
  void add(const Expr& condition, bool select) {
    if (const auto* a = condition.as<And>()) {
      add(a->a, select);
      add(a->b, select);
      return;
    }
    if (select) {
      const auto* cmp = condition.as<BinaryNode>();
      if (!cmp || !is_comparison(cmp->kind) || cmp->kind == ExprKind::EQ ||
          cmp->kind == ExprKind::NE || !cmp->a.type().is_int())
        return;
    }
    guards.push_back(Guard{condition, ranges_, select});
  }
  VarRanges ranges_;
};

class UsesVar : public IRVisitor {
 public:
  explicit UsesVar(const Variable* var) : var_(var) {}
  bool found = false;
  using IRVisitor::visit;

 protected:
  void visit(const Variable* op) override { found = found || op == var_; }

 private:
  const Variable* var_;
};

class Partitioner : public IRMutator {
 public:
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Stmt visit(const For* op) override {
    const std::optional<Interval> range = constant_range(op);
    if (!range) return IRMutator::visit(op);
    return pieces(op, *range->min, *range->max);
  }

 private:
  // The loop over [lo, hi] with its body partitioned in turn.
  Stmt with_range(const For* op, int64_t lo, int64_t hi) {
    const Variable* var = op->var.node();
    auto outer = ranges_.find(var);
    const std::optional<Interval> saved =
        outer == ranges_.end() ? std::nullopt : std::optional(outer->second);
    ranges_[var] = Interval{lo, hi};
    Stmt body = mutate(op->body);
    if (saved) ranges_[var] = *saved;
    else ranges_.erase(var);
    const Type t = op->min.type();
    if (body.same_as(op->body) && as_const_int(op->min) == lo && as_const_int(op->extent) == hi - lo + 1)
      return op;
    return For::make(op->var, make_const(t, lo), make_const(t, hi - lo + 1), op->for_kind, body);
  }

  // The loop over [lo, hi] cut before each iteration where a guard starts or stops holding.
  Stmt pieces(const For* op, int64_t lo, int64_t hi) {
    const int64_t cut = first_cut(op, lo, hi);
    if (cut <= lo || cut > hi) return with_range(op, lo, hi);
    ++cuts_;
    return Block::make(with_range(op, lo, cut - 1), pieces(op, cut, hi));
  }

  // The first cut of [lo, hi] (hi + 1 when none): the smallest, over the guards that use the
  // loop variable, of the end of the longest prefix on which the guard holds, and for Select
  // conditions also of the start of the longest suffix on which it holds. Select conditions
  // do not cut vectorized loops (a blend is cheap there) nor parallel ones.
  int64_t first_cut(const For* op, int64_t lo, int64_t hi) {
    GuardCollector collector;
    collector.include(op->body);
    // Cuts of nested loops multiply the code: past a budget, only guards cut (the tails of
    // splits, which vectorizing needs), so odd schedules cannot blow the kernel up.
    const bool cut_selects = (op->for_kind == ForKind::Serial || op->for_kind == ForKind::Unrolled) &&
                             cuts_ < kSelectCutBudget;
    int64_t end = hi + 1;
    for (const Guard& guard : collector.guards) {
      if (guard.select && !cut_selects) continue;
      UsesVar uses(op->var.node());
      uses.include(guard.condition);
      if (!uses.found) continue;
      auto holds_on = [&](int64_t first, int64_t last) {  // on [first, last]
        if (last < first) return true;
        VarRanges ranges = ranges_;
        for (const auto& [v, r] : guard.inner) ranges[v] = r;
        ranges[op->var.node()] = Interval{first, last};
        return is_const(simplify(guard.condition, ranges), 1);
      };
      if (holds_on(lo, hi)) continue;
      int64_t a = lo, b = hi;  // holds on [lo, a); find the largest such a in [lo, hi]
      while (a < b) {
        const int64_t mid = a + (b - a + 1) / 2;
        if (holds_on(lo, mid - 1)) a = mid;
        else b = mid - 1;
      }
      if (a > lo) {
        end = std::min(end, a);
        continue;
      }
      if (!guard.select) continue;
      a = lo + 1, b = hi + 1;  // holds on [b, hi]; find the smallest such b in (lo, hi + 1]
      while (a < b) {
        const int64_t mid = a + (b - a) / 2;
        if (holds_on(mid, hi)) b = mid;
        else a = mid + 1;
      }
      if (b <= hi) end = std::min(end, b);
    }
    return end;
  }

  static constexpr int kSelectCutBudget = 32;
  VarRanges ranges_;  // loops around the current statement
  int cuts_ = 0;      // loops cut so far
};

}  // namespace

Stmt partition_loops(const Stmt& s) { return Partitioner().mutate(s); }

}  // namespace nas::loop
