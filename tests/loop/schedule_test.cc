// Schedules as data (text, JSON) and lowering with each primitive, against the naive nest.
#include "compiler/loop/schedule.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compiler/loop/printer.h"
#include "compiler/support/error.h"
#include "tests/loop/schedule_test_util.h"

namespace nas::loop {
namespace {

using testing::conv2d;
using testing::depthwise_conv;
using testing::elementwise_chain;
using testing::expect_same_result;
using testing::matmul;
using testing::max_pool;

Schedule every_kind() {
  Schedule s;
  s.split("C", "i1", 8)
      .fuse("C", "i0", "i1.o")
      .reorder("C", {"i0.i1.o", "k", "i1.i"})
      .vectorize("C", "i1.i")
      .unroll("C", "k")
      .parallel("C", "i0.i1.o")
      .cache_write("C", "i0.i1.o", MemoryScope::Register)
      .compute_at("B", "C", "i0")
      .compute_inline("A")
      .prefetch("C", "B", "k", 2);
  return s;
}

TEST(LoopScheduleData, StepKindNames) {
  EXPECT_EQ(step_kind_name(StepKind::Split), "split");
  EXPECT_EQ(step_kind_name(StepKind::CacheWrite), "cache_write");
  EXPECT_EQ(step_kind_name(StepKind::ComputeInline), "compute_inline");
}

TEST(LoopScheduleData, PrintsOneStepALine) {
  EXPECT_EQ(every_kind().str(),
            "split C.i1 by 8\n"
            "fuse C.i0 i1.o\n"
            "reorder C: i0.i1.o k i1.i\n"
            "vectorize C.i1.i\n"
            "unroll C.k\n"
            "parallel C.i0.i1.o\n"
            "cache_write C at i0.i1.o (register)\n"
            "compute_at B at C.i0\n"
            "compute_inline A\n"
            "prefetch B in C.k + 2\n");
}

TEST(LoopScheduleData, TileIsTwoSplitsAndAReorder) {
  Schedule s;
  s.tile("C", "i0", "i1", 4, 2);
  EXPECT_EQ(s.str(), "split C.i0 by 4\nsplit C.i1 by 2\nreorder C: i0.o i1.o i0.i i1.i\n");
}

TEST(LoopScheduleData, JsonRoundTrip) {
  const Schedule s = every_kind();
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j["steps"][0]["kind"], "split");
  EXPECT_EQ(j["steps"][0]["factor"], 8);
  EXPECT_EQ(j["steps"][6]["scope"], "register");
  EXPECT_EQ(j["steps"][7]["target"], "C");
  EXPECT_EQ(j["steps"][9]["target"], "B");
  EXPECT_EQ(j["steps"][9]["factor"], 2);
  EXPECT_EQ(Schedule::from_json(j), s);
  EXPECT_EQ(Schedule::from_json(nlohmann::json::parse(j.dump())), s);
}

void expect_json_error(const std::string& text, const std::string& message) {
  try {
    Schedule::from_json(nlohmann::json::parse(text));
    FAIL() << "accepted " << text;
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(LoopScheduleData, MalformedJsonNamesTheProblem) {
  expect_json_error("[]", "expected an object with a \"steps\" list");
  expect_json_error(R"({"steps": 3})", "\"steps\" must be a list");
  expect_json_error(R"({"steps": [{"stage": "C"}]})", "schedule step 0: missing \"kind\"");
  expect_json_error(R"({"steps": [{"kind": "splt", "stage": "C", "axes": ["i"]}]})",
                    "schedule step 0: unknown kind \"splt\"");
  expect_json_error(R"({"steps": [{"kind": "split", "axes": ["i"], "factor": 2}]})",
                    "schedule step 0: missing \"stage\"");
  expect_json_error(R"({"steps": [{"kind": "split", "stage": "C", "axes": ["i"]}]})",
                    "\"factor\" must be an integer");
  expect_json_error(R"({"steps": [{"kind": "split", "stage": "C", "axes": ["i"], "factor": 0}]})",
                    "factor 0 is not positive");
  expect_json_error(R"({"steps": [{"kind": "fuse", "stage": "C", "axes": ["i"]}]})",
                    "schedule step 0 (fuse): expected 2 axes, got 1");
  expect_json_error(R"({"steps": [{"kind": "unroll", "stage": "C", "axes": [1]}]})",
                    "axis 1 is not a string");
  expect_json_error(
      R"({"steps": [{"kind": "cache_write", "stage": "C", "axes": ["i"], "scope": "gpu"}]})",
      "unknown scope \"gpu\"");
  expect_json_error(R"({"steps": [{"kind": "compute_at", "stage": "B", "axes": ["i"]}]})",
                    "missing \"target\"");
  expect_json_error(R"({"steps": [{"kind": "reorder", "stage": "C", "axes": []}]})",
                    "expected at least one axis");
  expect_json_error(R"({"steps": [{"kind": "prefetch", "stage": "C", "axes": ["k"], "factor": 1}]})",
                    "schedule step 0: missing \"target\"");
  expect_json_error(
      R"({"steps": [{"kind": "prefetch", "stage": "C", "axes": ["k"], "target": "B", "factor": 0}]})",
      "schedule step 0 (prefetch): offset 0 is not positive");
}

// ---- Golden nests --------------------------------------------------------------------

TEST(LoopSchedule, SplitReorderVectorizeMatmulGolden) {
  const auto s = matmul(4, 3, 8);
  Schedule schedule;
  schedule.split("C", "i1", 4).reorder("C", {"i0", "i1.o", "k", "i1.i"}).vectorize("C", "i1.i");
  EXPECT_EQ(print(lower(s.stages, schedule)),
            "for (i0, 0, 4) {\n"
            "  for (i1.o, 0, 2) {\n"
            "    C[ramp(i0*8 + i1.o*4, 1, 4)] = broadcast(0.0f, 4)\n"
            "    for (k, 0, 3) {\n"
            "      C[ramp(i0*8 + i1.o*4, 1, 4)] = C[ramp(i0*8 + i1.o*4, 1, 4)] + broadcast(A[i0*3 + k], 4)*B[ramp(k*8 + i1.o*4, 1, 4)]\n"
            "    }\n"
            "  }\n"
            "}\n");
}

TEST(LoopSchedule, CacheWriteConvGolden) {
  const auto s = conv2d(1, 2, 4, 4, 8, 3, 1, 1);
  Schedule schedule;
  schedule.compute_inline("padded")
      .split("conv", "oc", 4)
      .split("conv", "ow", 2)
      .reorder("conv", {"n", "oc.o", "oh", "ow.o", "ic", "kh", "kw", "ow.i", "oc.i"})
      .cache_write("conv", "ow.o", MemoryScope::Register)
      .unroll("conv", "ow.i")
      .vectorize("conv", "oc.i");
  // Partitioned at the padding's borders: the interior (oh 1..2) reads without selects.
  EXPECT_EQ(print(lower(s.stages, schedule)),
            "for (oc.o, 0, 2) {\n"
            "  allocate conv.acc: f32[8] register {\n"
            "    conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "    conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "    for (ic, 0, 2) {\n"
            "      conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9, 18, 4)]*broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9, 18, 4)]*broadcast(0.0f, 4)\n"
            "      for (kw, 1, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "      for (kh, 1, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + -4], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]\n"
            "        for (kw, 1, 2) {\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + -5], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + -4], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "        }\n"
            "      }\n"
            "    }\n"
            "    conv[ramp(oc.o*64, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    conv[ramp(oc.o*64 + 1, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "  }\n"
            "  allocate conv.acc: f32[8] register {\n"
            "    conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "    conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "    for (ic, 0, 2) {\n"
            "      for (kw, 0, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "      conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 2, 18, 4)]*broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 2, 18, 4)]*broadcast(0.0f, 4)\n"
            "      for (kh, 1, 2) {\n"
            "        for (kw, 0, 2) {\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + -3], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + -2], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "        }\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + -1], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "    }\n"
            "    conv[ramp(oc.o*64 + 2, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    conv[ramp(oc.o*64 + 3, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "  }\n"
            "  for (oh, 1, 2) {\n"
            "    allocate conv.acc: f32[8] register {\n"
            "      conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "      for (ic, 0, 2) {\n"
            "        for (kh, 0, 3) {\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]*broadcast(0.0f, 4)\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + -4], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]\n"
            "          for (kw, 1, 2) {\n"
            "            conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + kw + -5], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "            conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + kw + -4], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          }\n"
            "        }\n"
            "      }\n"
            "      conv[ramp((oc.o*16 + oh)*4, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "      conv[ramp((oc.o*16 + oh)*4 + 1, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    }\n"
            "    allocate conv.acc: f32[8] register {\n"
            "      conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "      for (ic, 0, 2) {\n"
            "        for (kh, 0, 3) {\n"
            "          for (kw, 0, 2) {\n"
            "            conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + kw + -3], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "            conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + kw + -2], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          }\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + (oh + kh))*4 + -1], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]*broadcast(0.0f, 4)\n"
            "        }\n"
            "      }\n"
            "      conv[ramp((oc.o*16 + oh)*4 + 2, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "      conv[ramp((oc.o*16 + oh)*4 + 3, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    }\n"
            "  }\n"
            "  allocate conv.acc: f32[8] register {\n"
            "    conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "    conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "    for (ic, 0, 2) {\n"
            "      for (kh, 0, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + 8], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3, 18, 4)]\n"
            "        for (kw, 1, 2) {\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + 7], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + 8], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "        }\n"
            "      }\n"
            "      conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "      for (kw, 1, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "    }\n"
            "    conv[ramp(oc.o*64 + 12, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    conv[ramp(oc.o*64 + 13, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "  }\n"
            "  allocate conv.acc: f32[8] register {\n"
            "    conv.acc[ramp(0, 1, 4)] = broadcast(0.0f, 4)\n"
            "    conv.acc[ramp(4, 1, 4)] = broadcast(0.0f, 4)\n"
            "    for (ic, 0, 2) {\n"
            "      for (kh, 0, 2) {\n"
            "        for (kw, 0, 2) {\n"
            "          conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + 9], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "          conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + kw + 10], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + kw, 18, 4)]\n"
            "        }\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + broadcast(in[(ic*4 + kh)*4 + 11], 4)*weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp(((oc.o*8 + ic)*3 + kh)*3 + 2, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "      for (kw, 0, 2) {\n"
            "        conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "        conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + kw + 6, 18, 4)]*broadcast(0.0f, 4)\n"
            "      }\n"
            "      conv.acc[ramp(0, 1, 4)] = conv.acc[ramp(0, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 8, 18, 4)]*broadcast(0.0f, 4)\n"
            "      conv.acc[ramp(4, 1, 4)] = conv.acc[ramp(4, 1, 4)] + weight[ramp((oc.o*8 + ic)*9 + 8, 18, 4)]*broadcast(0.0f, 4)\n"
            "    }\n"
            "    conv[ramp(oc.o*64 + 14, 16, 4)] = max(conv.acc[ramp(0, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "    conv[ramp(oc.o*64 + 15, 16, 4)] = max(conv.acc[ramp(4, 1, 4)] + bias[ramp(oc.o*4, 1, 4)], broadcast(0.0f, 4))\n"
            "  }\n"
            "}\n");
}

