// Random schedules over the test stages: every one lowers, and computes what the naive
// nest does (within fp32 rounding, since a random reorder may change a reduction's order).
#include <gtest/gtest.h>

#include <set>

#include "compiler/loop/printer.h"
#include "compiler/loop/schedule.h"
#include "tests/loop/schedule_test_util.h"

namespace nas::loop {
namespace {

using testing::Stages;

void check_seeds(const Stages& s, uint64_t first, int count, std::set<std::string>* kinds) {
  const std::vector<float> want = testing::naive_result(s);
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const Schedule schedule = random_schedule(s.stages, seed);
    for (const ScheduleStep& step : schedule.steps) kinds->insert(std::string(step_kind_name(step.kind)));
    SCOPED_TRACE("seed " + std::to_string(seed));
    ASSERT_NO_THROW(lower(s.stages, schedule)) << schedule.str();
    testing::expect_result(s, want, schedule, /*exact=*/false);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(LoopScheduleRandom, SameSeedSameSchedule) {
  const auto s = testing::conv2d(1, 3, 7, 6, 4, 3, 1, 2);
  EXPECT_EQ(random_schedule(s.stages, 42), random_schedule(s.stages, 42));
  bool differs = false;
  for (uint64_t seed = 1; seed < 10; ++seed)
    differs = differs || !(random_schedule(s.stages, seed) == random_schedule(s.stages, 42));
  EXPECT_TRUE(differs);
}

TEST(LoopScheduleRandom, MatmulAndElementwiseChain) {
  std::set<std::string> kinds;
  check_seeds(testing::matmul(5, 7, 6), 0, 150, &kinds);
  check_seeds(testing::elementwise_chain(5, 7), 1000, 150, &kinds);
  for (const char* kind : {"split", "fuse", "reorder", "vectorize", "unroll", "parallel",
                           "cache_write", "compute_at", "compute_inline"})
    EXPECT_TRUE(kinds.contains(kind)) << kind;
}

TEST(LoopScheduleRandom, ConvolutionsAndPooling) {
  std::set<std::string> kinds;
  check_seeds(testing::conv2d(1, 2, 6, 5, 3, 3, 1, 2), 2000, 80, &kinds);
  check_seeds(testing::conv2d(1, 2, 5, 6, 3, 3, 1, 2, /*separate_epilogue=*/true), 3000, 80, &kinds);
  check_seeds(testing::depthwise_conv(3, 6, 7, 3), 4000, 100, &kinds);
  check_seeds(testing::max_pool(3, 7, 9, 3, 2), 5000, 100, &kinds);
  EXPECT_TRUE(kinds.contains("cache_write"));
  EXPECT_TRUE(kinds.contains("compute_at"));
}

}  // namespace
}  // namespace nas::loop
