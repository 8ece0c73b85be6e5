#include "compiler/graph/memory_plan.h"

#include <algorithm>
#include <limits>

#include "compiler/support/error.h"

namespace nas::graph {

namespace {

int64_t align_up(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// Live ranges of the graph inputs and node outputs, in value-id order.
std::vector<PlannedValue> live_ranges(const Graph& graph) {
  const auto steps = static_cast<int64_t>(graph.nodes().size());
  std::vector<int64_t> first(graph.values().size(), -1);
  for (ValueId v : graph.inputs()) first[v] = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n)
    for (ValueId v : graph.nodes()[n].outputs) first[v] = static_cast<int64_t>(n);

  std::vector<int64_t> last = first;
  for (size_t n = 0; n < graph.nodes().size(); ++n)
    for (ValueId v : graph.nodes()[n].inputs)
      if (v != kNoValue && first[v] >= 0) last[v] = std::max(last[v], static_cast<int64_t>(n));
  for (ValueId v : graph.outputs())
    if (first[v] >= 0) last[v] = steps;

  std::vector<PlannedValue> ranges;
  for (size_t v = 0; v < first.size(); ++v) {
    if (first[v] < 0) continue;  // a constant
    const TensorType& type = graph.values()[v].type;
    const int64_t bytes = type.numel() * dtype_size(type.dtype);
    ranges.push_back(PlannedValue{.value = static_cast<ValueId>(v),
                                  .bytes = bytes,
                                  .aligned_bytes = align_up(bytes),
                                  .first = first[v],
                                  .last = last[v]});
  }
  return ranges;
}

int64_t peak_live_bytes(const std::vector<PlannedValue>& values, int64_t steps) {
  // Difference array over steps 0..steps.
  std::vector<int64_t> delta(static_cast<size_t>(steps) + 2, 0);
  for (const PlannedValue& p : values) {
    delta[p.first] += p.aligned_bytes;
    delta[p.last + 1] -= p.aligned_bytes;
  }
  int64_t live = 0, peak = 0;
  for (int64_t d : delta) peak = std::max(peak, live += d);
  return peak;
}

// Greedy by size with best fit: each value, largest first, goes into the smallest gap
// between the placed values it overlaps in time that holds it, or above them all.
void assign_offsets(std::vector<PlannedValue>& values) {
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (values[a].aligned_bytes != values[b].aligned_bytes)
      return values[a].aligned_bytes > values[b].aligned_bytes;
    return values[a].first < values[b].first;  // then earliest, then value id (stable)
  });

  std::vector<const PlannedValue*> placed;  // sorted by offset
  std::vector<const PlannedValue*> conflicts;
  for (size_t i : order) {
    PlannedValue& p = values[i];
    if (p.aligned_bytes == 0) continue;  // empty tensors take no bytes; offset 0
    conflicts.clear();
    for (const PlannedValue* q : placed)
      if (q->overlaps_in_time(p)) conflicts.push_back(q);

    int64_t best_offset = -1;
    int64_t best_gap = std::numeric_limits<int64_t>::max();
    int64_t cursor = 0;  // end of the lowest block of conflicting values seen so far
    for (const PlannedValue* q : conflicts) {
      const int64_t gap = q->offset - cursor;
      if (gap >= p.aligned_bytes && gap < best_gap) {
        best_gap = gap;
        best_offset = cursor;
      }
      cursor = std::max(cursor, q->offset + q->aligned_bytes);
    }
    p.offset = best_offset >= 0 ? best_offset : cursor;

    auto at = std::upper_bound(placed.begin(), placed.end(), p.offset,
                               [](int64_t off, const PlannedValue* q) { return off < q->offset; });
    placed.insert(at, &p);
  }
}

}  // namespace

const PlannedValue* MemoryPlan::find(ValueId value) const {
  auto it = std::lower_bound(values.begin(), values.end(), value,
                             [](const PlannedValue& p, ValueId v) { return p.value < v; });
  return it != values.end() && it->value == value ? &*it : nullptr;
}

MemoryPlan plan_memory(const Graph& graph) {
  return place_values(live_ranges(graph), static_cast<int64_t>(graph.nodes().size()));
}

MemoryPlan place_values(std::vector<PlannedValue> values, int64_t steps) {
  MemoryPlan plan;
  plan.steps = steps;
  plan.values = std::move(values);
  std::ranges::sort(plan.values, {}, &PlannedValue::value);
  plan.lower_bound_bytes = peak_live_bytes(plan.values, plan.steps);
  assign_offsets(plan.values);
  for (const PlannedValue& p : plan.values) {
    NAS_CHECK(p.offset % kArenaAlignment == 0, "value {} at unaligned offset {}", p.value,
              p.offset);
    plan.arena_bytes = std::max(plan.arena_bytes, p.offset + p.aligned_bytes);
  }
  return plan;
}

}  // namespace nas::graph
