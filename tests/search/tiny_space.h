// A tiny search space built in code for orchestrator tests: conv (width 2/4/8, kernel 1/3,
// stride 2) + activation (relu/hswish) + Flatten + Gemm to 4 classes on 1x8x8 images, with
// weights drawn from the architecture's hash. 12 architectures, each trains in milliseconds.
#pragma once

#include <cmath>
#include <memory>

#include "compiler/graph/graph.h"
#include "compiler/support/random.h"
#include "space/search_space.h"

namespace nas::search::testing {

class TinyConvTemplate : public space::NetworkTemplate {
 public:
  graph::Graph build(const space::SearchSpace& space, const space::Architecture& arch,
                     int64_t batch) const override {
    using namespace graph;
    const int64_t width = std::stoll(space.label(arch, "width"));
    const int64_t kernel = std::stoll(space.label(arch, "kernel"));
    const std::string act = space.label(arch, "act") == "relu" ? "Relu" : "HardSwish";
    SplitMix64 rng(space.hash(arch));
    auto uniform = [&](Shape shape, double bound) {
      Tensor t(DType::F32, std::move(shape));
      for (int64_t i = 0; i < t.numel(); ++i)
        t.data<float>()[i] = static_cast<float>((2 * rng.uniform() - 1) * bound);
      return t;
    };
    const int64_t pad = kernel / 2;
    const int64_t features = width * 4 * 4;
    Graph g("tiny");
    ValueId x = g.add_input("x", {DType::F32, {batch, 1, 8, 8}});
    x = g.add("Conv",
              {x, g.add_constant("conv.w", uniform({width, 1, kernel, kernel}, 1.0 / kernel)),
               g.add_constant("conv.b", uniform({width}, 0.1))},
              {{"pads", Shape{pad, pad, pad, pad}}, {"strides", Shape{2, 2}}}, "conv");
    x = g.add("Flatten", {g.add(act, {x}, {}, "act")}, {}, "flat");
    x = g.add("Gemm",
              {x, g.add_constant("fc.w", uniform({4, features}, 1.0 / std::sqrt(features))),
               g.add_constant("fc.b", uniform({4}, 0.05))},
              {{"transB", int64_t{1}}}, "fc");
    g.add_output(x);
    return g;
  }
};

inline space::SearchSpace tiny_space() {
  return space::SearchSpace("tiny",
                            {{"width", {"2", "4", "8"}, {2, 4, 8}, true},
                             {"kernel", {"1", "3"}, {1, 3}, true},
                             {"act", {"relu", "hswish"}, {}, false}},
                            std::make_shared<TinyConvTemplate>());
}

}  // namespace nas::search::testing
