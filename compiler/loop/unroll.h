// Unrolling (Halide's UnrollLoops): every loop marked ForKind::Unrolled, whose extent must
// be a constant, becomes its body repeated once per iteration with the loop variable
// replaced by the iteration's value. Run the simplifier afterwards to fold the constants.
#pragma once

#include "compiler/loop/stmt.h"

namespace nas::loop {

Stmt unroll_loops(const Stmt& s);

}  // namespace nas::loop