// ---- Each primitive against the naive nest -----------------------------------------

TEST(LoopSchedule, SplitThatDividesAndThatDoesNot) {
  const auto s = matmul(5, 7, 6);
  for (int64_t f : {1, 2, 3, 4, 5, 6, 7, 9}) {
    Schedule schedule;
    schedule.split("C", "i0", f).split("C", "i1", f).split("C", "k", f);
    expect_same_result(s, schedule, true);
  }
}

TEST(LoopSchedule, GuardsThatAlwaysHoldDisappear) {
  const auto s = matmul(4, 3, 8);
  Schedule schedule;
  schedule.split("C", "i1", 4);
  EXPECT_EQ(print(lower(s.stages, schedule)).find("if"), std::string::npos);
  // 3 does not divide 4: the guard holds on the main part, the tail is the last row.
  schedule.split("C", "i0", 3);
  const std::string text = print(lower(s.stages, schedule));
  EXPECT_EQ(text.find("if"), std::string::npos) << text;
  EXPECT_NE(text.find("C[i1.o*4 + i1.i + 24] = 0.0f"), std::string::npos) << text;
}

// A split that does not divide: the outer loop is partitioned into a main part without the
// guard (vectorized with all lanes) and a tail whose inner loop has fewer lanes.
TEST(LoopSchedule, GuardedSplitIsPartitionedAndVectorized) {
  const auto s = matmul(2, 3, 7);
  Schedule schedule;
  schedule.split("C", "i1", 4).reorder("C", {"i0", "k", "i1.o", "i1.i"}).vectorize("C", "i1.i");
  expect_same_result(s, schedule, true);
  EXPECT_EQ(print(lower(s.stages, schedule)),
            "for (i0, 0, 2) {\n"
            "  C[ramp(i0*7, 1, 4)] = broadcast(0.0f, 4)\n"
            "  C[ramp(i0*7 + 4, 1, 3)] = broadcast(0.0f, 3)\n"
            "  for (k, 0, 3) {\n"
            "    C[ramp(i0*7, 1, 4)] = C[ramp(i0*7, 1, 4)] + broadcast(A[i0*3 + k], 4)*B[ramp(k*7, 1, 4)]\n"
            "    C[ramp(i0*7 + 4, 1, 3)] = C[ramp(i0*7 + 4, 1, 3)] + broadcast(A[i0*3 + k], 3)*B[ramp(k*7 + 4, 1, 3)]\n"
            "  }\n"
            "}\n");
}

