// Channel concatenations computed in place (compiler/passes/concat_in_place.h): the kernels
// that produce the parts write into the whole, the Concat runs no kernel, and the results
// are the reference's in both layouts, any schedule and thread count; where a Concat cannot
// be a view (a graph input among its parts, a part read twice, a batch of two, a part that
// would start off a 64-byte boundary), it copies, with the same results.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/passes/concat_in_place.h"
#include "compiler/passes/fusion.h"
#include "compiler/passes/layout.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/target/target.h"
#include "tests/runtime/runtime_test_util.h"

namespace nas::runtime {
namespace {

using namespace graph;
using testing::expect_close;
using testing::random_inputs;
using testing::random_tensor;

// A 3x3 convolution with bias and Relu from `in` (channels `cin`) to `cout` channels.
ValueId conv_relu(Graph& g, ValueId in, int64_t cin, int64_t cout, uint64_t seed,
                  const std::string& name) {
  const ValueId w = g.add_constant(name + ".w", random_tensor({DType::F32, {cout, cin, 3, 3}}, seed));
  const ValueId b = g.add_constant(name + ".b", random_tensor({DType::F32, {cout}}, seed + 1));
  const ValueId y = g.add("Conv", {in, w, b}, {{"pads", Shape{1, 1, 1, 1}}}, name);
  return g.add("Relu", {y}, {}, name + ".relu");
}

// A SqueezeNet fire module on `x` (`cin` channels): a convolution to 16 channels, two of
// `a` and `b` channels from it, and their Concat.
ValueId fire_module(Graph& g, ValueId x, int64_t cin, int64_t a, int64_t b,
                    const std::string& name = "") {
  const ValueId squeeze = conv_relu(g, x, cin, 16, 1, name + "squeeze");
  const ValueId left = conv_relu(g, squeeze, 16, a, 3, name + "left");
  const ValueId right = conv_relu(g, squeeze, 16, b, 5, name + "right");
  return g.add("Concat", {left, right}, {{"axis", int64_t{1}}}, name + "cat");
}

// x -> a fire module -> a convolution; `batch` images of `size` x `size`.
Graph fire(int64_t a, int64_t b, int64_t batch = 1, int64_t size = 6) {
  Graph g("fire");
  const ValueId x = g.add_input("x", {DType::F32, {batch, 8, size, size}});
  g.add_output(conv_relu(g, fire_module(g, x, 8, a, b), a + b, 16, 7, "after"));
  return g;
}

compiler::CompileOptions options(int threads, bool blocked,
                                 lower::ScheduleChoice schedule = lower::ScheduleChoice::Default) {
  compiler::CompileOptions o;
  o.target = target::host_target();
  o.target.threads = threads;
  o.lowering.blocked_layout = blocked;
  o.lowering.schedule = schedule;
  o.lowering.seed = 3;
  return o;
}

void expect_matches_reference(const Graph& g, const compiler::CompileOptions& o,
                              const std::string& what) {
  const std::vector<Tensor> inputs = random_inputs(g, 11);
  const std::vector<Tensor> want = run_reference(g, inputs);
  const std::vector<Tensor> got = compiler::compile_model(g, o)->run(inputs);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], what);
}

size_t concat_kernels(const LoweredModel& m) {
  size_t n = 0;
  for (const lower::LoweredKernel& k : m.kernels) n += k.func.name.ends_with("_concat");
  return n;
}

TEST(ConcatInPlace, PartsAreViewsOfTheWholeAndTheConcatRunsNoKernel) {
  const Graph g = fire(32, 16);
  for (bool blocked : {true, false}) {
    SCOPED_TRACE(blocked ? "blocked" : "nchw");
    const LoweredModel m = compiler::lower_model(g, options(1, blocked));
    EXPECT_EQ(concat_kernels(m), 0u);
    ASSERT_EQ(m.views.size(), 2u);
    const PlannedValue* whole = m.activations.find(m.views.begin()->second.whole);
    ASSERT_NE(whole, nullptr);
    // left is channels 0..31 of the whole, right 32..47: 32 * 6 * 6 floats on.
    for (const auto& [part, view] : m.views) {
      const PlannedValue* p = m.activations.find(part);
      ASSERT_NE(p, nullptr);
      const bool left = m.graph.value(part).name == "left.relu";
      EXPECT_EQ(view.byte_offset, left ? 0 : 32 * 36 * 4);
      EXPECT_EQ(p->offset, whole->offset + view.byte_offset);
    }
    if (blocked) {
      // The parts and the whole in one channel block, so the parts are whole blocks.
      const int64_t block = m.layout.block_of(m.views.begin()->second.whole);
      EXPECT_GE(block, 4);
      for (const auto& [part, view] : m.views) EXPECT_EQ(m.layout.block_of(part), block);
    }
  }
}

TEST(ConcatInPlace, MatchesTheReferenceInEveryLayoutScheduleAndThreadCount) {
  const Graph g = fire(32, 16);
  for (bool blocked : {true, false})
    for (int threads : {1, 2}) {
      const std::string what = fmt::format("{}, {} threads", blocked ? "blocked" : "nchw", threads);
      expect_matches_reference(g, options(threads, blocked), what + ", default");
      expect_matches_reference(g, options(threads, blocked, lower::ScheduleChoice::Random),
                               what + ", random");
    }
}

