// A generator of random integer expressions for the loop IR property tests.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/loop/expr.h"
#include "compiler/support/random.h"

namespace nas::loop::testing {

// Random integer expressions over `vars`, with every operator and some large constants so
// that wrapping and division by zero happen.
class ExprGenerator {
 public:
  ExprGenerator(uint64_t seed, std::vector<Var> vars) : rng_(seed), vars_(std::move(vars)) {}

  Expr integer(int depth) {
    if (depth == 0 || rng_.below(5) == 0) return leaf();
    switch (rng_.below(10)) {
      case 0: return integer(depth - 1) + integer(depth - 1);
      case 1: return integer(depth - 1) - integer(depth - 1);
      case 2: return integer(depth - 1) * integer(depth - 1);
      case 3: return integer(depth - 1) / integer(depth - 1);
      case 4: return integer(depth - 1) % integer(depth - 1);
      case 5: return min(integer(depth - 1), integer(depth - 1));
      case 6: return max(integer(depth - 1), integer(depth - 1));
      case 7: return select(condition(depth - 1), integer(depth - 1), integer(depth - 1));
      case 8: return integer(depth - 1) * constant() + constant();
      default: return (integer(depth - 1) + constant()) / constant();
    }
  }

  Expr condition(int depth) {
    const Expr a = integer(depth), b = integer(depth);
    switch (rng_.below(9)) {
      case 0: return a < b;
      case 1: return a <= b;
      case 2: return a > b;
      case 3: return a >= b;
      case 4: return eq(a, b);
      case 5: return ne(a, b);
      case 6: return condition(depth / 2) && condition(depth / 2);
      case 7: return condition(depth / 2) || condition(depth / 2);
      default: return !condition(depth / 2);
    }
  }

  Expr leaf() {
    if (rng_.below(2) == 0) return vars_[rng_.below(vars_.size())];
    return constant();
  }

  Expr constant() {
    if (rng_.below(20) == 0)  // the extremes, so that wrapping happens
      return make_const(Type::i32(), rng_.below(2) ? int64_t{INT32_MAX} : int64_t{INT32_MIN});
    return make_const(Type::i32(), static_cast<int64_t>(rng_.below(19)) - 9);
  }

  int64_t value(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng_.below(hi - lo + 1)); }
  SplitMix64& rng() { return rng_; }

 private:
  SplitMix64 rng_;
  std::vector<Var> vars_;
};

}  // namespace nas::loop::testing