TEST(LoopSchedule, FuseAndReorder) {
  const auto s = matmul(5, 7, 6);
  Schedule schedule;
  schedule.fuse("C", "i0", "i1").split("C", "i0.i1", 4).reorder("C", {"k", "i0.i1.o"});
  expect_same_result(s, schedule, true);
}

TEST(LoopSchedule, ReorderedReductionLoopsMatchWithinRounding) {
  const auto s = conv2d(1, 3, 6, 5, 4, 3, 1, 2);
  Schedule schedule;
  schedule.reorder("conv", {"kw", "kh", "ic"}).reorder("conv", {"oh", "kw", "ow"});
  expect_same_result(s, schedule, false);
}

TEST(LoopSchedule, TileParallelUnrollVectorize) {
  const auto s = matmul(6, 5, 8);
  Schedule schedule;
  schedule.tile("C", "i0", "i1", 3, 4)
      .parallel("C", "i0.o")
      .unroll("C", "i0.i")
      .reorder("C", {"k", "i0.i"})
      .vectorize("C", "i1.i");
  expect_same_result(s, schedule, true);
  const std::string text = print(lower(s.stages, schedule));
  EXPECT_NE(text.find("parallel"), std::string::npos) << text;
  EXPECT_NE(text.find("ramp("), std::string::npos) << text;
}

