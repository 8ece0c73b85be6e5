// The loop IR simplifier: rewrites an expression or statement into a simpler equivalent one,
// following the semantics of expr.h exactly (it is checked against the interpreter).
//
// - Constant folding of every operator, with the interpreter's arithmetic.
// - Canonical forms: constants on the right of commutative operators and comparisons,
//   `x - c` as `x + -c`, constants gathered outward (`(x + 1) + y` -> `(x + y) + 1`,
//   `(x + 2)*4` -> `x*4 + 8`), so that equal index expressions meet.
// - Identities: x + 0, x*1, x*0 (integers), x - x, min/max of constants or of ranges that
//   do not overlap, true && x, !!x, select on a constant, casts to the same type.
// - Floor division and remainder by a constant where interval analysis proves no wrapping:
//   (x*8 + y)/4 -> x*2 + y/4, (x*4 + y) % 4 -> y % 4, and y/4 -> 0, y % 4 -> y when
//   0 <= y < 4.
// - Statements: loops of extent 1 become their body with the variable replaced, empty
//   loops and loops of no iterations vanish, nested blocks flatten, and a condition that
//   the loop ranges decide (a small interval analysis) selects its branch.
// Returns the same node when nothing changed.
#pragma once

#include "compiler/loop/bounds.h"
#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

Expr simplify(const Expr& e);
// With known ranges of free variables (for example loop variables around e).
Expr simplify(const Expr& e, const VarRanges& ranges);
Stmt simplify(const Stmt& s);

}  // namespace nas::loop
