// ONNX export: a graph becomes an ONNX model of opset 17 (IR version 8).
//
// Generic over the op registry: each node becomes its op's onnx.op_type with its
// attributes; attributes that ONNX takes as constant inputs (onnx.attr_inputs) become
// initializers named "<node>.<attr>"; empty list attributes and sentinel defaults (our
// stand-in for "absent", where ONNX defines no default) are left out. Constants become
// initializers, and every value carries its full type, so ONNX's shape inference checks
// each of our shape functions. Internal ops (gradient ops) have no ONNX form.
#pragma once

#include <string>

#include "compiler/graph/graph.h"

namespace nas::onnx_io {

inline constexpr int kExportOpset = 17;
inline constexpr int kExportIrVersion = 8;

struct ExportOptions {
  // Run the ONNX checker and strict shape inference on the result; a failure is an
  // InternalError (we wrote a model ONNX rejects) carrying the checker's message.
  // export_onnx writes the file before checking, so a rejected model can be inspected.
  bool check = true;
};

void export_onnx(const graph::Graph& graph, const std::string& path,
                 const ExportOptions& options = {});
// The serialized model.
std::string export_onnx_bytes(const graph::Graph& graph, const ExportOptions& options = {});

}  // namespace nas::onnx_io