TEST(LoopSchedule, CacheWriteOfConvWithEpilogue) {
  const auto s = conv2d(1, 3, 7, 6, 5, 3, 1, 2);
  for (bool unroll : {false, true}) {
    Schedule schedule;
    schedule.split("conv", "oc", 2)
        .split("conv", "ow", 2)
        .reorder("conv", {"n", "oc.o", "oh", "ow.o", "ic", "kh", "kw", "ow.i", "oc.i"})
        .cache_write("conv", "ow.o", unroll ? MemoryScope::Register : MemoryScope::Local);
    if (unroll) schedule.unroll("conv", "ow.i").parallel("conv", "oc.o");
    expect_same_result(s, schedule, true);
  }
}

// The input channels in chunks outside the register block: the output holds the partial
// sums between chunks, and the epilogue (bias, then ReLU, which would clip a partial sum)
// runs once, after the last. 5 channels in chunks of 2 leave a guarded chunk of 1.
TEST(LoopSchedule, CacheWriteInsideAReductionSplitIntoChunks) {
  const auto s = conv2d(1, 5, 7, 6, 6, 3, 1, 1);
  for (int64_t chunk : {1, 2, 5})
    for (bool unroll : {false, true}) {
      Schedule schedule;
      schedule.split("conv", "oc", 2)
          .split("conv", "ow", 3)
          .split("conv", "ic", chunk)
          .reorder("conv", {"n", "oc.o", "ic.o", "oh", "ow.o", "ic.i", "kh", "kw", "ow.i", "oc.i"})
          .cache_write("conv", "ow.o", unroll ? MemoryScope::Register : MemoryScope::Local);
      if (unroll) schedule.unroll("conv", "ow.i").vectorize("conv", "oc.i").parallel("conv", "oc.o");
      expect_same_result(s, schedule, true, fmt::format("chunks of {}, unrolled {}", chunk, unroll));
    }
  // Without an epilogue the partial sums and the result are stored alike.
  const auto plain = conv2d(1, 4, 5, 5, 4, 3, 1, 1, /*separate_epilogue=*/true);
  Schedule schedule;
  schedule.split("conv", "ic", 2)
      .reorder("conv", {"n", "ic.o", "oc", "oh", "ow", "ic.i", "kh", "kw"})
      .cache_write("conv", "oh", MemoryScope::Local);
  expect_same_result(plain, schedule, true);
}

