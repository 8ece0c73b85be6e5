// Stable text form of loop IR (Halide-like), for golden tests and IR dumps:
//
//   for (i, 0, 4) parallel {
//     for (j, 0, 8) {
//       out[i*8 + j] = in[j*4 + i]*2.0f
//     }
//   }
//
// Operators print with the fewest parentheses that keep the tree unambiguous (* / % bind
// tighter and print without spaces). i32 constants print bare, i64 ones as `i64(5)`, f32
// ones with an `f` suffix
// (infinities and NaN as inf, -inf, nan). Distinct variables (or buffers) that share a name print as
// `x`, `x.1`, ... numbered in order of first appearance, so the text never hides a
// difference in identity.
#pragma once

#include <ostream>
#include <string>

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

std::string print(const Expr& e);
std::string print(const Stmt& s);

std::ostream& operator<<(std::ostream& os, const Expr& e);
std::ostream& operator<<(std::ostream& os, const Stmt& s);

}  // namespace nas::loop
