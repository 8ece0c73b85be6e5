// Targets: host detection, the named targets, target files, which targets run here, and
// every error message.
#include "compiler/target/target.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/target/target_file.h"
#include "tests/test_util.h"

namespace nas::target {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using nas::testing::TempDir;
using nas::testing::user_error_message;

const std::string kConfigs = std::string(NAS_SOURCE_DIR) + "/configs/targets/";

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

bool host_is_x86_64() { return host_target().arch() == "x86_64"; }

TEST(Target, DetectsTheHost) {
  const Target& host = host_target();
  EXPECT_EQ(host.name, "host");
  EXPECT_FALSE(host.cpu.empty());
  EXPECT_EQ(host.threads, 1);
  EXPECT_EQ(parse_target("host"), host);
  EXPECT_TRUE(can_run_here(host));
  EXPECT_EQ(why_not_runnable(host), "");
  if (!host_is_x86_64()) GTEST_SKIP() << "host is " << host.triple;
  EXPECT_THAT(host.triple, ::testing::StartsWith("x86_64"));
  EXPECT_THAT(host.features, Contains("sse2"));
  EXPECT_THAT(host.features, Contains("sse4.2"));  // every x86_64 machine we build on
}

TEST(Target, NamedX86LevelsHaveTheirFeatures) {
  if (!host_is_x86_64()) GTEST_SKIP() << "host-* levels need an x86_64 host";
  const Target sse4 = parse_target("host-sse4");
  const Target avx2 = parse_target("host-avx2");
  const Target avx512 = parse_target("host-avx512");
  EXPECT_EQ(avx2.cpu, "x86-64-v3");
  EXPECT_EQ(avx2.triple, host_target().triple);
  for (const char* f : {"sse4.2", "popcnt", "ssse3", "sse2"}) EXPECT_THAT(sse4.features, Contains(f));
  EXPECT_THAT(sse4.features, Not(Contains("avx")));
  for (const char* f : {"avx2", "avx", "fma", "bmi2", "f16c", "sse4.2"})
    EXPECT_THAT(avx2.features, Contains(f));
  EXPECT_THAT(avx2.features, Not(Contains("avx512f")));
  EXPECT_THAT(avx512.features, Contains("avx512f"));
  EXPECT_THAT(avx512.features, Contains("avx512bw"));
  // Each level contains the one below.
  EXPECT_TRUE(std::ranges::includes(avx2.features, sse4.features));
  EXPECT_TRUE(std::ranges::includes(avx512.features, avx2.features));
}

TEST(Target, LevelsTheHostHasRunHere) {
  if (!host_is_x86_64()) GTEST_SKIP() << "host-* levels need an x86_64 host";
  for (const char* name : {"host-sse4", "host-avx2", "host-avx512"}) {
    const Target t = parse_target(name);
    EXPECT_EQ(can_run_here(t), std::ranges::includes(host_target().features, t.features)) << name;
  }
  EXPECT_TRUE(can_run_here(parse_target("host-sse4")));
}

TEST(Target, RunsWhereTheArchitectureMatchesAndTheFeaturesAreASubset) {
  if (!host_is_x86_64()) GTEST_SKIP() << "host-* levels need an x86_64 host";
  Target machine = parse_target("host-avx2");
  machine.cpu = "haswell";
  EXPECT_TRUE(can_run_on(parse_target("host-sse4"), machine));
  EXPECT_TRUE(can_run_on(parse_target("host-avx2"), machine));
  EXPECT_FALSE(can_run_on(parse_target("host-avx512"), machine));
  EXPECT_EQ(why_not_runnable_on(parse_target("host-avx512"), machine),
            "target 'host-avx512' (" + machine.triple + ", cpu x86-64-v4) needs features this "
            "host (haswell) lacks: avx512bw, avx512cd, avx512dq, avx512f, avx512vl, evex512; "
            "compile it with nas compile and measure it on a machine that has them");
  Target arm = parse_target("aarch64-cortex-a76");
  EXPECT_FALSE(can_run_on(parse_target("host-sse4"), arm));
  EXPECT_TRUE(can_run_on(parse_target("aarch64-cortex-a72"), arm));  // a subset of its features
}

TEST(Target, Aarch64IsACrossTarget) {
  const Target t = parse_target("aarch64-cortex-a76");
  EXPECT_EQ(t.triple, "aarch64-linux-gnu");
  EXPECT_EQ(t.arch(), "aarch64");
  EXPECT_EQ(t.cpu, "cortex-a76");
  for (const char* f : {"neon", "dotprod", "fp-armv8", "lse"}) EXPECT_THAT(t.features, Contains(f));
  EXPECT_EQ(parse_target("aarch64").cpu, "generic");
  if (!host_is_x86_64()) GTEST_SKIP();
  EXPECT_FALSE(can_run_here(t));
  EXPECT_EQ(why_not_runnable(t),
            "target 'aarch64-cortex-a76' (aarch64-linux-gnu) cannot run on this x86_64 host; "
            "compile it with nas compile and measure it on a machine of that kind");
}

TEST(Target, ReadsTheShippedTargetFiles) {
  const Target rpi4 = parse_target(kConfigs + "rpi4.yaml");
  EXPECT_EQ(rpi4.name, "rpi4");
  EXPECT_EQ(rpi4.triple, "aarch64-linux-gnu");
  EXPECT_EQ(rpi4.cpu, "cortex-a72");
  EXPECT_EQ(rpi4.features, (std::set<std::string>{"crc", "fp-armv8", "neon"}));
  EXPECT_EQ(rpi4.threads, 4);
  if (!host_is_x86_64()) GTEST_SKIP();
  EXPECT_EQ(why_not_runnable(rpi4),
            "target 'rpi4' (aarch64-linux-gnu) cannot run on this x86_64 host; compile it with "
            "nas compile and measure it on a machine of that kind");
  const Target avx2 = parse_target(kConfigs + "avx2.yaml");
  EXPECT_EQ(avx2.name, "avx2");
  EXPECT_EQ(avx2.features, parse_target("host-avx2").features);  // derived from the cpu
}

TEST(Target, RejectsUnknownNames) {
  EXPECT_EQ(user_error_message([] { parse_target("avx2"); }),
            "unknown target 'avx2': expected host, host-sse4, host-avx2, host-avx512, aarch64, "
            "aarch64-<cpu> (e.g. aarch64-cortex-a76) or a target file ending in .yaml (see "
            "configs/targets/)");
  EXPECT_EQ(user_error_message([] { parse_target("aarch64-cortex-z9"); }),
            "target 'aarch64-cortex-z9': LLVM does not know the aarch64 CPU 'cortex-z9' (e.g. "
            "generic, cortex-a53, cortex-a72, cortex-a76, neoverse-n1, apple-m1)");
}

// Each bad file and the message it must give.
struct BadFile {
  std::string text;
  std::string message;  // after "PATH:"
};

TEST(Target, RejectsBadFilesWithTheirLocation) {
  TempDir dir;
  const std::vector<BadFile> cases = {
      {"name: x\ntriple: [a\n", "3:1: invalid YAML: end of sequence flow not found"},
      {"- name\n", "1:1: expected a map with keys name, triple, cpu, features, threads, "
                   "vector_lanes, vector_registers, l1d_bytes, l2_bytes, l3_bytes, cores, "
                   "schedule, got a list"},
      {"name: x\ntriple: x86_64-pc-linux-gnu\ncpu: x86-64-v3\nthread: 2\n",
       "4:1: unknown key 'thread' (did you mean 'threads'?); known: name, triple, cpu, "
       "features, threads, vector_lanes, vector_registers, l1d_bytes, l2_bytes, l3_bytes, "
       "cores, schedule"},
      {"name: x\nname: y\n", "2:1: key 'name' appears twice (first at line 1)"},
      {"name: x\ncpu: x86-64-v3\n", "1:1: missing key 'triple'"},
      {"name: x\ntriple: toaster-linux-gnu\ncpu: v9\n",
       "2:9: key 'triple': LLVM does not know the architecture of 'toaster-linux-gnu' (e.g. "
       "x86_64-pc-linux-gnu, aarch64-linux-gnu)"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: cortex-z9\n",
       "3:6: key 'cpu': LLVM does not know the aarch64 CPU 'cortex-z9'"},
      {"name: [x]\ntriple: aarch64-linux-gnu\ncpu: generic\n",
       "1:7: key 'name': expected a non-empty string, got a list"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nfeatures: neon\n",
       "4:11: key 'features': expected a list of feature names such as [avx2, fma], got "
       "'neon'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nfeatures: [neon, avx2]\n",
       "4:18: key 'features.1': LLVM does not know the feature 'avx2' for aarch64-linux-gnu"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nthreads: many\n",
       "4:10: key 'threads': expected an integer >= 1, got 'many'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nthreads: 0\n",
       "4:10: key 'threads': expected an integer >= 1, got '0'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nvector_lanes: 32\n",
       "4:15: key 'vector_lanes': expected 4, 8 or 16, got '32'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\ncores: 0\n",
       "4:8: key 'cores': expected an integer >= 1, got '0'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nschedule: {conv_accumulator: 8}\n",
       "4:12: unknown key 'schedule.conv_accumulator' (did you mean 'schedule.conv_accumulators'?); "
       "known: min_parallel_work, parallel_blocks_per_thread, conv_accumulators, "
       "conv_pointwise_accumulators, conv_channel_vectors, conv_min_accumulator_use, conv_unroll_kw, conv_unroll_taps, "
       "conv_weight_chunk_bytes, conv_prefetch_chunks, window_unroll_taps, window_vector_taps, window_max_lanes, window_max_vectors, "
       "window_block_columns, dense_vectors, dense_accumulators, "
       "dense_columns_outside_panel_bytes, winograd_tile, winograd_min_channels, "
       "winograd_min_tiles, full_vector_padding"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nschedule: {winograd_tile: 6}\n",
       "4:27: key 'schedule.winograd_tile': expected 0, 2 or 4, got '6'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nschedule: {conv_channel_vectors: 2}\n",
       "4:34: key 'schedule.conv_channel_vectors': expected a list of whole numbers >= 1 such as "
       "[4, 3, 2], got '2'"},
      {"name: x\ntriple: aarch64-linux-gnu\ncpu: generic\nschedule:\n  min_parallel_work: -1\n",
       "5:22: key 'schedule.min_parallel_work': expected an integer >= 0, got '-1'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = write_file(dir, "bad" + std::to_string(i) + ".yaml", cases[i].text);
    EXPECT_EQ(user_error_message([&] { parse_target(path); }), path + ":" + cases[i].message)
        << cases[i].text;
  }
  const std::string missing = (dir / "missing.yaml").string();
  EXPECT_EQ(user_error_message([&] { parse_target(missing); }),
            "cannot read target file '" + missing + "'");
}

// A target file may set the machine facts and any default-schedule constant; the constants
// it leaves follow the vector registers it gives.
TEST(Target, FilesSetMachineFactsAndScheduleConstants) {
  TempDir dir;
  const Target plain = parse_target(
      write_file(dir, "plain.yaml", "name: arm\ntriple: aarch64-linux-gnu\ncpu: cortex-a72\n"));
  EXPECT_EQ(plain.vector_registers, 32);
  EXPECT_EQ(plain.schedule, default_schedule_params(32));
  const Target t = parse_target(write_file(
      dir, "t.yaml",
      "name: small\ntriple: aarch64-linux-gnu\ncpu: cortex-a72\nvector_registers: 16\n"
      "l1d_bytes: 16384\ncores: 2\nschedule:\n  min_parallel_work: 1000\n"
      "  conv_channel_vectors: [2, 1]\n  conv_min_accumulator_use: 0.5\n"));
  EXPECT_EQ(t.vector_registers, 16);
  EXPECT_EQ(t.vector_lanes, 4);
  EXPECT_EQ(t.l1d_bytes, 16384);
  EXPECT_EQ(t.l2_bytes, plain.l2_bytes);
  EXPECT_EQ(t.cores, 2);
  EXPECT_EQ(t.schedule.conv_accumulators, default_schedule_params(16).conv_accumulators);
  EXPECT_EQ(t.schedule.min_parallel_work, 1000);
  EXPECT_EQ(t.schedule.conv_channel_vectors, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(t.schedule.conv_min_accumulator_use, 0.5);
  EXPECT_EQ(t.schedule.window_unroll_taps, plain.schedule.window_unroll_taps);
}

TEST(Target, FeaturesAreSortedAndThreadsDefaultToOne) {
  TempDir dir;
  const std::string path =
      write_file(dir, "t.yaml", "name: arm\ntriple: aarch64-linux-gnu\ncpu: cortex-a72\n"
                                "features: [neon, crc, fp-armv8, neon]\n");
  const Target t = parse_target(path);
  EXPECT_EQ(t.features, (std::set<std::string>{"crc", "fp-armv8", "neon"}));
  EXPECT_EQ(t.threads, 1);
  EXPECT_EQ(t.str(), "arm (aarch64-linux-gnu, cpu cortex-a72, 3 features, 1 thread)");
}

}  // namespace
}  // namespace nas::target