// Prefetching the weights of the next chunk of input channels: one prefetch per distinct
// line inside the innermost serial loop (not per unrolled copy, and at the vector's first
// lane), the index one chunk ahead; the result is unchanged, with a guarded last chunk and
// the prefetch past the end of the weights.
int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(LoopSchedule, PrefetchOfTheNextChunkOfWeights) {
  const auto s = conv2d(1, 5, 7, 6, 6, 3, 1, 1);
  for (int64_t chunk : {2, 5}) {
    Schedule schedule;
    schedule.split("conv", "oc", 2)
        .split("conv", "ow", 3)
        .split("conv", "ic", chunk)
        .reorder("conv", {"n", "oc.o", "ic.o", "oh", "ow.o", "ic.i", "kh", "kw", "ow.i", "oc.i"})
        .cache_write("conv", "ow.o", MemoryScope::Register)
        .unroll("conv", "ow.i")
        .unroll("conv", "kw")
        .vectorize("conv", "oc.i")
        .prefetch("conv", "weight", "ic.o", 1);
    expect_same_result(s, schedule, true, fmt::format("chunks of {}", chunk));
    // weight[oc, ic, kh, kw] is 6 x 5 x 3 x 3: the first chunk prefetches the second, 9
    // floats a channel ahead; three prefetches (the unrolled taps kw) in each kh loop of
    // the update (oc.i, vectorized, at 0).
    const std::string text = print(lower(s.stages, schedule));
    const std::string second =
        fmt::format("prefetch weight[((oc.o*10 + ic.i)*3 + kh)*3 + {}]\n", chunk * 9);
    EXPECT_NE(text.find(second), std::string::npos) << text;
    EXPECT_EQ(count(text, "prefetch weight["), 3 * count(text, "for (kh, 0, 3) {")) << text;
    EXPECT_GT(count(text, "prefetch weight["), 0);
    EXPECT_EQ(count(text, "prefetch weight[ramp"), 0);
  }
}

