// A small interval analysis of integer expressions, for the simplifier: given ranges of
// variables (from the loops around an expression), the range of values the expression can
// take. Sound for the wrapping semantics of expr.h: an interval is only returned when no
// subexpression can wrap, otherwise the result is unbounded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "compiler/loop/expr.h"

namespace nas::loop {

// [min, max], both inclusive; a missing end is unbounded.
struct Interval {
  std::optional<int64_t> min, max;

  static Interval everything() { return {}; }
  static Interval point(int64_t value) { return {value, value}; }
  bool is_bounded() const { return min.has_value() && max.has_value(); }
  bool is_point() const { return is_bounded() && *min == *max; }
  bool operator==(const Interval&) const = default;
};

// Ranges of variables (lookups only: order never matters).
using VarRanges = std::map<const Variable*, Interval>;

// The range of a scalar integer expression; unbounded for anything else.
Interval bounds_of(const Expr& e, const VarRanges& ranges);

}  // namespace nas::loop
