#include "tests/passes/pass_test_util.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/graph/printer.h"

namespace nas::passes::testing {

using namespace graph;

Tensor random_tensor(Shape shape, SplitMix64& rng, double lo, double hi) {
  Tensor t(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return t;
}

std::vector<Tensor> random_inputs(const Graph& g, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<Tensor> inputs;
  for (ValueId v : g.inputs()) inputs.push_back(random_tensor(g.type(v).shape, rng));
  return inputs;
}

double max_relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double worst = 0;
  for (int64_t i = 0; i < std::min(a.numel(), b.numel()); ++i)
    worst = std::max(worst, std::abs(a.at(i) - b.at(i)) / (1.0 + std::abs(b.at(i))));
  return worst;
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path =
      std::filesystem::path(NAS_SOURCE_DIR) / "tests/passes/golden" / name;
  const char* update = std::getenv("NAS_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path
                  << " (run the test with NAS_UPDATE_GOLDEN=1 to write it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden file " << path
                                    << " differs (NAS_UPDATE_GOLDEN=1 rewrites it)";
}

std::string before_after(const Graph& before, const std::string& pass, const Graph& after) {
  return "# before\n" + print_graph(before) + "\n# after " + pass + "\n" + print_graph(after);
}

namespace {

class BlockBuilder {
 public:
  BlockBuilder(Graph& g, uint64_t seed) : g_(g), rng_(seed) {}

  ValueId conv(const std::string& name, ValueId x, int64_t c_in, int64_t c_out, int64_t kernel,
               int64_t group) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(c_in / group * kernel * kernel));
    ValueId w = g_.add_constant(name + ".weight",
                                random_tensor({c_out, c_in / group, kernel, kernel}, rng_,
                                              -bound, bound));
    const int64_t pad = kernel / 2;
    return g_.add("Conv", {x, w},
                  {{"kernel_shape", Shape{kernel, kernel}},
                   {"pads", Shape{pad, pad, pad, pad}},
                   {"group", group}},
                  name);
  }

  ValueId batch_norm(const std::string& name, ValueId x, int64_t c) {
    ValueId scale = g_.add_constant(name + ".scale", random_tensor({c}, rng_, 0.5, 1.5));
    ValueId shift = g_.add_constant(name + ".bias", random_tensor({c}, rng_, -0.5, 0.5));
    ValueId mean = g_.add_constant(name + ".mean", random_tensor({c}, rng_, -0.5, 0.5));
    ValueId var = g_.add_constant(name + ".var", random_tensor({c}, rng_, 0.5, 2.0));
    return g_.add("BatchNormalization", {x, scale, shift, mean, var}, {}, name);
  }

 private:
  Graph& g_;
  SplitMix64 rng_;
};

}  // namespace

Graph mobilenet_block(uint64_t seed) {
  Graph g("mobilenet_block");
  BlockBuilder b(g, seed);
  const ValueId x = g.add_input("x", {DType::F32, {1, 8, 8, 8}});
  ValueId y = b.conv("expand", x, 8, 16, 1, 1);
  y = b.batch_norm("expand.bn", y, 16);
  y = g.add("Clip", {y}, {{"min", 0.0f}, {"max", 6.0f}}, "expand.relu6");
  y = b.conv("depthwise", y, 16, 16, 3, 16);
  y = b.batch_norm("depthwise.bn", y, 16);
  y = g.add("HardSwish", {y}, {}, "depthwise.hswish");
  y = b.conv("project", y, 16, 8, 1, 1);
  y = b.batch_norm("project.bn", y, 8);
  g.add_output(g.add("Add", {x, y}, {}, "residual"));
  return g;
}

}  // namespace nas::passes::testing