TEST(LoopSchedule, RegisterBlockedConvHasConstantAccumulatorIndices) {
  const auto s = conv2d(1, 2, 6, 6, 8, 3, 1, 1);
  Schedule schedule;
  schedule.compute_inline("padded")
      .split("conv", "oc", 4)
      .split("conv", "ow", 3)
      .reorder("conv", {"n", "oc.o", "oh", "ow.o", "ic", "kh", "kw", "ow.i", "oc.i"})
      .cache_write("conv", "ow.o", MemoryScope::Register)
      .unroll("conv", "ow.i")
      .vectorize("conv", "oc.i");
  expect_same_result(s, schedule, true);
  const std::string text = print(lower(s.stages, schedule));
  for (const char* access : {"conv.acc[ramp(0, 1, 4)]", "conv.acc[ramp(4, 1, 4)]",
                             "conv.acc[ramp(8, 1, 4)]"})
    EXPECT_NE(text.find(access), std::string::npos) << access << "\n" << text;
  EXPECT_NE(text.find("allocate conv.acc"), std::string::npos) << text;
}

// Output width 7 blocked by 3: the partitioned tail keeps one column, and no guard is left.
TEST(LoopSchedule, RegisterBlockedConvWithATail) {
  const auto s = conv2d(1, 2, 5, 7, 8, 3, 1, 1);
  Schedule schedule;
  schedule.compute_inline("padded")
      .split("conv", "oc", 4)
      .split("conv", "ow", 3)
      .reorder("conv", {"n", "oc.o", "oh", "ow.o", "ic", "kh", "kw", "ow.i", "oc.i"})
      .cache_write("conv", "ow.o", MemoryScope::Register)
      .unroll("conv", "ow.i")
      .vectorize("conv", "oc.i")
      .parallel("conv", "oc.o");
  expect_same_result(s, schedule, true);
  const std::string text = print(lower(s.stages, schedule));
  EXPECT_EQ(text.find("if ("), std::string::npos) << text;
  EXPECT_EQ(text.find("vectorized"), std::string::npos) << text;
  // The blocks of columns are peeled at the padding's borders; the last block (column 6
  // of 7) stores one column.
  EXPECT_NE(text.find("conv[ramp((oc.o*20 + oh)*7 + 6, 35, 4)]"), std::string::npos) << text;
  EXPECT_EQ(text.find("conv[ramp((oc.o*20 + oh)*7 + 7, 35, 4)]"), std::string::npos) << text;
}

// A network-sized layer: lowering is symbolic (its cost does not grow with the shape), and
// the blocked schedule leaves no guard and no hinted loop.
TEST(LoopSchedule, NetworkSizedConvLowersToGuardFreeVectorCode) {
  const auto s = conv2d(1, 32, 30, 30, 64, 3, 1, 1);
  Schedule schedule;
  schedule.compute_inline("padded")
      .split("conv", "oc", 8)
      .split("conv", "ow", 4)
      .reorder("conv", {"n", "oc.o", "oh", "ow.o", "ic", "kh", "kw", "ow.i", "oc.i"})
      .cache_write("conv", "ow.o", MemoryScope::Register)
      .unroll("conv", "ow.i")
      .vectorize("conv", "oc.i")
      .fuse("conv", "n", "oc.o")
      .parallel("conv", "n.oc.o");
  const std::string text = print(lower(s.stages, schedule));
  EXPECT_EQ(text.find("if ("), std::string::npos) << text;
  EXPECT_EQ(text.find("vectorized"), std::string::npos) << text;
  EXPECT_NE(text.find("for (n.oc.o, 0, 8) parallel"), std::string::npos) << text;
  EXPECT_NE(text.find("conv.acc[ramp(8, 1, 8)]"), std::string::npos) << text;
}

