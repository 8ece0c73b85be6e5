// The op harness: every registered op is run against hand-computed cases, every gradient
// against double-precision central differences on random shapes, and every op must have
// such cases (an op added without them fails here).
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compiler/graph/autodiff.h"
#include "compiler/graph/op_registry.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/graph/verifier.h"
#include "tests/graph/op_cases.h"

namespace nas::testing {
namespace {

using namespace graph;

std::string case_label(const ::testing::TestParamInfo<const OpCase*>& info) {
  std::string s = info.param->name;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

std::vector<const OpCase*> cases_where(bool hand) {
  std::vector<const OpCase*> out;
  for (const OpCase& c : op_cases())
    if (c.expected.empty() != hand) out.push_back(&c);
  return out;
}

class HandCase : public ::testing::TestWithParam<const OpCase*> {};
class RandomCase : public ::testing::TestWithParam<const OpCase*> {};

TEST_P(HandCase, MatchesHandComputedOutputs) {
  const OpCase& c = *GetParam();
  Rng rng(1);
  Graph g;
  std::vector<Tensor> inputs;
  c.build(rng, g, inputs);
  ASSERT_TRUE(verify_graph(g).empty()) << verify_graph(g)[0];
  std::vector<Tensor> outputs = run_reference(g, inputs);
  ASSERT_EQ(outputs.size(), c.expected.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    ASSERT_EQ(outputs[o].type(), c.expected[o].type()) << "output " << o;
    for (int64_t i = 0; i < outputs[o].numel(); ++i)
      ASSERT_NEAR(outputs[o].at(i), c.expected[o].at(i), c.tolerance)
          << "output " << o << " element " << i;
  }
}

// Loss = sum_o sum(output_o * w_o) with fixed random weights w_o, so every output element
// contributes with a distinct factor.
ValueId append_loss(Graph& g, Rng& rng, std::vector<Tensor>& weights) {
  ValueId loss = kNoValue;
  for (ValueId out : std::vector<ValueId>(g.outputs())) {
    if (!is_float(g.type(out).dtype)) continue;
    Tensor w = random_tensor(rng, g.type(out).shape, 0.5, 1.5);
    ValueId wv = g.add_constant(g.fresh_name("loss_weight"), w);
    ValueId term = g.add("ReduceSumTo", {g.add("Mul", {out, wv})}, {{"shape", Shape{}}});
    loss = loss == kNoValue ? term : g.add("Add", {loss, term});
    weights.push_back(w);
  }
  return loss;
}

std::set<std::string>& ops_used_by_gradients() {
  static std::set<std::string> used;
  return used;
}

TEST_P(RandomCase, GradientMatchesFiniteDifferences) {
  const OpCase& c = *GetParam();
  if (!c.check_gradient) GTEST_SKIP() << "case marked as not differentiable";
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    Rng rng(seed);
    Graph g;
    std::vector<Tensor> inputs;
    c.build(rng, g, inputs);
    ASSERT_TRUE(verify_graph(g).empty()) << verify_graph(g)[0];
    std::vector<Tensor> loss_weights;
    const ValueId loss = append_loss(g, rng, loss_weights);
    ASSERT_NE(loss, kNoValue) << "case has no float output";
    std::vector<ValueId> wrt;
    for (ValueId v : g.inputs())
      if (is_float(g.type(v).dtype)) wrt.push_back(v);
    Graph grad_graph = g;
    std::vector<ValueId> grads = append_gradients(grad_graph, loss, wrt);
    grad_graph.set_outputs({loss});
    for (ValueId v : grads) grad_graph.add_output(v);

    std::vector<Tensor> inputs64;
    for (const Tensor& t : inputs) inputs64.push_back(t.cast(DType::F64));
    ReferenceOptions f64{.float_type = DType::F64};
    std::vector<Tensor> analytic = run_reference(grad_graph, inputs64, f64);

    Graph loss_graph = g;
    loss_graph.set_outputs({loss});
    ReferenceExecutor loss_exec(loss_graph, f64);
    const double eps = 1e-5;
    size_t w = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!is_float(inputs[i].dtype())) continue;
      const Tensor& grad = analytic[1 + w++];
      double scale = 1.0;
      for (int64_t k = 0; k < grad.numel(); ++k) scale = std::max(scale, std::abs(grad.at(k)));
      for (int64_t k = 0; k < inputs64[i].numel(); ++k) {
        std::vector<Tensor> plus = inputs64, minus = inputs64;
        plus[i].data<double>()[k] += eps;
        minus[i].data<double>()[k] -= eps;
        const double numeric =
            (loss_exec.run(plus)[0].at(0) - loss_exec.run(minus)[0].at(0)) / (2 * eps);
        ASSERT_NEAR(grad.at(k), numeric, 1e-6 * scale)
            << "d loss / d input " << i << " element " << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, HandCase, ::testing::ValuesIn(cases_where(true)), case_label);
INSTANTIATE_TEST_SUITE_P(Ops, RandomCase, ::testing::ValuesIn(cases_where(false)), case_label);

// Every op needs a hand case; every differentiable op a random gradient case.
TEST(OpCoverage, EveryOpHasCases) {
  for (const OpDef* op : OpRegistry::instance().ops()) {
    bool hand = false, random = false;
    for (const OpCase& c : op_cases()) {
      if (c.op != op->name) continue;
      hand = hand || !c.expected.empty();
      random = random || (c.expected.empty() && c.check_gradient);
    }
    EXPECT_TRUE(hand) << op->name << " has no hand-computed case";
    if (op->gradient && op->gradient_of.empty()) {
      EXPECT_TRUE(random) << op->name << " has no gradient case";
    }
  }
}

TEST(OpCoverage, CasesNameRegisteredOps) {
  std::set<std::string> names;
  for (const OpCase& c : op_cases()) {
    EXPECT_NE(OpRegistry::instance().find(c.op), nullptr) << c.name << " names unknown op " << c.op;
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
  }
}

// Gradient ops are checked through the forward op whose gradient uses them: each must have
// run in some gradient check. Runs the gradient checks itself so it holds under filtering.
TEST(OpCoverage, EveryGradientOpIsExercised) {
  ops_used_by_gradients().clear();
  for (const OpCase* c : cases_where(false)) {
    if (!c->check_gradient) continue;
    Rng rng(1);
    Graph g;
    std::vector<Tensor> inputs;
    c->build(rng, g, inputs);
    std::vector<Tensor> weights;
    ValueId loss = append_loss(g, rng, weights);
    std::vector<ValueId> wrt;
    for (ValueId v : g.inputs())
      if (is_float(g.type(v).dtype)) wrt.push_back(v);
    append_gradients(g, loss, wrt);
    for (const Node& node : g.nodes()) ops_used_by_gradients().insert(node.op_name());
  }
  for (const OpDef* op : OpRegistry::instance().ops())
    if (!op->gradient_of.empty()) {
      EXPECT_TRUE(ops_used_by_gradients().count(op->name))
          << op->name << " (gradient op of " << op->gradient_of << ") is never exercised";
    }
}

}  // namespace
}  // namespace nas::testing
