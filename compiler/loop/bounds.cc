#include "compiler/loop/bounds.h"

#include <algorithm>
#include <limits>

namespace nas::loop {

namespace {

using Wide = __int128;

Wide type_min(Type t) {
  return t.scalar() == ScalarType::I32 ? std::numeric_limits<int32_t>::min()
                                       : std::numeric_limits<int64_t>::min();
}
Wide type_max(Type t) {
  return t.scalar() == ScalarType::I32 ? std::numeric_limits<int32_t>::max()
                                       : std::numeric_limits<int64_t>::max();
}

// An interval computed exactly in 128 bits, kept only if it fits the type (else the
// expression may wrap and nothing is known).
Interval fit(Type t, std::optional<Wide> lo, std::optional<Wide> hi) {
  if (!lo || !hi || *lo < type_min(t) || *hi > type_max(t)) return Interval::everything();
  return {static_cast<int64_t>(*lo), static_cast<int64_t>(*hi)};
}

Wide floor_div(Wide a, Wide b) {
  const Wide q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

class BoundsFinder {
 public:
  explicit BoundsFinder(const VarRanges& ranges) : ranges_(ranges) {}

  Interval bounds(const Expr& e) {
    const Type t = e.type();
    if (!t.is_scalar() || !t.is_int()) return Interval::everything();
    if (const auto* imm = e.as<IntImm>()) return Interval::point(imm->value);
    if (const auto* var = e.as<Variable>()) {
      auto it = ranges_.find(var);
      return it == ranges_.end() ? Interval::everything() : it->second;
    }
    if (const auto* op = e.as<BinaryNode>()) return binary(op);
    if (const auto* op = e.as<Select>()) {
      const Interval a = bounds(op->true_value), b = bounds(op->false_value);
      if (!a.is_bounded() || !b.is_bounded()) return Interval::everything();
      return {std::min(*a.min, *b.min), std::max(*a.max, *b.max)};
    }
    if (const auto* op = e.as<Cast>()) {
      if (!op->value.type().is_int()) return Interval::everything();
      const Interval a = bounds(op->value);
      if (!a.is_bounded()) return Interval::everything();
      return fit(t, *a.min, *a.max);
    }
    return Interval::everything();
  }

 private:
  Interval binary(const BinaryNode* op) {
    const Type t = op->type;
    const Interval a = bounds(op->a), b = bounds(op->b);
    if (!a.is_bounded() || !b.is_bounded()) {
      // min/max with one bounded side still bound one end.
      if (op->kind == ExprKind::Min && (a.max || b.max))
        return {std::nullopt, a.max && b.max ? std::min(*a.max, *b.max) : a.max ? *a.max : *b.max};
      if (op->kind == ExprKind::Max && (a.min || b.min))
        return {a.min && b.min ? std::max(*a.min, *b.min) : a.min ? *a.min : *b.min, std::nullopt};
      return Interval::everything();
    }
    const Wide alo = *a.min, ahi = *a.max, blo = *b.min, bhi = *b.max;
    switch (op->kind) {
      case ExprKind::Add: return fit(t, alo + blo, ahi + bhi);
      case ExprKind::Sub: return fit(t, alo - bhi, ahi - blo);
      case ExprKind::Mul: {
        const Wide p[] = {alo * blo, alo * bhi, ahi * blo, ahi * bhi};
        return fit(t, *std::min_element(p, p + 4), *std::max_element(p, p + 4));
      }
      case ExprKind::Div: {
        if (!b.is_point() || blo == 0) return Interval::everything();
        const Wide q1 = floor_div(alo, blo), q2 = floor_div(ahi, blo);  // monotone
        return fit(t, std::min(q1, q2), std::max(q1, q2));
      }
      case ExprKind::Mod: {
        if (!b.is_point() || blo <= 0) return Interval::everything();
        // Within one period the remainder is a's range shifted; otherwise all of [0, c).
        if (floor_div(alo, blo) == floor_div(ahi, blo)) {
          const Wide shift = floor_div(alo, blo) * blo;
          return fit(t, alo - shift, ahi - shift);
        }
        return fit(t, Wide{0}, blo - 1);
      }
      case ExprKind::Min: return fit(t, std::min(alo, blo), std::min(ahi, bhi));
      case ExprKind::Max: return fit(t, std::max(alo, blo), std::max(ahi, bhi));
      default: return Interval::everything();
    }
  }

  const VarRanges& ranges_;
};

}  // namespace

Interval bounds_of(const Expr& e, const VarRanges& ranges) {
  return BoundsFinder(ranges).bounds(e);
}

}  // namespace nas::loop