TEST(LoopSchedule, ComputeInlineAndComputeAt) {
  const auto chain = elementwise_chain(5, 7);
  {
    Schedule schedule;
    schedule.compute_inline("B");
    expect_same_result(chain, schedule, true);
    EXPECT_EQ(print(lower(chain.stages, schedule)).find("B["), std::string::npos);
  }
  for (const char* at : {"i0", "i1.o", "i1.i"}) {
    Schedule schedule;
    schedule.split("C", "i1", 3).compute_at("B", "C", at);
    expect_same_result(chain, schedule, true, at);
  }
  const auto conv = conv2d(1, 2, 5, 7, 3, 3, 1, 2, /*separate_epilogue=*/true);
  for (const char* at : {"n", "oc", "ow.o"}) {
    Schedule schedule;
    schedule.compute_inline("padded").split("out", "ow", 2).compute_at("conv", "out", at);
    expect_same_result(conv, schedule, true, at);
  }
}

TEST(LoopSchedule, DepthwiseConvAndMaxPool) {
  const auto dw = depthwise_conv(3, 7, 6, 3);
  Schedule a;
  a.split("dw", "ow", 2).reorder("dw", {"c", "oh", "kh", "kw", "ow.o", "ow.i"})
      .cache_write("dw", "oh", MemoryScope::Local).vectorize("dw", "ow.i");
  expect_same_result(dw, a, true);
  const auto pool = max_pool(3, 7, 9, 3, 2);
  Schedule b;
  b.split("pool", "ow", 2).reorder("pool", {"kh", "kw", "ow.i"}).cache_write("pool", "oh", MemoryScope::Register)
      .unroll("pool", "ow.i");
  expect_same_result(pool, b, true);
}

// A vectorized loop around a loop stays a hinted loop; one over a strided index gathers.
TEST(LoopSchedule, VectorizeFallsBackToAHintAndGathers) {
  const auto s = matmul(4, 3, 5);
  Schedule hinted;
  hinted.vectorize("C", "i1");
  expect_same_result(s, hinted, true);
  const std::string text = print(lower(s.stages, hinted));
  EXPECT_NE(text.find("for (i1, 0, 5) vectorized"), std::string::npos) << text;
  Schedule gather;
  gather.reorder("C", {"i1", "k", "i0"}).vectorize("C", "i0");
  expect_same_result(s, gather, false);
  const std::string gathered = print(lower(s.stages, gather));
  EXPECT_NE(gathered.find("A[ramp(k, 3, 4)]"), std::string::npos) << gathered;
  EXPECT_EQ(gathered.find("vectorized"), std::string::npos) << gathered;
}

TEST(LoopSchedule, LoopNamesAfterASchedule) {
  const auto s = matmul(5, 7, 6);
  Schedule schedule;
  schedule.tile("C", "i0", "i1", 2, 3).fuse("C", "i0.o", "i1.o");
  EXPECT_EQ(loop_names(s.stages, schedule, "C"),
            (std::vector<std::string>{"i0.o.i1.o", "i0.i", "i1.i", "k"}));
  EXPECT_THROW(loop_names(s.stages, schedule, "D"), ScheduleError);
}

// ---- Errors ----------------------------------------------------------------------------

