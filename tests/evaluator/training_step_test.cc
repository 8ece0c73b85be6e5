// The compiled training step against the reference step: one step's outputs (loss, logits,
// every gradient, the running statistics) on the small CNN and on networks sampled from the
// shipped spaces, and the same outputs bit for bit at 1, 2 and 4 threads.
#include <random>

#include <gtest/gtest.h>

#include "compiler/support/random.h"
#include "evaluator/models/small_cnn.h"
#include "evaluator/train/training_step.h"
#include "space/search_space.h"
#include "tests/shipped_spaces.h"

namespace nas::evaluator {
namespace {

using namespace graph;

target::Target host(int threads) {
  target::Target t = target::host_target();
  t.threads = threads;
  return t;
}

struct Batch {
  Tensor images, labels;
};

Batch random_batch(const TrainingGraph& t, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Batch b{Tensor(t.graph.type(t.images)), Tensor(t.graph.type(t.labels))};
  for (int64_t i = 0; i < b.images.numel(); ++i) b.images.data<float>()[i] = normal(rng);
  const int64_t classes = t.graph.type(t.logits).shape[1];
  for (int64_t i = 0; i < b.labels.numel(); ++i)
    b.labels.data<int64_t>()[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
  return b;
}

// Largest |a - b| over the tensor, relative to the largest |b| or 0.01, whichever is
// larger: a convolution's bias before a training-mode batch norm has a gradient that is 0
// but for rounding (the normalisation removes any shift), about 1e-8, so the floor keeps
// rounding noise from counting as an error.
double relative_difference(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 0.01;
  for (int64_t i = 0; i < b.numel(); ++i) {
    diff = std::max(diff, std::fabs(a.at(i) - b.at(i)));
    scale = std::max(scale, std::fabs(b.at(i)));
  }
  return diff / scale;
}

// Every output of one compiled step is within `rtol` (relative to the output's largest
// element) of the reference step's: fp32 sums in another order (blocked convolutions,
// vector accumulators) differ by rounding only.
void expect_step_matches_reference(const Graph& model, int64_t batch, const std::string& what) {
  SCOPED_TRACE(what);
  const TrainingGraph t = build_training_graph(model, batch);
  const Batch b = random_batch(t, 3);
  auto reference = make_training_step(t, TrainBackend::Reference, host(1));
  auto compiled = make_training_step(t, TrainBackend::Compiled, host(2));
  const std::vector<Tensor> expected = reference->run(b.images, b.labels);
  const std::vector<Tensor>& actual = compiled->run(b.images, b.labels);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_LT(relative_difference(actual[i], expected[i]), 2e-4)
        << "output " << i << " '" << t.graph.value(t.graph.outputs()[i]).name << "'";
  }
  EXPECT_GT(compiled->peak_memory_bytes(), 0);
}

TEST(CompiledTrainingStep, SmallCnnMatchesTheReference) {
  expect_step_matches_reference(small_cnn(1), 8, "small_cnn");
}

class ShippedSpaceTrainingStep : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedSpaceTrainingStep, SampledArchitecturesMatchTheReference) {
  const space::SearchSpace& s = nas::testing::shipped_space(GetParam());
  SplitMix64 rng(5);
  for (int i = 0; i < 2; ++i) {
    const space::Architecture arch = s.sample(rng);
    expect_step_matches_reference(s.decode(arch), 4, s.to_string(arch));
  }
}

INSTANTIATE_TEST_SUITE_P(CompiledTrainingStep, ShippedSpaceTrainingStep,
                         ::testing::Values("mobilenet_28", "nb201_28"));

// Reductions over the batch and the image are summed in an order that does not depend on
// the thread count, so the step's outputs are the same bits at any thread count.
TEST(CompiledTrainingStep, SameBitsAtOneTwoAndFourThreads) {
  const TrainingGraph t = build_training_graph(small_cnn(2), 8);
  const Batch b = random_batch(t, 4);
  const std::vector<Tensor> one =
      make_training_step(t, TrainBackend::Compiled, host(1))->run(b.images, b.labels);
  for (int threads : {2, 4}) {
    const std::unique_ptr<TrainingStep> step =
        make_training_step(t, TrainBackend::Compiled, host(threads));
    const std::vector<Tensor>& other = step->run(b.images, b.labels);
    for (size_t i = 0; i < one.size(); ++i)
      EXPECT_TRUE(other[i] == one[i]) << threads << " threads, output " << i;
  }
}

}  // namespace
}  // namespace nas::evaluator
