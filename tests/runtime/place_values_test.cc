// place_values, the placement step the compiled model's plan over kernels uses: the same
// offsets as plan_memory for a graph's own live ranges, and no two values that are live at
// the same step sharing bytes on random ranges.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "compiler/graph/memory_plan.h"
#include "evaluator/models/small_cnn.h"

namespace nas::graph {
namespace {

TEST(PlaceValues, SameAsPlanMemoryOnAGraphsRanges) {
  const MemoryPlan whole = plan_memory(evaluator::small_cnn(1));
  std::vector<PlannedValue> ranges = whole.values;
  std::ranges::reverse(ranges);  // any order in: sorted by value id out
  const MemoryPlan placed = place_values(ranges, whole.steps);
  ASSERT_EQ(placed.values.size(), whole.values.size());
  for (size_t i = 0; i < whole.values.size(); ++i) {
    EXPECT_EQ(placed.values[i].value, whole.values[i].value);
    EXPECT_EQ(placed.values[i].offset, whole.values[i].offset);
  }
  EXPECT_EQ(placed.arena_bytes, whole.arena_bytes);
  EXPECT_EQ(placed.lower_bound_bytes, whole.lower_bound_bytes);
}

TEST(PlaceValues, ValuesLiveTogetherNeverShareBytes) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t steps = 1 + static_cast<int64_t>(rng() % 12);
    std::vector<PlannedValue> values;
    for (ValueId v = 0; v < 20; ++v) {
      const int64_t first = static_cast<int64_t>(rng() % (steps + 1));
      const int64_t last = first + static_cast<int64_t>(rng() % (steps + 1 - first));
      const int64_t bytes = static_cast<int64_t>(rng() % 500);
      values.push_back({.value = v, .bytes = bytes, .aligned_bytes = (bytes + 63) / 64 * 64,
                        .first = first, .last = last});
    }
    const MemoryPlan plan = place_values(values, steps);
    EXPECT_GE(plan.arena_bytes, plan.lower_bound_bytes);
    for (const PlannedValue& a : plan.values) {
      EXPECT_EQ(a.offset % kArenaAlignment, 0);
      EXPECT_LE(a.offset + a.aligned_bytes, plan.arena_bytes);
      for (const PlannedValue& b : plan.values)
        if (a.value < b.value && a.overlaps_in_time(b) && a.bytes > 0 && b.bytes > 0)
          EXPECT_TRUE(a.offset + a.aligned_bytes <= b.offset ||
                      b.offset + b.aligned_bytes <= a.offset)
              << "values " << a.value << " and " << b.value << " in trial " << trial;
    }
  }
}

}  // namespace
}  // namespace nas::graph
