// Float functions composed of the loop IR's intrinsics (exp, abs) and arithmetic, for the
// ops' lowerings. Their accuracy against libm over every float is tested with exp's and
// log's, compiled (tests/codegen/vector_math_test.cc).
#pragma once

#include "compiler/loop/expr.h"

namespace nas::loop {

// 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, so exp never overflows into
// the result: one exp, of -|x|.
Expr sigmoid(const Expr& x);

// An odd polynomial below |x| = 0.625 (Cephes tanhf), where 1 - 2 / (exp(2|x|) + 1) would
// cancel, and that with x's sign above.
Expr tanh(const Expr& x);

// An odd polynomial below |x| = 0.921875, where 1 - erfc(|x|) would cancel; above,
// 1 - exp(a polynomial in |x|), with x's sign. Within 1 ulp of the correctly rounded
// erf over every float.
Expr erf(const Expr& x);

}  // namespace nas::loop
