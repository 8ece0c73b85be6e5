#include "tests/graph/op_cases.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace nas::testing {

using namespace graph;

static std::vector<OpCase>& registry() {
  static std::vector<OpCase> cases;
  return cases;
}

bool register_op_case(OpCase c) {
  registry().push_back(std::move(c));
  return true;
}

const std::vector<OpCase>& op_cases() {
  static const bool sorted = [] {
    std::sort(registry().begin(), registry().end(),
              [](const OpCase& a, const OpCase& b) { return a.name < b.name; });
    return true;
  }();
  (void)sorted;
  return registry();
}

Tensor random_tensor(Rng& rng, Shape shape, double lo, double hi) {
  Tensor t(DType::F32, std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(dist(rng));
  return t;
}

int64_t random_int(Rng& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

Tensor random_tensor_away_from(Rng& rng, Shape shape, std::vector<double> kinks, double gap,
                               double lo, double hi) {
  Tensor t(DType::F32, std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<float> taken;
  for (int64_t i = 0; i < t.numel(); ++i) {
    for (;;) {
      const float v = static_cast<float>(dist(rng));
      const bool near_kink = std::any_of(kinks.begin(), kinks.end(),
                                         [&](double k) { return std::abs(v - k) < gap; });
      const bool near_taken = std::any_of(taken.begin(), taken.end(),
                                          [&](float u) { return std::abs(v - u) < gap * 1e-2; });
      if (near_kink || near_taken) continue;
      taken.push_back(v);
      t.data<float>()[i] = v;
      break;
    }
  }
  return t;
}

std::vector<ValueId> single_op(Graph& g, std::vector<Tensor>& inputs, std::string_view op,
                               std::vector<Tensor> values, Attrs attrs) {
  std::vector<ValueId> ids;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].rank() == 0 && values[i].numel() == 1 && values[i].nbytes() == 0) {
      ids.push_back(kNoValue);
      continue;
    }
    ids.push_back(g.add_input(fmt::format("x{}", i), values[i].type()));
    inputs.push_back(std::move(values[i]));
  }
  std::vector<ValueId> outs = g.add_node(op, ids, std::move(attrs), "node");
  for (ValueId v : outs) g.add_output(v);
  return outs;
}

}  // namespace nas::testing
