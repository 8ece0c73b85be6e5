// run_graph_pipeline: the result computes what the input did, the IR dump after each step,
// and the NAS_DUMP_IR errors.
#include "compiler/passes/pipeline.h"

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/reference_executor.h"
#include "evaluator/models/small_cnn.h"
#include "tests/passes/pass_test_util.h"
#include "tests/test_util.h"

namespace nas::passes {
namespace {

using namespace graph;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nas::testing::user_error_message;

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(Pipeline, ListsItsSteps) {
  std::vector<std::string> names;
  for (const Pass& pass : graph_passes()) names.push_back(pass.name);
  EXPECT_THAT(names, ElementsAre("fold_batch_norm", "constant_folding", "dead_code"));
}

TEST(Pipeline, KeepsTheResultsAndPlansFusion) {
  Graph g = testing::mobilenet_block(4);
  PipelineResult result = run_graph_pipeline(g);
  EXPECT_THAT(check_fusion_plan(result.graph, result.fusion), ElementsAre());
  EXPECT_EQ(result.fusion.groups.size(), 3u);
  const std::vector<Tensor> inputs = testing::random_inputs(g, 9);
  EXPECT_LT(testing::max_relative_error(run_reference(result.graph, inputs)[0],
                                        run_reference(g, inputs)[0]),
            1e-5);
}

TEST(Pipeline, DumpsTheIrAfterTheChosenSteps) {
  std::ostringstream out;
  run_graph_pipeline(evaluator::small_cnn(1), {.dump_after = {"fold_batch_norm", "fusion"},
                                               .dump_to = &out});
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("// IR after fold_batch_norm\ngraph small_cnn("));
  EXPECT_THAT(text, HasSubstr("// IR after fusion\nfusion plan small_cnn"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("after constant_folding")));
  std::ostringstream all;
  run_graph_pipeline(evaluator::small_cnn(1), {.dump_after = {"all"}, .dump_to = &all});
  for (const char* step : {"fold_batch_norm", "constant_folding", "dead_code", "fusion"})
    EXPECT_THAT(all.str(), HasSubstr(fmt::format("// IR after {}\n", step)));
}

TEST(Pipeline, ReadsTheDumpStepsFromTheEnvironment) {
  ScopedEnv env("NAS_DUMP_IR", "after-fusion,after-dead_code");
  EXPECT_THAT(pipeline_options_from_env().dump_after, ElementsAre("fusion", "dead_code"));
}

TEST(Pipeline, RejectsUnknownDumpSteps) {
  {
    ScopedEnv env("NAS_DUMP_IR", "after-fuse");
    EXPECT_EQ(user_error_message([] { pipeline_options_from_env(); }),
              "NAS_DUMP_IR: 'after-fuse' is neither 'all' nor after-<step>; the steps are "
              "fold_batch_norm, constant_folding, dead_code, fusion, layout, lower, llvm");
  }
  {
    ScopedEnv env("NAS_DUMP_IR", "fusion");
    EXPECT_THAT(user_error_message([] { pipeline_options_from_env(); }),
                HasSubstr("'fusion' is neither 'all' nor after-<step>"));
  }
  EXPECT_EQ(user_error_message([] {
              run_graph_pipeline(evaluator::small_cnn(1), {.dump_after = {"alter_layout"}});
            }),
            "cannot dump the IR after 'alter_layout': the steps are fold_batch_norm, "
            "constant_folding, dead_code, fusion, layout, lower, llvm");
}

}  // namespace
}  // namespace nas::passes
