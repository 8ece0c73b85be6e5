// The scalar semantics of loop IR operators in one place, shared by the interpreter and the
// simplifier's constant folding so that the two never disagree (see expr.h for the rules).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "compiler/loop/expr.h"
#include "compiler/support/error.h"

namespace nas::loop::arith {

// The value wrapped (two's complement) to an integer type's width; bools become 0 or 1.
inline int64_t wrap(Type type, int64_t value) {
  switch (type.scalar()) {
    case ScalarType::Bool: return value != 0;
    case ScalarType::I32: return static_cast<int32_t>(static_cast<uint32_t>(value));
    default: return value;
  }
}

// Floor division and its remainder (the sign of the divisor); 0 for a zero divisor.
inline int64_t floor_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return static_cast<int64_t>(0ull - static_cast<uint64_t>(a));  // no INT64_MIN trap
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline int64_t floor_mod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  const int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// Integer arithmetic in 64 bits without overflow traps; wrap() the result to the type.
inline int64_t int_arithmetic(ExprKind kind, int64_t a, int64_t b) {
  const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (kind) {
    case ExprKind::Add: return static_cast<int64_t>(ua + ub);
    case ExprKind::Sub: return static_cast<int64_t>(ua - ub);
    case ExprKind::Mul: return static_cast<int64_t>(ua * ub);
    case ExprKind::Div: return floor_div(a, b);
    case ExprKind::Mod: return floor_mod(a, b);
    case ExprKind::Min: return std::min(a, b);
    case ExprKind::Max: return std::max(a, b);
    default: break;
  }
  NAS_CHECK(false, "not integer arithmetic: {}", kind_name(kind));
  return 0;
}

inline float float_arithmetic(ExprKind kind, float a, float b) {
  switch (kind) {
    case ExprKind::Add: return a + b;
    case ExprKind::Sub: return a - b;
    case ExprKind::Mul: return a * b;
    case ExprKind::Div: return a / b;
    case ExprKind::Min: return std::min(a, b);
    case ExprKind::Max: return std::max(a, b);
    default: break;
  }
  NAS_CHECK(false, "not float arithmetic: {}", kind_name(kind));
  return 0;
}

template <class T>
bool compare(ExprKind kind, T a, T b) {
  switch (kind) {
    case ExprKind::EQ: return a == b;
    case ExprKind::NE: return a != b;
    case ExprKind::LT: return a < b;
    case ExprKind::LE: return a <= b;
    case ExprKind::GT: return a > b;
    case ExprKind::GE: return a >= b;
    default: break;
  }
  NAS_CHECK(false, "not a comparison: {}", kind_name(kind));
  return false;
}

inline float intrinsic(Intrinsic op, const float* args) {
  switch (op) {
    case Intrinsic::Exp: return std::exp(args[0]);
    case Intrinsic::Log: return std::log(args[0]);
    case Intrinsic::Sqrt: return std::sqrt(args[0]);
    case Intrinsic::Abs: return std::fabs(args[0]);
    case Intrinsic::Fma: return std::fma(args[0], args[1], args[2]);
  }
  return 0;
}

// Whether a float converts to an integer without undefined behaviour (it truncates).
inline bool float_fits_int(float x) { return std::isfinite(x) && std::fabs(x) < 9.2e18f; }

}  // namespace nas::loop::arith
