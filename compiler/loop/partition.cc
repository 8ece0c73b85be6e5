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

// The conjuncts of every IfThenElse condition in a body, each with the ranges of the loops
// around it inside the body.
class GuardCollector : public IRVisitor {
 public:
  std::vector<std::pair<Expr, VarRanges>> guards;
  using IRVisitor::visit;

 protected:
  void visit(const For* op) override {
    const std::optional<Interval> range = constant_range(op);
    if (range) ranges_[op->var.node()] = *range;
    IRVisitor::visit(op);
    ranges_.erase(op->var.node());
  }
  void visit(const IfThenElse* op) override {
    add(op->condition);
    IRVisitor::visit(op);
  }

 private:
  void add(const Expr& condition) {
    if (const auto* a = condition.as<And>()) {
      add(a->a);
      add(a->b);
      return;
    }
    guards.emplace_back(condition, ranges_);
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
    const int64_t lo = *range->min, hi = *range->max;
    const int64_t end = main_end(op, lo, hi);
    if (end <= lo || end > hi) return with_range(op, lo, hi);
    return Block::make(with_range(op, lo, end - 1), with_range(op, end, hi));
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

  // One past the last iteration of the main part: the smallest, over the guards that use
  // the loop variable, of the longest prefix of [lo, hi] on which the guard holds
  // (hi + 1 when no guard needs a tail).
  int64_t main_end(const For* op, int64_t lo, int64_t hi) {
    GuardCollector collector;
    collector.include(op->body);
    int64_t end = hi + 1;
    for (const auto& [condition, inner] : collector.guards) {
      UsesVar uses(op->var.node());
      uses.include(condition);
      if (!uses.found) continue;
      auto holds_below = [&](int64_t stop) {  // on [lo, stop)
        if (stop <= lo) return true;
        VarRanges ranges = ranges_;
        for (const auto& [v, r] : inner) ranges[v] = r;
        ranges[op->var.node()] = Interval{lo, stop - 1};
        return is_const(simplify(condition, ranges), 1);
      };
      if (holds_below(hi + 1)) continue;
      int64_t a = lo, b = hi;  // holds_below(a); find the largest such a in [lo, hi]
      while (a < b) {
        const int64_t mid = a + (b - a + 1) / 2;
        if (holds_below(mid)) a = mid;
        else b = mid - 1;
      }
      if (a > lo) end = std::min(end, a);
    }
    return end;
  }

  VarRanges ranges_;  // loops around the current statement
};

}  // namespace

Stmt partition_loops(const Stmt& s) { return Partitioner().mutate(s); }

}  // namespace nas::loop
