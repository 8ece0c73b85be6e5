// Integer shape arithmetic, folded on import. torch.onnx.export writes the shapes of
// reshapes and channel splits as computations on i64 tensors (Shape -> Gather -> Add -> Div
// -> Slice, with Cast, Floor, Equal and Where along the way); with static input shapes they
// are all constants. nas's ops compute on floats, so these nodes are evaluated here, with
// ONNX's semantics and numpy broadcasting, and never reach the graph.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/graph/tensor.h"

namespace onnx {
class NodeProto;
}

namespace nas::onnx_io {

// The outputs of `node` on constant `inputs`, when it is arithmetic this folds (Add, Sub, Mul,
// Div, Mod, Neg, Abs, Min, Max, Floor, Ceil, Sqrt, Pow, Equal, Less, Greater, Not, Where,
// Cast, Expand, Range, ScatterND) and not float arithmetic that nas's own ops compute
// (every input f32, a registered op type). Else nullopt. Booleans are i64 0 and 1, as the
// importer reads them. UserError naming `at` for shapes that do not broadcast, an integer
// division by zero, a Cast to a type nas lacks, or a Range or ScatterND out of its rules.
std::optional<std::vector<graph::Tensor>> fold_shape_arithmetic(
    const onnx::NodeProto& node, const std::vector<const graph::Tensor*>& inputs,
    bool registered, const std::string& at);

}  // namespace nas::onnx_io
