// The loop structure of a list of stages under a partly applied schedule (TVM's Stage with
// its leaf iter vars and relations), shared by lower(stages, schedule) and random_schedule.
//
// Each stage keeps its leaf loops in nest order, the value of every original axis variable
// as an expression of the leaf variables (split: x = x.o*f + x.i; fuse: x = xy / ny,
// y = xy % ny), and the guards that a split by a factor that does not divide adds
// (x.o*f + x.i < n). Applying a step checks it and throws ScheduleError; validate() checks
// what only holds for the whole schedule (a parallel loop outside every reduction loop,
// attachments at loops that still exist, ...).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/loop/compute.h"
#include "compiler/loop/schedule.h"
#include "compiler/loop/substitute.h"

namespace nas::loop::schedule_detail {

struct LeafLoop {
  std::string name;
  Var var;
  int64_t extent = 0;
  bool reduce = false;
  ForKind kind = ForKind::Serial;
};

struct Guard {
  Expr condition;
  bool reduce = false;  // involves a reduction loop
};

enum class Placement : uint8_t { Root, Inline, At };

// The loads in `e`, in visiting order (pointers into e's nodes).
std::vector<const Load*> loads_in(const Expr& e);

// A prefetch step: the lines of `tensor` that iteration loop + offset reads.
struct PrefetchAhead {
  std::string tensor;
  std::string loop;
  int64_t offset = 1;
};

struct StageState {
  Tensor tensor;
  std::vector<LeafLoop> leaves;
  Substitutions root_values;  // original axis variable -> expression of leaf variables
  std::vector<Guard> guards;
  bool loops_changed = false;

  std::optional<std::string> cache_write_at;
  MemoryScope cache_scope = MemoryScope::Local;
  std::vector<PrefetchAhead> prefetches;

  Placement placement = Placement::Root;
  int at_consumer = -1;   // Placement::At: the consumer's stage index
  std::string at_loop;    // and its loop

  bool is_reduction() const { return tensor.definition()->reduction != nullptr; }
  // Index of the leaf named `name`, or -1.
  int find(const std::string& name) const;
  int first_reduce() const;  // index of the outermost reduction leaf (leaves.size() if none)
};

class ScheduleState {
 public:
  explicit ScheduleState(const std::vector<Tensor>& stages);

  void apply(const ScheduleStep& step);
  void validate() const;
  const std::vector<StageState>& stages() const { return stages_; }
  int find_stage(const std::string& name) const;  // -1 if none
  // Whether stage `consumer` reads stage `producer` only at its own output point, and
  // no other stage reads the producer.
  bool reads_pointwise(int producer, int consumer) const;
  bool is_read_by(int producer, int consumer) const;

 private:
  StageState& stage_of(const ScheduleStep& step);
  int leaf_of(const StageState& s, const std::string& name) const;

  std::vector<StageState> stages_;
};

// The nest of the scheduled stages, before unrolling, vectorizing and simplifying.
Stmt emit(const ScheduleState& state);

}  // namespace nas::loop::schedule_detail
