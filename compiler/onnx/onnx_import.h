// ONNX import: an ONNX model (default domain, opsets 11 to 17) becomes a verified graph.
//
// The mapping is generic over the op registry: each node finds the OpDef whose
// onnx.op_type matches, its attributes are copied by name, and the constant inputs that we
// keep as attributes (onnx.attr_inputs) become attributes. Shapes are static, so nodes whose
// inputs are all constants (ONNX shape arithmetic: Shape -> Gather -> Concat -> Reshape) are
// evaluated with the reference executor at import time, and dead code is removed at the end.
// Values keep their ONNX names. Every problem with the model is a UserError naming the file,
// node or input concerned.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/graph.h"

namespace nas::onnx_io {

struct ImportOptions {
  // Shapes of graph inputs by name. Needed for inputs with symbolic or missing dims; where
  // the model has static dims they must agree.
  std::map<std::string, graph::Shape> input_shapes;
};

graph::Graph import_onnx(const std::string& path, const ImportOptions& options = {});
// `source` names the model in error messages.
graph::Graph import_onnx_bytes(std::string_view bytes, const std::string& source,
                               const ImportOptions& options = {});

// The graph inputs of a model (initializers excluded) as declared, e.g. "f32[N,3,28,28]",
// so a caller can match its data to inputs before importing.
struct OnnxInputInfo {
  std::string name;
  std::string type;
};
std::vector<OnnxInputInfo> onnx_graph_inputs(const std::string& path);

}  // namespace nas::onnx_io
