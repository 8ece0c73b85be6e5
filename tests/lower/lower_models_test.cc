// Whole models through the graph pipeline: every group of the fusion plan of the small CNN
// and of decoded architectures of the shipped spaces, lowered and checked against the
// reference. Images are shrunk (the interpreter is slow; the ops and fusions stay the same).
#include <algorithm>

#include <gtest/gtest.h>

#include "compiler/graph/rebuild.h"
#include "compiler/passes/layout.h"
#include "compiler/compile.h"
#include "evaluator/models/small_cnn.h"
#include "space/space_file.h"
#include "tests/lower/lower_test_util.h"
#include "tests/shipped_spaces.h"

namespace nas::lower {
namespace {

using nas::testing::shipped_space;

using graph::Graph;
using graph::Shape;

Graph with_image(const Graph& g, Shape image) {
  graph::RebuildOptions options;
  options.input_types[g.inputs().at(0)] = graph::TensorType{graph::DType::F32, std::move(image)};
  return graph::rebuild_graph(g, options).graph;
}

bool contains(const std::vector<std::string>& families, const std::string& family) {
  return std::ranges::count(families, family) != 0;
}

// Checks every group of the pipeline's plan for `model`, with activations in NCHW and
// then in the layout pass's NCHW[x]c for the target; returns the families.
std::vector<std::string> check_model(const Graph& model, const testing::ScheduleCase& sc) {
  SCOPED_TRACE(sc.label);
  const compiler::OptimizedGraph r = compiler::optimize_graph(model);
  const std::vector<std::string> families =
      testing::check_plan(r.graph, r.fusion, sc.options, 1, sc.target);
  LowerOptions blocked = sc.options;
  blocked.channel_blocks =
      passes::plan_layouts(r.graph, r.fusion, sc.target.vector_lanes).channel_blocks;
  EXPECT_FALSE(blocked.channel_blocks.empty()) << "no value of the model is blocked";
  SCOPED_TRACE("NCHW[x]c");
  EXPECT_EQ(testing::check_plan(r.graph, r.fusion, blocked, 1, sc.target), families);
  return families;
}

// Models take long in the interpreter: one random schedule only.
std::vector<testing::ScheduleCase> model_schedules() { return testing::schedules_to_check(1); }

TEST(LowerModels, SmallCnn) {
  const Graph model = with_image(evaluator::small_cnn(5), {1, 1, 3, 5});
  for (const testing::ScheduleCase& options : model_schedules()) {
    const std::vector<std::string> families = check_model(model, options);
    EXPECT_EQ(std::ranges::count(families, "conv2d"), 3) << fmt::format("{}", fmt::join(families, ","));
    EXPECT_TRUE(contains(families, "dense"));
    EXPECT_TRUE(contains(families, "pool"));
  }
}

TEST(LowerModels, MobileNetArchitectures) {
  const space::SearchSpace& s = shipped_space("mobilenet_28");
  for (const char* arch : {"8,1,3,1,16,relu,off,1,3,1,24,relu,off,1,3,1,40,relu,off,64",
                           "8,2,7,2,16,hswish,on,1,5,2,24,relu,on,1,3,1,40,hswish,off,64"}) {
    SCOPED_TRACE(arch);
    const Graph model = with_image(s.decode(s.parse(arch)), {1, 1, 7, 6});
    for (const testing::ScheduleCase& options : model_schedules()) {
      const std::vector<std::string> families = check_model(model, options);
      EXPECT_TRUE(contains(families, "depthwise_conv2d"));
      EXPECT_TRUE(contains(families, "conv2d"));
      EXPECT_TRUE(contains(families, "dense"));
    }
  }
}

TEST(LowerModels, Nb201Architectures) {
  const space::SearchSpace& s = shipped_space("nb201_28");
  for (const char* arch : {"conv3x3,skip,avgpool3x3,conv1x1,none,skip",
                           "none,none,none,none,none,none"}) {
    SCOPED_TRACE(arch);
    const Graph model = with_image(s.decode(s.parse(arch)), {1, 1, 4, 3});
    for (const testing::ScheduleCase& options : model_schedules()) {
      const std::vector<std::string> families = check_model(model, options);
      EXPECT_TRUE(contains(families, "conv2d"));
      EXPECT_TRUE(contains(families, "pool"));
    }
  }
}

}  // namespace
}  // namespace nas::lower
