// Schedules (TVM's te.create_schedule, as plain data): a list of steps that rewrite the loop
// nest of a list of compute stages (compute.h) without changing what it computes. A schedule
// can be printed, stored as JSON, replayed, generated at random for differential tests, and
// searched over by the tuner.
//
// Loops are named "<axis>" within a stage: a compute's spatial axes by their names (i0, i1,
// ... unless compute() was given names), reduction axes by theirs. split(x, f) replaces loop
// x by "x.o" (extent ceil(n / f)) and "x.i" (extent f); when f does not divide n the body is
// guarded, so every split is valid. fuse(x, y) makes "x.y".
//
//   Schedule s;
//   s.split("C", "i1", 8).reorder("C", {"i0", "i1.o", "k", "i1.i"})
//    .vectorize("C", "i1.i").parallel("C", "i0").cache_write("C", "i1.o", MemoryScope::Register);
//   Stmt nest = lower({C}, s);
//
// lower() returns code in which the loops marked vectorized are real vector code where the
// body allows it (contiguous loads and stores become vector loads/stores, others gathers or
// scatters; loops the vectorizer cannot handle stay ForKind::Vectorized, which codegen treats
// as a serial loop with a vectorization hint) and loops marked unrolled are unrolled.
//
// What lower() checks (ScheduleError otherwise):
// - vectorize: a spatial loop of at most 64 iterations; unroll: at most 64 iterations;
//   parallel: one spatial loop per stage, outside every reduction loop and at or outside
//   the stage's cache_write and compute_at loops; an annotated loop is not split or fused.
// - cache_write at a spatial loop x. The spatial loops inside x may sit below the
//   reduction loops: the local buffer covers them (row-major in loop order), and it is
//   initialised before and stored after the reduction loops. Reduction loops outside x
//   split the reduction into chunks (a 1x1 convolution's input channels, so that a chunk
//   of weights stays in L1): the stage's buffer holds the partial result between chunks,
//   reloaded on all but the first and stored without the epilogue on all but the last.
// - compute_at of a producer read by its consumer alone, at its own output point (same
//   shape), at a spatial loop of the consumer outside its reduction loops and at or
//   outside its cache_write loop; the producer has no schedule of its own.
// - compute_inline of a non-reducing stage without a schedule of its own.
// - prefetch in a reduction stage, at a loop that still exists, of a tensor its reduction
//   reads (the index ahead may lie past the tensor: a prefetch never faults).
// How the nest comes out: a split that does not divide guards the body; a loop whose
// guard holds on its first iterations is partitioned into a guard-free main part and a
// tail (partition.h), so the inner loops of the main part vectorize and unroll cleanly.
// Copies of a loop (the init, update and store nests of a reduction, the main part and
// tail of a partitioned loop) are sibling For nodes that bind the same Var.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/loop/compute.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

enum class StepKind : uint8_t {
  Split,       // stage, axes = {x}, factor: x -> x.o, x.i
  Fuse,        // stage, axes = {x, y} (adjacent, x outside y) -> x.y
  Reorder,     // stage, axes = the new order of these loops (they keep their positions)
  Vectorize,   // stage, axes = {x}: x (constant extent) becomes vector lanes
  Unroll,      // stage, axes = {x}: x (constant extent) is unrolled
  Parallel,    // stage, axes = {x}: iterations of x run on the thread pool
  CacheWrite,  // stage (a reduction), axes = {x}, scope: for each iteration of x, the stage
               // accumulates the part of its output inside x in a local buffer (registers for
               // MemoryScope::Register), then stores it (through its epilogue) once
  ComputeAt,   // stage (the producer), axes = {x}, target = the consumer stage that reads the
               // producer pointwise: the producer is computed inside the consumer's loop x,
               // only for the region the consumer needs there, into a local buffer
  ComputeInline,  // stage (not a reduction): its expression is substituted into its readers
  Prefetch,    // stage (a reduction), axes = {x}, target = a tensor it reads, factor = f: the
               // lines of the target that iteration x + f reads are prefetched where the
               // current iteration reads them (right inside the innermost serial loop around
               // the reads), so a chunk's weights arrive while the chunk before computes
};
std::string_view step_kind_name(StepKind kind);  // "split", ...

struct ScheduleStep {
  StepKind kind = StepKind::Split;
  std::string stage;
  std::vector<std::string> axes;
  int64_t factor = 0;                            // Split; Prefetch: iterations ahead
  MemoryScope scope = MemoryScope::Local;        // CacheWrite
  std::string target;  // ComputeAt: the consumer stage; Prefetch: the tensor read
  bool operator==(const ScheduleStep&) const = default;
};

class Schedule {
 public:
  std::vector<ScheduleStep> steps;

  Schedule& split(const std::string& stage, const std::string& axis, int64_t factor);
  Schedule& fuse(const std::string& stage, const std::string& outer, const std::string& inner);
  Schedule& reorder(const std::string& stage, std::vector<std::string> order);
  // split both axes and order them x.o, y.o, x.i, y.i.
  Schedule& tile(const std::string& stage, const std::string& x, const std::string& y,
                 int64_t x_factor, int64_t y_factor);
  Schedule& vectorize(const std::string& stage, const std::string& axis);
  Schedule& unroll(const std::string& stage, const std::string& axis);
  Schedule& parallel(const std::string& stage, const std::string& axis);
  Schedule& cache_write(const std::string& stage, const std::string& at_axis, MemoryScope scope);
  Schedule& compute_at(const std::string& producer, const std::string& consumer,
                       const std::string& consumer_axis);
  Schedule& compute_inline(const std::string& stage);
  Schedule& prefetch(const std::string& stage, const std::string& tensor, const std::string& axis,
                     int64_t offset);

  // One step per line, e.g. "split C.i1 by 8".
  std::string str() const;
  nlohmann::json to_json() const;
  // Throws UserError naming what is wrong in a malformed JSON schedule.
  static Schedule from_json(const nlohmann::json& j);
  bool operator==(const Schedule&) const = default;
};

// The loop nest of `stages` (as compute.h's lower) rewritten by `schedule`. A step that does
// not apply (unknown stage or loop, reorder across a loop of another nest, vectorize of a
// loop without a constant extent, ...) throws ScheduleError naming the step.
Stmt lower(const std::vector<Tensor>& stages, const Schedule& schedule);

struct ScheduleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The names of a stage's loops, outermost first, after `schedule` (for schedules built in
// steps, and for tuners). Throws ScheduleError like lower().
std::vector<std::string> loop_names(const std::vector<Tensor>& stages, const Schedule& schedule,
                                    const std::string& stage);

// A random schedule that lower() accepts for these stages: splits by random factors
// (dividing or not), reorders, fuses, vectorize/unroll of small constant-extent loops,
// parallel outer loops, cache_write, compute_at and compute_inline where they apply. Same
// seed, same schedule. For differential tests: no schedule may change a result beyond fp32
// rounding.
Schedule random_schedule(const std::vector<Tensor>& stages, uint64_t seed);

}  // namespace nas::loop
