// The compile pipeline (compiler/compile.h): the graph steps keep what the model computes and
// plan fusion, the IR dump after each step, and the errors of a bad dump request.
#include "compiler/compile.h"

#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/reference_executor.h"
#include "evaluator/models/small_cnn.h"
#include "tests/passes/pass_test_util.h"
#include "tests/test_util.h"

namespace nas::compiler {
namespace {

using namespace graph;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nas::testing::user_error_message;

TEST(CompilePipeline, ListsItsSteps) {
  EXPECT_THAT(dump_steps(), ElementsAre("fold_batch_norm", "constant_folding",
                                        "divide_by_constants", "dead_code", "pad_channels",
                                        "widen_groups", "winograd", "scale_into_weights",
                                        "fusion", "layout", "lower", "llvm"));
}

TEST(CompilePipeline, KeepsTheResultsAndPlansFusion) {
  Graph g = passes::testing::mobilenet_block(4);
  OptimizedGraph result = optimize_graph(g);
  EXPECT_THAT(passes::check_fusion_plan(result.graph, result.fusion), ElementsAre());
  EXPECT_EQ(result.fusion.groups.size(), 3u);
  const std::vector<Tensor> inputs = passes::testing::random_inputs(g, 9);
  EXPECT_LT(passes::testing::max_relative_error(run_reference(result.graph, inputs)[0],
                                                run_reference(g, inputs)[0]),
            1e-5);
}

TEST(CompilePipeline, DumpsTheIrAfterTheChosenSteps) {
  std::ostringstream out;
  optimize_graph(evaluator::small_cnn(1), {.after = {"fold_batch_norm", "fusion"}, .to = &out});
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("// IR after fold_batch_norm\ngraph small_cnn("));
  EXPECT_THAT(text, HasSubstr("// IR after fusion\nfusion plan small_cnn"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("after constant_folding")));
}

// Every step of dump_steps() prints its IR, in the order of the list.
TEST(CompilePipeline, DumpsEveryStepInOrder) {
  std::ostringstream all;
  compile_model(evaluator::small_cnn(1),
                {.target = target::host_target(), .dump = {.after = {"all"}, .to = &all}});
  size_t last = 0;
  for (const std::string& step : dump_steps()) {
    const size_t at = all.str().find(fmt::format("// IR after {}\n", step));
    ASSERT_NE(at, std::string::npos) << step;
    EXPECT_GE(at, last) << step;
    last = at;
  }
}

TEST(CompilePipeline, ParsesTheDumpSyntax) {
  EXPECT_THAT(parse_ir_dump("after-fusion,after-dead_code").after,
              ElementsAre("fusion", "dead_code"));
  EXPECT_THAT(parse_ir_dump("all").after, ElementsAre("all"));
  EXPECT_THAT(parse_ir_dump("").after, ElementsAre());
}

TEST(CompilePipeline, RejectsUnknownDumpSteps) {
  EXPECT_EQ(user_error_message([] { parse_ir_dump("after-fuse"); }),
            "NAS_DUMP_IR: 'after-fuse' is neither 'all' nor after-<step>; the steps are "
            "fold_batch_norm, constant_folding, divide_by_constants, dead_code, pad_channels, "
            "widen_groups, winograd, scale_into_weights, fusion, layout, lower, llvm");
  EXPECT_THAT(user_error_message([] { parse_ir_dump("fusion"); }),
              HasSubstr("'fusion' is neither 'all' nor after-<step>"));
  EXPECT_EQ(user_error_message([] {
              optimize_graph(evaluator::small_cnn(1), {.after = {"alter_layout"}});
            }),
            "cannot dump the IR after 'alter_layout': the steps are fold_batch_norm, "
            "constant_folding, divide_by_constants, dead_code, pad_channels, widen_groups, "
            "winograd, scale_into_weights, fusion, layout, lower, llvm");
}

}  // namespace
}  // namespace nas::compiler
