// Golden default schedules: the schedule of every group of a few fixed workloads, for the
// named x86 targets (host-avx512, host-avx2, host-sse4) at 1 and 2 threads, with activations
// in NCHW and in the layout pass's NCHW[x]c, compared with the text files under
// tests/lower/golden/ (one per target). A change to a default schedule shows here as a diff
// of readable text; a refactoring of lower/default_schedule.* must leave them unchanged.
//
// After an intended change of the schedules, regenerate the files and review the diff:
//   NAS_UPDATE_GOLDEN=1 build/tests/nas_tests --gtest_filter='ScheduleGolden.*'
//   git diff tests/lower/golden/
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compiler/passes/layout.h"
#include "compiler/compile.h"
#include "tests/lower/lower_test_util.h"

namespace nas::lower {
namespace {

using graph::DType;
using graph::Graph;
using graph::Shape;
using graph::ValueId;
using testing::random_tensor;

ValueId conv(Graph& g, ValueId x, int64_t c_in, int64_t c_out, int64_t kernel, int64_t group,
             int64_t stride, SplitMix64& rng, const std::string& name) {
  const int64_t pad = kernel / 2;
  const ValueId w =
      g.add_constant(name + "_w", random_tensor({c_out, c_in / group, kernel, kernel}, rng));
  const ValueId b = g.add_constant(name + "_b", random_tensor({c_out}, rng));
  return g.add("Conv", {x, w, b},
               {{"group", group},
                {"pads", Shape{pad, pad, pad, pad}},
                {"strides", Shape{stride, stride}}},
               name);
}

// A network of the usual kernels at ImageNet-like sizes: a 3x3 conv 64 -> 64 at 56x56, a 1x1
// conv 64 -> 128, a depthwise 3x3 and a depthwise 7x7 (the large-window path), a residual
// add, a 3x3 max pool at stride 2, a 3x3 conv at stride 2, global pooling, a dense layer
// (Gemm, 128 -> 1000) and a softmax.
Graph workload_network() {
  Graph g("golden_net");
  SplitMix64 rng(7);
  const ValueId x = g.add_input("x", {DType::F32, {1, 64, 56, 56}});
  const ValueId c1 = g.add("Relu", {conv(g, x, 64, 64, 3, 1, 1, rng, "conv3x3")}, {}, "relu1");
  const ValueId c2 = g.add("Relu", {conv(g, c1, 64, 128, 1, 1, 1, rng, "conv1x1")}, {}, "relu2");
  const ValueId d3 = g.add("Relu", {conv(g, c2, 128, 128, 3, 128, 1, rng, "dw3x3")}, {}, "relu3");
  const ValueId d7 = conv(g, d3, 128, 128, 7, 128, 1, rng, "dw7x7");
  const ValueId sum = g.add("Add", {d7, c2}, {}, "residual");
  const ValueId pool = g.add("MaxPool", {sum},
                             {{"kernel_shape", Shape{3, 3}},
                              {"pads", Shape{1, 1, 1, 1}},
                              {"strides", Shape{2, 2}}},
                             "maxpool");
  const ValueId down =
      g.add("Relu", {conv(g, pool, 128, 128, 3, 1, 2, rng, "conv_s2")}, {}, "relu4");
  const ValueId gap = g.add("GlobalAveragePool", {down}, {}, "gap");
  const ValueId flat = g.add("Flatten", {gap}, {}, "flatten");
  const ValueId w = g.add_constant("fc_w", random_tensor({1000, 128}, rng));
  const ValueId b = g.add_constant("fc_b", random_tensor({1000}, rng));
  const ValueId fc = g.add("Gemm", {flat, w, b}, {{"transB", int64_t{1}}}, "fc");
  g.add_output(g.add("Softmax", {fc}, {{"axis", int64_t{1}}}, "softmax"));
  return g;
}

// Elementwise ops on graph inputs alone: an injective kernel with a broadcast.
Graph workload_injective() {
  Graph g("golden_injective");
  const ValueId a = g.add_input("a", {DType::F32, {1, 64, 56, 56}});
  const ValueId b = g.add_input("b", {DType::F32, {1, 64, 1, 1}});
  g.add_output(g.add("Relu", {g.add("Mul", {a, b}, {}, "scale")}, {}, "relu"));
  return g;
}

// Every group's schedule of `model` for `target`, under a heading naming the layout, the
// group's family and its anchor.
std::string print_schedules(const Graph& model, const target::Target& target, bool blocked) {
  const compiler::OptimizedGraph r = compiler::optimize_graph(model);
  LowerOptions options;
  if (blocked)
    options.channel_blocks =
        passes::plan_layouts(r.graph, r.fusion, target.vector_lanes).channel_blocks;
  std::string text;
  for (size_t i = 0; i < r.fusion.groups.size(); ++i) {
    const passes::FusedGroup& group = r.fusion.groups[i];
    const LoweredKernel k = lower_group(r.graph, group, target, fmt::format("k{}", i), options);
    text += fmt::format("## {} {} threads={} group {} {} (anchor {})\n", model.name(),
                        blocked ? "NCHW[x]c" : "NCHW", target.threads, i, schedule_family_name(k.family),
                        r.graph.nodes()[static_cast<size_t>(group.anchor)].name);
    text += k.schedule.str();
  }
  return text;
}

std::string golden_text(const std::string& target_name) {
  std::string text = fmt::format(
      "# Default schedules for {} (tests/lower/schedule_golden_test.cc)\n", target_name);
  for (int threads : {1, 2}) {
    target::Target target = target::parse_target(target_name);
    target.threads = threads;
    for (bool blocked : {false, true}) {
      text += print_schedules(workload_network(), target, blocked);
      text += print_schedules(workload_injective(), target, blocked);
    }
  }
  return text;
}

class ScheduleGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ScheduleGolden, MatchesTheFile) {
  if (target::host_target().arch() != "x86_64") GTEST_SKIP() << "the host-* targets need x86_64";
  const std::string path =
      std::string(NAS_SOURCE_DIR) + "/tests/lower/golden/" + GetParam() + ".txt";
  const std::string actual = golden_text(GetParam());
  const char* update = std::getenv("NAS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream file(path);
  ASSERT_TRUE(file) << "no golden file " << path << "; generate it with NAS_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << file.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "the default schedules for " << GetParam() << " changed; if intended, regenerate "
      << "with NAS_UPDATE_GOLDEN=1 and review the diff";
}

INSTANTIATE_TEST_SUITE_P(Targets, ScheduleGolden,
                         ::testing::Values("host-avx512", "host-avx2", "host-sse4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace nas::lower
