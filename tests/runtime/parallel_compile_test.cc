// Kernels compiled concurrently, and the process's cache of compiled kernels: the objects are
// the same bytes at every compile thread count; a model compiled on several threads, or from
// the cache (the same architecture with other weights), matches the reference executor and
// runs bitwise the same as compiled on one thread.
#include <optional>

#include <gtest/gtest.h>

#include "compiler/codegen/codegen.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/compile.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"
#include "evaluator/models/small_cnn.h"
#include "tests/runtime/runtime_test_util.h"
#include "tests/shipped_spaces.h"

namespace nas::runtime {
namespace {

using namespace graph;
using testing::expect_close;
using testing::random_inputs;

compiler::CompileOptions host(int compile_threads) {
  compiler::CompileOptions options;
  options.target = target::host_target();
  options.target.threads = 1;
  options.compile_threads = compile_threads;
  return options;
}

Graph sampled(const std::string& space_name, uint64_t seed) {
  const space::SearchSpace& s = nas::testing::shipped_space(space_name);
  SplitMix64 rng(seed);
  return s.decode(s.sample(rng));
}

class CompiledParallel : public ::testing::TestWithParam<std::string> {};

TEST_P(CompiledParallel, ObjectsAreTheSameBytesAtEveryThreadCount) {
  const Graph g = sampled(GetParam(), 3);
  const std::vector<loop::LoweredFunc> funcs =
      compiler::lower_model(g, {.target = target::host_target()}).functions();
  const target::Target host = target::host_target();
  const std::vector<std::string> one = codegen::compile_kernel_objects(funcs, host, 1);
  const std::vector<std::string> four = codegen::compile_kernel_objects(funcs, host, 4);
  ASSERT_EQ(one.size(), funcs.size());
  ASSERT_EQ(four.size(), funcs.size());
  for (size_t i = 0; i < funcs.size(); ++i) {
    EXPECT_FALSE(one[i].empty()) << funcs[i].name;
    EXPECT_TRUE(one[i] == four[i]) << funcs[i].name << " differs between 1 and 4 threads";
  }
}

// Compiled on one thread, then on three (every kernel from the cache by then), then another
// architecture on three threads (compiled now, in parallel): each matches the reference, and
// the first two run bitwise the same.
TEST_P(CompiledParallel, MatchesTheReferenceOnAnyThreadCount) {
  const Graph g = sampled(GetParam(), 11);
  const std::vector<Tensor> inputs = random_inputs(g, 5);
  const std::vector<Tensor> want = run_reference(g, inputs);
  std::optional<std::vector<Tensor>> first;
  for (int threads : {1, 3}) {
    const std::vector<Tensor> got = compiler::compile_model(g, host(threads))->run(inputs);
    ASSERT_EQ(got.size(), want.size());
    for (size_t o = 0; o < got.size(); ++o)
      expect_close(got[o], want[o], GetParam() + " at " + std::to_string(threads) + " threads");
    if (!first) first = got;
    EXPECT_TRUE(got == *first) << GetParam() << ": 1 and " << threads << " compile threads differ";
  }
  const Graph other = sampled(GetParam(), 12);
  const std::vector<Tensor> other_inputs = random_inputs(other, 6);
  const std::vector<Tensor> other_want = run_reference(other, other_inputs);
  const std::vector<Tensor> other_got = compiler::compile_model(other, host(3))->run(other_inputs);
  for (size_t o = 0; o < other_got.size(); ++o)
    expect_close(other_got[o], other_want[o], GetParam() + " (second architecture)");
}

INSTANTIATE_TEST_SUITE_P(ShippedSpaces, CompiledParallel,
                         ::testing::Values("mobilenet_28", "nb201_28"));

// The same network with other weights compiles entirely from the cache (weights are
// parameters, not code) and computes with its own weights.
TEST(CompiledCache, SameArchitectureWithOtherWeightsHitsTheCache) {
  const Graph a = evaluator::small_cnn(21);
  const Graph b = evaluator::small_cnn(22);
  const std::vector<Tensor> inputs = random_inputs(a, 1);
  const std::unique_ptr<CompiledModel> first = compiler::compile_model(a, host(2));
  const codegen::KernelCacheStats before = codegen::kernel_cache_stats();
  const std::unique_ptr<CompiledModel> second = compiler::compile_model(b, host(2));
  const codegen::KernelCacheStats after = codegen::kernel_cache_stats();
  EXPECT_EQ(after.misses, before.misses);
  EXPECT_GT(after.hits, before.hits);
  const std::vector<Tensor> want_a = run_reference(a, inputs);
  const std::vector<Tensor> want_b = run_reference(b, inputs);
  expect_close(first->run(inputs)[0], want_a[0], "first weights");
  expect_close(second->run(inputs)[0], want_b[0], "second weights, cached kernels");
  EXPECT_FALSE(first->run(inputs)[0] == second->run(inputs)[0]);
}

}  // namespace
}  // namespace nas::runtime