// Fire modules in a row: every Concat in place, each whole read by the next module.
TEST(ConcatInPlace, ConcatsInARowAreEachInPlace) {
  Graph g("fires");
  ValueId x = g.add_input("x", {DType::F32, {1, 8, 7, 7}});
  int64_t channels = 8;
  for (int i = 0; i < 3; ++i) {
    x = fire_module(g, x, channels, 32, 32, fmt::format("fire{}.", i));
    channels = 64;
  }
  g.add_output(x);
  for (bool blocked : {true, false}) {
    const LoweredModel m = compiler::lower_model(g, options(1, blocked));
    // The last Concat is the graph's output, stored NCHW: so are its parts then.
    EXPECT_EQ(m.views.size(), 6u);
    EXPECT_EQ(concat_kernels(m), 0u);
    for (int threads : {1, 2})
      expect_matches_reference(g, options(threads, blocked), fmt::format("{} threads", threads));
  }
}

// Each case copies (one concat kernel) and still matches the reference.
TEST(ConcatInPlace, CopiesWhereAPartCannotBeAView) {
  Graph input_part("input_part");
  {
    const ValueId x = input_part.add_input("x", {DType::F32, {1, 16, 4, 4}});
    const ValueId y = conv_relu(input_part, x, 16, 16, 1, "y");
    const ValueId cat = input_part.add("Concat", {x, y}, {{"axis", int64_t{1}}}, "cat");
    input_part.add_output(conv_relu(input_part, cat, 32, 16, 3, "after"));
  }
  Graph twice("twice");
  {
    const ValueId x = twice.add_input("x", {DType::F32, {1, 8, 4, 4}});
    const ValueId y = conv_relu(twice, x, 8, 16, 1, "y");
    const ValueId cat = twice.add("Concat", {y, y}, {{"axis", int64_t{1}}}, "cat");
    twice.add_output(conv_relu(twice, cat, 32, 16, 3, "after"));
  }
  const std::vector<std::pair<std::string, Graph>> cases = {
      {"a graph input as a part", input_part},
      {"a part read twice", twice},
      {"a batch of two", fire(16, 16, 2)},
      {"a part off a 64-byte boundary", fire(3, 5, 1, 5)},  // 3 * 25 floats
  };
  for (const auto& [what, g] : cases)
    for (bool blocked : {true, false}) {
      SCOPED_TRACE(what + (blocked ? ", blocked" : ", nchw"));
      const LoweredModel m = compiler::lower_model(g, options(1, blocked));
      EXPECT_TRUE(m.views.empty());
      EXPECT_EQ(concat_kernels(m), 1u);
      expect_matches_reference(g, options(2, blocked), what);
    }
}

// A dense block (DenseNet): each layer concatenates the features so far and adds one; the
// block's last Concat is the whole, every earlier Concat a slice of it (a prefix), and no
// Concat copies.
TEST(ConcatInPlace, ADenseBlocksConcatsAreSlicesOfItsLast) {
  Graph g("dense_block");
  const ValueId x = g.add_input("x", {DType::F32, {1, 8, 5, 5}});
  std::vector<ValueId> features{conv_relu(g, x, 8, 16, 1, "stem")};
  for (int layer = 0; layer < 3; ++layer) {
    const ValueId cat = g.add("Concat", features, {{"axis", int64_t{1}}},
                              fmt::format("cat{}", layer));
    const int64_t channels = 16 * static_cast<int64_t>(features.size());
    features.push_back(conv_relu(g, cat, channels, 16, 3 + 2 * layer, fmt::format("layer{}", layer)));
  }
  const ValueId block = g.add("Concat", features, {{"axis", int64_t{1}}}, "block");
  g.add_output(conv_relu(g, block, 64, 16, 11, "after"));
  for (bool blocked : {true, false}) {
    SCOPED_TRACE(blocked ? "blocked" : "nchw");
    const LoweredModel m = compiler::lower_model(g, options(1, blocked));
    EXPECT_EQ(concat_kernels(m), 0u);
    EXPECT_EQ(m.views.size(), 4u + 3u);  // the 4 features, the 3 layers' Concats
    for (const auto& [value, view] : m.views) {
      EXPECT_EQ(m.graph.value(view.whole).name, "block");
      if (m.graph.value(value).name.starts_with("cat")) {
        EXPECT_EQ(view.byte_offset, 0);
      }
    }
    for (int threads : {1, 2})
      expect_matches_reference(g, options(threads, blocked), fmt::format("{} threads", threads));
  }
}

// A value that is a part of two Concats whose parts do not line up (b, then a) is a view of
// one whole only; the other Concat copies.
TEST(ConcatInPlace, APartOfTwoConcatsIsAViewOfOne) {
  Graph g("two_concats");
  const ValueId x = g.add_input("x", {DType::F32, {1, 8, 4, 4}});
  const ValueId a = conv_relu(g, x, 8, 16, 1, "a");
  const ValueId b = conv_relu(g, a, 16, 16, 3, "b");
  const ValueId first = g.add("Concat", {b, a}, {{"axis", int64_t{1}}}, "first");
  const ValueId c = conv_relu(g, first, 32, 16, 5, "c");
  const ValueId second = g.add("Concat", {a, b, c}, {{"axis", int64_t{1}}}, "second");
  g.add_output(conv_relu(g, second, 48, 16, 7, "after"));
  const LoweredModel m = compiler::lower_model(g, options(1, true));
  EXPECT_EQ(m.views.size(), 3u);
  EXPECT_EQ(concat_kernels(m), 1u);
  for (int threads : {1, 2}) expect_matches_reference(g, options(threads, true), "two concats");
}

}  // namespace
}  // namespace nas::runtime
