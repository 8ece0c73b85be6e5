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

// Checks `count` seeds; returns how many of them lowered to vector code.
int check_seeds(const Stages& s, uint64_t first, int count, std::set<std::string>* kinds) {
  const std::vector<float> want = testing::naive_result(s);
  int vector_code = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const Schedule schedule = random_schedule(s.stages, seed);
    for (const ScheduleStep& step : schedule.steps) kinds->insert(std::string(step_kind_name(step.kind)));
    SCOPED_TRACE("seed " + std::to_string(seed));
    Stmt nest;
    EXPECT_NO_THROW(nest = lower(s.stages, schedule)) << schedule.str();
    if (!nest.defined()) return vector_code;
    vector_code += print(nest).find("ramp(") != std::string::npos;
    testing::expect_result(s, want, schedule, /*exact=*/false);
    if (::testing::Test::HasFatalFailure()) return vector_code;
  }
  return vector_code;
}

TEST(LoopScheduleRandom, SameSeedSameSchedule) {
  const auto s = testing::conv2d(1, 3, 7, 6, 4, 3, 1, 2);
  EXPECT_EQ(random_schedule(s.stages, 42), random_schedule(s.stages, 42));
  bool differs = false;
  for (uint64_t seed = 1; seed < 10; ++seed)
    differs = differs || !(random_schedule(s.stages, seed) == random_schedule(s.stages, 42));
  EXPECT_TRUE(differs);
}

// A stage of rank 0 (a sum of everything, as ReduceMean over all axes without keepdims)
// has no loop of its own: random schedules leave it alone instead of picking from no loops.
TEST(LoopScheduleRandom, StageOfRankZero) {
  Tensor x = Tensor::placeholder("x", {3, 5});
  Axis i = reduce_axis("i", 3), j = reduce_axis("j", 5);
  Tensor total = compute("total", {}, [&](const std::vector<Var>&) { return sum(x(i, j), {i, j}); });
  const Stages s{{x}, {total}};
  std::set<std::string> kinds;
  check_seeds(s, 1, 20, &kinds);
}

TEST(LoopScheduleRandom, JsonRoundTrip) {
  const auto s = testing::conv2d(1, 2, 5, 6, 3, 3, 1, 2, /*separate_epilogue=*/true);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const Schedule schedule = random_schedule(s.stages, seed);
    EXPECT_EQ(Schedule::from_json(nlohmann::json::parse(schedule.to_json().dump())), schedule);
  }
}

TEST(LoopScheduleRandom, MatmulAndElementwiseChain) {
  std::set<std::string> kinds;
  EXPECT_GT(check_seeds(testing::matmul(5, 7, 6), 0, 150, &kinds), 15);
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
