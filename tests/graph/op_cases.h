// Test cases for the op registry, shared by the op harness (reference and gradient
// checks), the ONNX round trip, and the export for the outside ONNX Runtime checker.
//
// A case builds a small graph around one op, with every float tensor a graph input, and
// the input values. A hand case has fixed inputs and hand-computed expected outputs; a
// random case draws shapes and values from the rng and is checked against finite
// differences and round-tripped through ONNX.
#pragma once

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::testing {

using Rng = std::mt19937_64;

struct OpCase {
  std::string op;    // the registry op this case exercises
  std::string name;  // unique: "<Op>.<what>"
  std::function<void(Rng&, graph::Graph&, std::vector<graph::Tensor>&)> build;
  std::vector<graph::Tensor> expected;  // hand-computed outputs; empty for a random case
  double tolerance = 1e-6;             // for hand cases, absolute
  bool check_gradient = true;          // random cases: compare with finite differences
  bool onnx = true;                    // exportable and runnable in ONNX Runtime
};

// Registers a case; called from static initializers in tests/graph/cases/*.cc.
bool register_op_case(OpCase c);
const std::vector<OpCase>& op_cases();

// Random helpers.
graph::Tensor random_tensor(Rng& rng, graph::Shape shape, double lo = -1.0, double hi = 1.0);
int64_t random_int(Rng& rng, int64_t lo, int64_t hi);  // inclusive
// Values kept at least `gap` away from each other and from `kinks` (e.g. 0 for Relu), so
// finite differences never straddle a kink or a tie.
graph::Tensor random_tensor_away_from(Rng& rng, graph::Shape shape, std::vector<double> kinks,
                                      double gap = 1e-3, double lo = -1.0, double hi = 1.0);

// Builds a graph with one input per tensor and one node named "node"; the common shape of
// a case. A default-constructed Tensor in `values` stands for an absent optional input.
// Returns the node's outputs (all marked as graph outputs).
std::vector<graph::ValueId> single_op(graph::Graph& g, std::vector<graph::Tensor>& inputs,
                                      std::string_view op, std::vector<graph::Tensor> values,
                                      graph::Attrs attrs = {});

}  // namespace nas::testing

#define NAS_CONCAT_INNER(a, b) a##b
#define NAS_CONCAT(a, b) NAS_CONCAT_INNER(a, b)
// NAS_OP_CASE({...}); at namespace scope registers one case.
#define NAS_OP_CASE(...)                                                     \
  static const bool NAS_CONCAT(nas_op_case_, __LINE__) =                     \
      ::nas::testing::register_op_case(::nas::testing::OpCase __VA_ARGS__)
