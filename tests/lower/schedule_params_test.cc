// ScheduleParams: derived from the target's vector registers, printable, and overridable
// through LowerOptions.
#include <gtest/gtest.h>

#include "compiler/target/schedule_params.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using testing::test_target;

TEST(ScheduleParams, FollowTheVectorRegisters) {
  const ScheduleParams wide = test_target("avx512f").schedule;
  EXPECT_EQ(wide.conv_accumulators, 16);
  EXPECT_EQ(wide.conv_pointwise_accumulators, 24);
  EXPECT_EQ(wide.conv_channel_vectors, (std::vector<int64_t>{4, 3, 2, 5, 7}));
  EXPECT_EQ(wide.window_block_columns, 14);
  for (const char* feature : {"avx2", "avx", "sse4.2"}) {
    const ScheduleParams narrow = test_target(feature).schedule;
    EXPECT_EQ(narrow.conv_accumulators, 8) << feature;
    EXPECT_EQ(narrow.conv_pointwise_accumulators, 8) << feature;
    EXPECT_EQ(narrow.conv_channel_vectors, (std::vector<int64_t>{2})) << feature;
    EXPECT_EQ(narrow.window_block_columns, 7) << feature;
  }
  // AArch64 has 32 vector registers of 4 lanes.
  const target::Target neon = target::parse_target("aarch64-cortex-a76");
  EXPECT_EQ(neon.vector_registers, 32);
  EXPECT_EQ(neon.schedule, wide);
  // The rest does not depend on the target.
  const ScheduleParams avx2 = test_target("avx2").schedule;
  EXPECT_EQ(avx2.min_parallel_work, 65536);
  EXPECT_EQ(avx2.conv_min_accumulator_use, 0.75);
  EXPECT_EQ(avx2.window_vector_taps, 36);
  EXPECT_EQ(avx2.window_unroll_taps, 64);
  EXPECT_EQ(avx2.window_max_vectors, 7);
  EXPECT_EQ(avx2.dense_vectors, 4);
  EXPECT_EQ(avx2.dense_accumulators, 12);
}

TEST(ScheduleParams, TargetsCarryTheirMachineFacts) {
  EXPECT_EQ(test_target("avx512f").vector_lanes, 16);
  EXPECT_EQ(test_target("avx512f").vector_registers, 32);
  EXPECT_EQ(test_target("avx2").vector_lanes, 8);
  EXPECT_EQ(test_target("avx").vector_lanes, 8);
  EXPECT_EQ(test_target("avx2").vector_registers, 16);
  EXPECT_EQ(test_target("sse4.2").vector_lanes, 4);
  EXPECT_EQ(test_target("neon").vector_lanes, 4);
  const target::Target rpi = target::parse_target(std::string(NAS_SOURCE_DIR) +
                                                  "/configs/targets/rpi4.yaml");
  EXPECT_EQ(rpi.vector_lanes, 4);
  EXPECT_EQ(rpi.vector_registers, 32);
  if (target::host_target().arch() == "x86_64") {
    EXPECT_EQ(target::parse_target("host-avx512").vector_lanes, 16);
    EXPECT_EQ(target::parse_target("host-avx2").vector_lanes, 8);
    EXPECT_EQ(target::parse_target("host-sse4").vector_lanes, 4);
    // A level of the host runs here: the host's caches and cores.
    const target::Target level = target::parse_target("host-sse4");
    EXPECT_EQ(level.l1d_bytes, target::host_target().l1d_bytes);
    EXPECT_EQ(level.l3_bytes, target::host_target().l3_bytes);
    EXPECT_EQ(level.cores, target::host_target().cores);
    // Not running here: the architecture's defaults.
    EXPECT_EQ(rpi.l1d_bytes, 32 << 10);
    EXPECT_EQ(rpi.cores, 4);
  }
  const target::Target& host = target::host_target();
  EXPECT_GT(host.l1d_bytes, 0);
  EXPECT_GE(host.l2_bytes, host.l1d_bytes);
  EXPECT_GE(host.cores, 1);
}

TEST(ScheduleParams, PrintsEveryFieldInOrder) {
  const ScheduleParams p = test_target("avx512f").schedule;
  EXPECT_EQ(p.to_string(),
            "min_parallel_work = 65536\n"
            "parallel_blocks_per_thread = 4\n"
            "conv_accumulators = 16\n"
            "conv_pointwise_accumulators = 24\n"
            "conv_channel_vectors = [4, 3, 2, 5, 7]\n"
            "conv_min_accumulator_use = 0.75\n"
            "conv_unroll_kw = 7\n"
            "conv_unroll_taps = 9\n"
            "conv_weight_chunk_bytes = 32768\n"
            "conv_prefetch_chunks = 0\n"
            "window_unroll_taps = 64\n"
            "window_vector_taps = 36\n"
            "window_max_lanes = 4\n"
            "window_max_vectors = 7\n"
            "window_block_columns = 14\n"
            "dense_vectors = 4\n"
            "dense_accumulators = 24\n"
            "dense_columns_outside_panel_bytes = 49152\n"
            "winograd_tile = 4\n"
            "winograd_min_channels = 16\n"
            "winograd_min_tiles = 16\n"
            "full_vector_padding = 0.25\n");
  const nlohmann::json j = p.to_json();
  EXPECT_EQ(j.size(), 22u);
  EXPECT_EQ(j.at("conv_accumulators"), 16);
  EXPECT_EQ(j.at("conv_channel_vectors"), nlohmann::json::array({4, 3, 2, 5, 7}));
  EXPECT_EQ(j.at("min_parallel_work"), 65536);
}

// A field set through LowerOptions reaches the schedule: a 1x1 conv 64 -> 64 at 8x8 with
// 16 accumulators takes 4 vectors x 4 columns; with 8, 4 vectors x 2 columns.
TEST(ScheduleParams, OverridesReachTheSchedule) {
  graph::Graph g("conv");
  SplitMix64 rng(1);
  const graph::ValueId x = g.add_input("x", {graph::DType::F32, {1, 64, 8, 8}});
  const graph::ValueId w = g.add_constant("w", testing::random_tensor({64, 64, 1, 1}, rng));
  g.add_output(g.add("Conv", {x, w}, {}, "conv"));
  const target::Target target = test_target("avx512f");
  auto schedule = [&](const LowerOptions& options) {
    return lower_group(g, passes::plan_fusion(g).groups.at(0), target, "k", options)
        .schedule.str();
  };
  EXPECT_NE(schedule({}).find("split conv.ow by 4\n"), std::string::npos) << schedule({});
  ScheduleParams fewer = target.schedule;
  fewer.conv_accumulators = 8;
  const std::string changed = schedule({.schedule_params = fewer});
  EXPECT_NE(changed.find("split conv.co.i by 16\nsplit conv.ow by 2\n"), std::string::npos)
      << changed;
}

}  // namespace
}  // namespace nas::lower
