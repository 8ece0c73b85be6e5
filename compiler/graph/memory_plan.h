// A static memory plan: where every activation of a graph lives in one arena.
//
// The plan covers the graph inputs and every node output (constants are weights, held
// elsewhere, and are not planned). Time is the node index: a graph input is live from step 0,
// a node output from the step of its defining node; each value stays live through the last
// node that reads it, and a graph output stays live to the end (step nodes().size()). A value
// nobody reads still occupies its bytes at its defining step. The plan guarantees that two
// values whose live ranges overlap (inclusive, so a node's inputs and outputs never share
// bytes: no in-place reuse) get disjoint byte ranges [offset, offset + aligned_bytes), that
// every offset is a multiple of kArenaAlignment, and that the arena holds them all. Offsets
// are chosen greedily, largest value first, each into the best-fitting (smallest) gap left
// between the already placed values it overlaps; the arena size is therefore at least
// `lower_bound_bytes`, the most aligned bytes live at any one step, and equals it on chains.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::graph {

inline constexpr int64_t kArenaAlignment = 64;

struct PlannedValue {
  ValueId value = kNoValue;
  int64_t bytes = 0;          // numel * dtype size
  int64_t aligned_bytes = 0;  // bytes rounded up to kArenaAlignment
  int64_t first = 0;          // first step at which it is live
  int64_t last = 0;           // last step at which it is live (inclusive)
  int64_t offset = 0;         // byte offset in the arena, a multiple of kArenaAlignment

  bool overlaps_in_time(const PlannedValue& other) const {
    return first <= other.last && other.first <= last;
  }
};

struct MemoryPlan {
  std::vector<PlannedValue> values;  // graph inputs and node outputs, in value-id order
  int64_t arena_bytes = 0;           // = peak activation memory of the plan
  int64_t lower_bound_bytes = 0;     // max over steps of the live aligned bytes
  int64_t steps = 0;                 // nodes().size(); graph outputs are live at this step

  // The planned value, or nullptr for constants and values outside the plan.
  const PlannedValue* find(ValueId value) const;
};

MemoryPlan plan_memory(const Graph& graph);

// The same placement for live ranges that another planner computed (first, last, bytes and
// aligned_bytes set; e.g. the compiled model's plan over the values handed between kernels,
// with kernels as steps): `values` sorted by value id, offsets assigned.
MemoryPlan place_values(std::vector<PlannedValue> values, int64_t steps);

}  // namespace nas::graph
