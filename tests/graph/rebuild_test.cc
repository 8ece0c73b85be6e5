// rebuild_graph and with_batch_size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/printer.h"
#include "compiler/graph/rebuild.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/test_util.h"

namespace nas::graph {
namespace {

Graph flatten_model(int64_t batch, bool reshape) {
  Graph g("m");
  ValueId x = g.add_input("x", {DType::F32, {batch, 2, 3}});
  ValueId r = g.add("Relu", {x}, {}, "relu");
  ValueId f = reshape ? g.add("Reshape", {r}, {{"shape", Shape{batch, -1}}}, "flat")
                      : g.add("Flatten", {r}, {}, "flat");
  ValueId w = g.add_constant("w", Tensor::f32({6, 2}, {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}));
  g.add_output(g.add("MatMul", {f, w}, {}, "out"));
  return g;
}

TEST(Rebuild, IdentityRebuildPrintsTheSame) {
  Graph g = flatten_model(2, false);
  EXPECT_EQ(print_graph(rebuild_graph(g, {}).graph), print_graph(g));
}

TEST(Rebuild, ChangesBatchThroughFlattenAndReshape) {
  for (bool reshape : {false, true}) {
    Graph g = with_batch_size(flatten_model(1, reshape), 3);
    EXPECT_TRUE(verify_graph(g).empty());
    EXPECT_EQ(g.type(g.outputs()[0]).shape, (Shape{3, 2}));
    EXPECT_EQ(print_graph(g), print_graph(flatten_model(3, reshape)));
  }
}

TEST(Rebuild, RejectsModelsWhoseOutputsIgnoreTheBatch) {
  Graph g("m");
  ValueId x = g.add_input("x", {DType::F32, {2, 3}});
  g.add_output(g.add("ReduceMean", {x}, {{"axes", Shape{0}}, {"keepdims", int64_t{0}}}, "mean"));
  EXPECT_EQ(nas::testing::user_error_message([&] { with_batch_size(g, 4); }),
            "graph 'm': output 'mean' has shape [3] after rebatching to 4; its leading dimension "
            "does not follow the batch");
}

TEST(Rebuild, EditsAttributesAndKeepsNodesOutputs) {
  Graph g("bn");
  ValueId x = g.add_input("x", {DType::F32, {2, 2, 1, 1}});
  std::vector<ValueId> p;
  for (const char* name : {"scale", "bias", "mean", "var"})
    p.push_back(g.add_constant(name, Tensor::f32({2}, {1, 1})));
  g.add_output(g.add("BatchNormalization", {x, p[0], p[1], p[2], p[3]}, {}, "bn"));
  RebuildOptions options;
  options.edit_attrs = [](const Graph&, const Node&, Attrs& a) { a.set("training_mode", int64_t{1}); };
  Rebuilt r = rebuild_graph(g, options);
  ASSERT_EQ(r.node_outputs.size(), 1u);
  EXPECT_EQ(r.node_outputs[0].size(), 3u);
  EXPECT_EQ(r.graph.value(r.value_map[g.outputs()[0]]).name, "bn");
}

}  // namespace
}  // namespace nas::graph