void expect_schedule_error(const testing::Stages& s, const Schedule& schedule,
                           const std::string& message) {
  try {
    lower(s.stages, schedule);
    FAIL() << "accepted\n" << schedule.str();
  } catch (const ScheduleError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(LoopSchedule, ErrorsNameTheStepAndTheProblem) {
  const auto mm = matmul(5, 7, 6);
  expect_schedule_error(mm, Schedule().split("X", "i0", 2),
                        "schedule step 0 (split X.i0 by 2): no stage X");
  expect_schedule_error(mm, Schedule().split("C", "i0", 2).split("C", "i0", 2),
                        "schedule step 1 (split C.i0 by 2): stage C has no loop i0 (its loops: "
                        "i0.o, i0.i, i1, k)");
  expect_schedule_error(mm, Schedule().split("C", "i0", 0), "split factor 0 is not positive");
  expect_schedule_error(mm, Schedule().fuse("C", "i0", "k"),
                        "loops C.i0 and C.k are not adjacent");
  expect_schedule_error(mm, Schedule().fuse("C", "i1", "k"),
                        "cannot fuse a spatial and a reduction loop (C.i1, C.k)");
  expect_schedule_error(mm, Schedule().reorder("C", {"k", "k"}), "loop C.k appears twice");
  expect_schedule_error(mm, Schedule().vectorize("C", "k"), "cannot vectorize reduction loop C.k");
  expect_schedule_error(matmul(2, 2, 100), Schedule().vectorize("C", "i1"),
                        "cannot vectorize C.i1: extent 100 is more than 64 lanes");
  expect_schedule_error(mm, Schedule().vectorize("C", "i1").split("C", "i1", 2),
                        "loop C.i1 is already vectorized");
  expect_schedule_error(matmul(2, 2, 100), Schedule().unroll("C", "i1"),
                        "cannot unroll C.i1: extent 100 is more than 64");
  expect_schedule_error(mm, Schedule().parallel("C", "k"), "cannot run reduction loop C.k in parallel");
  expect_schedule_error(mm, Schedule().reorder("C", {"k", "i0"}).parallel("C", "i0"),
                        "parallel loop C.i0 must sit outside every reduction loop");
  expect_schedule_error(mm, Schedule().parallel("C", "i0").parallel("C", "i1"),
                        "stage C has nested parallel loops");
  expect_schedule_error(mm, Schedule().cache_write("C", "k", MemoryScope::Local),
                        "cache_write of C at reduction loop k");
  expect_schedule_error(mm,
                        Schedule().split("C", "k", 4).reorder("C", {"k.o", "k.i", "i0", "i1"}).cache_write(
                            "C", "i1", MemoryScope::Local),
                        "reduction loop C.k.o outside the cache_write has a guard of its own");
  expect_schedule_error(mm, Schedule().cache_write("C", "i0", MemoryScope::Local).split("C", "i0", 2),
                        "loop C.i0 holds a cache_write");
  const auto chain = elementwise_chain(5, 7);
  expect_schedule_error(chain, Schedule().cache_write("C", "i0", MemoryScope::Local),
                        "cache_write of C, which is not a reduction");
  expect_schedule_error(chain, Schedule().compute_at("C", "B", "i0"),
                        "C is not read pointwise by B alone");
  expect_schedule_error(chain, Schedule().compute_at("B", "D", "i0"), "no stage D");
  expect_schedule_error(chain, Schedule().split("B", "i0", 2).compute_inline("B"),
                        "stage B has a schedule of its own");
  expect_schedule_error(chain, Schedule().compute_inline("B").split("B", "i0", 2),
                        "stage B is inlined: it has no loops of its own");
  expect_schedule_error(mm, Schedule().compute_inline("C"), "cannot inline reduction C");
  const auto conv = conv2d(1, 2, 5, 5, 3, 3, 1, 1);
  expect_schedule_error(conv, Schedule().compute_at("padded", "conv", "n"),
                        "padded is not read pointwise by conv alone");
  expect_schedule_error(conv, Schedule().prefetch("conv", "bias", "ic", 1),
                        "prefetch of bias in conv: its reduction does not read it");
  expect_schedule_error(conv, Schedule().prefetch("conv", "weight", "ic", 1).split("conv", "ic", 2),
                        "prefetch of weight in conv.ic: no such loop any more");
  expect_schedule_error(chain, Schedule().prefetch("C", "B", "i0", 1),
                        "prefetch in C, which is not a reduction");
  expect_schedule_error(mm, Schedule().prefetch("C", "B", "k", 0), "prefetch offset 0 is not positive");
}

}  // namespace
}  // namespace nas::loop

namespace nas::loop {
namespace {

// A cast of the vectorized loop's variable widens to a cast of its ramp.
TEST(LoopScheduleVectorize, CastOfTheLoopVariable) {
  Tensor p = compute("p", {8}, [](const std::vector<Var>& v) { return cast(Type::f32(), v[0]); });
  Schedule s;
  s.vectorize("p", "i0");
  std::vector<float> out(8);
  Interpreter interp;
  interp.bind(p.buffer(), out);
  interp.run(lower({p}, s));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], static_cast<float>(i));
}

}  // namespace
}  // namespace nas::loop
