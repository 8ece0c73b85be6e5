// Vectorization (Halide's VectorizeLoops): a loop marked ForKind::Vectorized with a
// constant extent whose body holds no loop, allocation or condition that depends on it
// becomes that body once, with the loop variable replaced by Ramp(min, 1, lanes) and every
// expression widened: invariants are broadcast, ramps combine with broadcasts into ramps
// (so an index x*8 + i becomes Ramp(x*8, 1, lanes): a contiguous vector access), other
// indices stay vectors (gathers and scatters). A store must depend on the variable (an
// invariant store repeated by every lane would be a reduction). Loops that cannot be
// widened stay ForKind::Vectorized: codegen emits them as serial loops with a hint.
#pragma once

#include "compiler/loop/stmt.h"

namespace nas::loop {

Stmt vectorize_loops(const Stmt& s);

}  // namespace nas::loop
