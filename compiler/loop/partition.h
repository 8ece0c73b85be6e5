// Loop partitioning (Halide's PartitionLoops): a loop whose body holds a guard that is
// provably true for the first iterations (a split by a factor that does not divide:
// `x.o*f + x.i < n`) becomes two loops, a main part over those iterations and a tail over
// the rest. Running the simplifier afterwards removes the guard from the main part, so its
// inner loops can be vectorized and unrolled without conditions; the tail keeps it.
// Select conditions that compare integers (a sliding window's padding test) cut serial and
// unrolled loops too, before the first iteration where they hold on the rest of the loop
// and after the last one where they hold from its start: the interior of a convolution's
// output then reads its input without clamps or selects, in contiguous vectors.
// Only loops with constant bounds are partitioned; the proof is the simplifier's range
// analysis, so a guard it cannot decide leaves the loop as it is.
#pragma once

#include "compiler/loop/stmt.h"

namespace nas::loop {

Stmt partition_loops(const Stmt& s);

}  // namespace nas::loop
